// Helpers for hermetic tests: temporary directories, real processes on ephemeral loopback
// ports, HTTP GETs, waiting for conditions.
#ifndef PARAAT_TESTS_TESTLIB_TEST_UTIL_H_
#define PARAAT_TESTS_TESTLIB_TEST_UTIL_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace paraat::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction
// (kept when PARAAT_KEEP_TEST_DIRS is set, for debugging).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFileOrDie(const std::string& path, const std::string& content);
std::string ReadFileOrDie(const std::string& path);
// A file of `size` pseudo-random bytes, with `<path>.sha256` in sha256sum format when asked.
void WriteBackup(const std::string& path, size_t size, bool sidecar);
// Sets a file's modification time.
void SetMtime(const std::string& path, absl::Time t);

// A child process whose stdout and stderr go to a log file. Killed (SIGKILL) on destruction
// if still running.
class Process {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Process>> Start(
      const std::vector<std::string>& argv, const std::string& log_path,
      const std::map<std::string, std::string>& env = {});
  ~Process();

  pid_t pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Exit code, 128+signal when killed, or -1 on timeout.
  int Wait(absl::Duration timeout);
  std::string Log() const;
  // Waits until the log contains `text`; returns the log (empty on timeout).
  std::string WaitForLog(const std::string& text, absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int status_ = -1;
  bool reaped_ = false;
};

// Runs a command to completion; returns exit code and combined output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult RunCommand(const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(60),
                     const std::string& stdin_data = "", const std::map<std::string, std::string>& env = {});

// A TCP port that was free a moment ago on 127.0.0.1: below the ephemeral range (where
// outgoing connections get theirs), never the same twice in one test process.
int FreePort();
struct HttpOptions {
  std::string ca_file;               // trust this CA for https
  std::string user, password;        // basic authentication
  std::vector<std::string> headers;  // "Name: value"
};
// GET over HTTP(S); the body, with the status code in *status.
[[nodiscard]] absl::StatusOr<std::string> HttpGet(const std::string& url, int* status = nullptr,
                                                  const HttpOptions& options = {});
// Percent-encodes a URL query value.
std::string UrlEncode(const std::string& value);
// Runs a PromQL instant query against a Prometheus server; the value of the first series,
// or NaN when there is none (or Prometheus is not answering).
double PromQuery(int prometheus_port, const std::string& query);
// True when something accepts TCP connections on 127.0.0.1:`port` right now.
bool PortOpen(int port);
// Polls `condition` every 100 ms until true or timeout.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);
// The first number after `prefix` in `text` (e.g. a port in a log line), or -1.
int NumberAfter(const std::string& text, const std::string& prefix);

// Paths of the built binaries.
std::string AgentBin();
std::string CollectorBin();
std::string CtlBin();
// True when a program is on PATH (or an absolute path that exists and is executable).
bool HaveProgram(const std::string& name);

// A real Prometheus server (Debian's package) on a free loopback port, scraping `targets`
// every second.
struct PrometheusProcess {
  std::unique_ptr<Process> process;
  int port = 0;
};
[[nodiscard]] absl::StatusOr<PrometheusProcess> StartPrometheus(const std::string& dir,
                                                                const std::vector<std::string>& targets,
                                                                const std::string& rule_files = "");

// A collector started on ephemeral loopback ports with a config written into `dir`.
struct CollectorProcess {
  std::unique_ptr<Process> process;
  int grpc_port = 0;
  int metrics_port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port); }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics"; }
};
// Writes <dir>/collector.yaml (listen on port 0 unless `grpc_port` is given; SQLite in `dir`
// unless `extra_yaml` names a storage) and starts it.
[[nodiscard]] absl::StatusOr<CollectorProcess> StartCollector(const std::string& dir, const std::string& plans_dir,
                                                              const std::string& extra_yaml = "", int grpc_port = 0,
                                                              const std::string& log_name = "collector.log");

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_TEST_UTIL_H_
