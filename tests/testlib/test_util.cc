#include "tests/testlib/test_util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace paraat::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(base && *base ? base : "/tmp", "/paraat-test-XXXXXX");
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
  ::chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  if (std::getenv("PARAAT_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFileOrDie(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) std::abort();
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteBackup(const std::string& path, size_t size, bool sidecar) {
  static std::mt19937_64 rng(42);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < size; ++j) data[i + j] = static_cast<char>(v >> (8 * j));
  }
  WriteFileOrDie(path, data);
  if (sidecar) {
    std::string name = path.substr(path.find_last_of('/') + 1);
    WriteFileOrDie(path + ".sha256", ToHex(Sha256Of(data)) + "  " + name + "\n");
  }
}

void SetMtime(const std::string& path, absl::Time t) {
  timeval tv[2];
  tv[0] = absl::ToTimeval(t);
  tv[1] = absl::ToTimeval(t);
  if (::utimes(path.c_str(), tv) != 0) std::abort();
}

absl::StatusOr<std::unique_ptr<Process>> Process::Start(const std::vector<std::string>& argv,
                                                        const std::string& log_path,
                                                        const std::map<std::string, std::string>& env) {
  auto p = std::unique_ptr<Process>(new Process());
  p->log_path_ = log_path;
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path));
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fd);
  p->pid_ = pid;
  return p;
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
}

bool Process::Running() {
  if (reaped_) return false;
  int st;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

void Process::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int Process::Wait(absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (!reaped_) {
    int st;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = st;
      break;
    }
    if (absl::Now() > until) return -1;
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string Process::Log() const { return ReadFileOrDie(log_path_); }

std::string Process::WaitForLog(const std::string& text, absl::Duration timeout) {
  std::string log;
  WaitFor(
      [&] {
        log = Log();
        return log.find(text) != std::string::npos;
      },
      timeout);
  return log.find(text) != std::string::npos ? log : std::string();
}

RunResult RunCommand(const std::vector<std::string>& argv, absl::Duration timeout, const std::string& stdin_data,
                     const std::map<std::string, std::string>& env) {
  ProcessOptions o;
  o.argv = argv;
  o.timeout = timeout;
  o.stdin_data = stdin_data;
  o.env = env;
  auto r = RunProcess(o);
  RunResult out;
  if (!r.ok()) {
    out.output = std::string(r.status().message());
    return out;
  }
  out.exit_code = r->exited ? r->exit_code : -1;
  out.output = r->out + r->err;
  return out;
}

namespace {
// bind (to see that a port is free) or connect (to see that something listens) on
// 127.0.0.1:port with a fresh socket.
bool TryLoopback(int port, bool connect) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  auto* a = reinterpret_cast<sockaddr*>(&addr);
  const bool ok = (connect ? ::connect(fd, a, sizeof addr) : ::bind(fd, a, sizeof addr)) == 0;
  ::close(fd);
  return ok;
}
bool CanBind(int port) { return TryLoopback(port, /*connect=*/false); }
}  // namespace

// From below the kernel's ephemeral range: a port bind(0) picks comes from that range, and the
// kernel may hand it to another test's outgoing connection before the server binds it.
int FreePort() {
  static std::mutex mu;
  static std::set<int> given;  // never the same port twice in one test process
  static std::mt19937 rng(std::random_device{}());
  int ephemeral_low = 32768, ephemeral_high = 60999;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> ephemeral_low >> ephemeral_high;
  const int from = 10000, to = std::max(from + 1000, ephemeral_low) - 1;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = std::uniform_int_distribution<int>(from, to)(rng);
    if (given.insert(port).second && CanBind(port)) return port;
  }
  ADD_FAILURE() << "no free port between " << from << " and " << to;
  return 0;
}

namespace {
size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
}  // namespace

absl::StatusOr<std::string> HttpGet(const std::string& url, int* status, const HttpOptions& options) {
  CURL* curl = curl_easy_init();
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options.password.c_str());
  }
  curl_slist* headers = nullptr;
  for (const std::string& h : options.headers) headers = curl_slist_append(headers, h.c_str());
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return absl::UnavailableError(absl::StrCat("GET ", url, ": ", curl_easy_strerror(rc)));
  if (status) *status = static_cast<int>(code);
  return body;
}

std::string UrlEncode(const std::string& value) {
  CURL* curl = curl_easy_init();
  char* enc = curl_easy_escape(curl, value.data(), static_cast<int>(value.size()));
  std::string out(enc);
  curl_free(enc);
  curl_easy_cleanup(curl);
  return out;
}

double PromQuery(int port, const std::string& query) {
  auto body = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/api/v1/query?query=", UrlEncode(query)));
  if (!body.ok()) return std::nan("");
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nan("");
  const auto& result = j["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nan("");
  return std::stod(result[0]["value"][1].get<std::string>());
}

absl::StatusOr<PrometheusProcess> StartPrometheus(const std::string& dir, const std::vector<std::string>& targets,
                                                  const std::string& rule_files) {
  PrometheusProcess p;
  p.port = FreePort();
  std::string t;
  for (const auto& target : targets) t += (t.empty() ? "'" : ", '") + target + "'";
  WriteFileOrDie(dir + "/prometheus.yml",
                 absl::StrCat("global: {scrape_interval: 1s, evaluation_interval: 1s}\n",
                              rule_files.empty() ? "" : absl::StrCat("rule_files: [", rule_files, "]\n"),
                              "scrape_configs:\n  - job_name: paraat\n    static_configs: [{targets: [", t, "]}]\n"));
  auto proc = Process::Start(
      {"prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/prometheus-data",
       absl::StrCat("--web.listen-address=127.0.0.1:", p.port), "--log.level=warn"},
      dir + "/prometheus.log");
  if (!proc.ok()) return proc.status();
  p.process = *std::move(proc);
  bool up = WaitFor(
      [&] {
        int status = 0;
        auto r = HttpGet(absl::StrCat("http://127.0.0.1:", p.port, "/-/ready"), &status);
        return r.ok() && status == 200;
      },
      absl::Seconds(60));
  if (!up) return absl::InternalError("prometheus did not become ready:\n" + p.process->Log());
  return p;
}

bool PortOpen(int port) { return TryLoopback(port, /*connect=*/true); }

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

int NumberAfter(const std::string& text, const std::string& prefix) {
  size_t pos = text.find(prefix);
  if (pos == std::string::npos) return -1;
  pos += prefix.size();
  int v = 0;
  bool any = false;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    v = v * 10 + (text[pos++] - '0');
    any = true;
  }
  return any ? v : -1;
}

bool HaveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace paraat::testing
