// A throw-away Redis server from Debian's redis-server (7.0) on a free loopback port: its config,
// data (RDB, AOF) and log in a directory, a password required (requirepass; masterauth for a
// replica) and kept in password_file() as well, newline-terminated as `echo pw > file` writes it, mode 0600.
// A replica of another Redis is started with Options::primary. Killed on destruction.
//
// The primary starts a replica's full sync at once (repl-diskless-sync-delay 0: Redis 7 waits
// 5 s by default).
//
// Errors: Start() fails when redis-server is missing or does not answer PING (with its log).
// Not thread-safe.
#ifndef PARAAT_TESTS_TESTLIB_REDIS_H_
#define PARAAT_TESTS_TESTLIB_REDIS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

class Redis {
 public:
  struct Options {
    std::string password = "paraat-redis-5e1b";
    std::string save = "3600 1";     // the RDB snapshot rule; "" for none
    bool appendonly = false;         // AOF
    const Redis* primary = nullptr;  // replicate from this server
    std::string extra_conf;          // appended to redis.conf
  };
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Redis>> Start(const std::string& dir, const Options& options);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Redis>> Start(const std::string& dir) {
    return Start(dir, Options());
  }

  // redis-cli -h 127.0.0.1 -p port ARGS, the password in REDISCLI_AUTH. redis-cli exits 0 on a
  // server error reply (NOAUTH, WRONGPASS, ERR ...): look at the output.
  RunResult Cli(const std::vector<std::string>& args) const;
  // INFO `section` as field -> value ("# Section" lines left out); empty when the server does
  // not answer.
  std::map<std::string, std::string> Info(const std::string& section) const;
  // For a replica: waits until master_link_status is up.
  [[nodiscard]] absl::Status WaitForLinkUp(absl::Duration timeout = absl::Seconds(30)) const;
  // SIGTERM (Redis saves an RDB first when `save` is set) and waits for the exit. A replica sees
  // its link drop at once.
  void Stop();

  int port() const { return port_; }
  const std::string& password() const { return password_; }
  const std::string& password_file() const { return password_file_; }
  const std::string& dir() const { return dir_; }
  std::string Log() const { return process_ ? process_->Log() : ""; }

 private:
  Redis() = default;
  std::string dir_, password_, password_file_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_REDIS_H_
