#include "tests/testlib/redis.h"

#include <signal.h>

#include <filesystem>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace paraat::testing {

absl::StatusOr<std::unique_ptr<Redis>> Redis::Start(const std::string& dir, const Options& options) {
  if (!HaveProgram("redis-server") || !HaveProgram("redis-cli")) {
    return absl::FailedPreconditionError("redis-server or redis-cli is missing (scripts/setup.sh --tests)");
  }
  std::unique_ptr<Redis> r(new Redis());
  r->dir_ = dir;
  r->password_ = options.password;
  r->port_ = FreePort();
  std::filesystem::create_directories(dir);
  r->password_file_ = dir + "/password";
  WriteFileOrDie(r->password_file_, options.password + "\n");
  // As an operator keeps it: the agent refuses a password file readable by everyone.
  std::filesystem::permissions(r->password_file_,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string conf =
      absl::StrCat("port ", r->port_, "\nbind 127.0.0.1\ndaemonize no\nlogfile \"\"\ndir ", dir, "\nrequirepass ",
                   options.password, "\nmasterauth ", options.password, "\nsave \"", options.save, "\"\nappendonly ",
                   options.appendonly ? "yes" : "no", "\nrepl-diskless-sync-delay 0\n");
  if (options.primary != nullptr) absl::StrAppend(&conf, "replicaof 127.0.0.1 ", options.primary->port(), "\n");
  absl::StrAppend(&conf, options.extra_conf);
  WriteFileOrDie(dir + "/redis.conf", conf);
  auto p = Process::Start({"redis-server", dir + "/redis.conf"}, dir + "/redis.log");
  if (!p.ok()) return p.status();
  r->process_ = *std::move(p);
  if (!WaitFor([&] { return r->Cli({"ping"}).output == "PONG\n" || !r->process_->Running(); }, absl::Seconds(30)) ||
      !r->process_->Running()) {
    return absl::InternalError("redis-server did not answer PING:\n" + r->process_->Log());
  }
  return r;
}

RunResult Redis::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, absl::Seconds(30), "", {{"REDISCLI_AUTH", password_}});
}

std::map<std::string, std::string> Redis::Info(const std::string& section) const {
  std::map<std::string, std::string> fields;
  std::istringstream in(Cli({"info", section}).output);
  std::string line;
  while (std::getline(in, line)) {
    line = std::string(absl::StripTrailingAsciiWhitespace(line));  // INFO ends lines with \r\n
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

absl::Status Redis::WaitForLinkUp(absl::Duration timeout) const {
  std::map<std::string, std::string> info;
  if (WaitFor(
          [&] {
            info = Info("replication");
            return info["master_link_status"] == "up";
          },
          timeout)) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the replica's link did not come up: ", Cli({"info", "replication"}).output, "\n", Log()));
}

void Redis::Stop() {
  if (!process_ || !process_->Running()) return;
  process_->Signal(SIGTERM);
  if (process_->Wait(absl::Seconds(20)) < 0) process_.reset();  // killed by the destructor
}

}  // namespace paraat::testing
