// A throw-away MariaDB server from Debian's mariadb-server: mariadb-install-db into a temporary
// directory (or an existing data directory), listening on a free loopback port and a socket
// there. Killed on destruction.
#ifndef PARAAT_TESTS_TESTLIB_MARIADB_H_
#define PARAAT_TESTS_TESTLIB_MARIADB_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

class MariaDb {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MariaDb>> Start(const std::string& dir, int server_id,
                                                                      std::vector<std::string> extra_args = {});
  // A server on an existing data directory (a prepared backup), its socket, log and tmpdir in
  // `dir`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MariaDb>> StartOn(const std::string& dir,
                                                                        const std::string& data_dir, int server_id,
                                                                        std::vector<std::string> extra_args = {});
  // SQL through the mariadb client as root over the socket: tab-separated rows without headers,
  // or, for statements ending in \G, vertical output with column names.
  RunResult Sql(const std::string& sql) const;
  // Makes this server replicate from `primary` (GTID, root without password) and waits until
  // both threads run.
  [[nodiscard]] absl::Status ReplicateFrom(const MariaDb& primary) const;
  int port() const { return port_; }
  const std::string& socket() const { return socket_; }

 private:
  MariaDb() = default;
  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::string socket_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_MARIADB_H_
