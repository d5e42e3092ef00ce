// A throw-away PostgreSQL cluster from Debian's postgresql package: initdb in a temporary
// directory, listening on a loopback port and a socket in that directory, run as the
// `postgres` user when the tests run as root. Stopped (immediately) on destruction.
#ifndef PARAAT_TESTS_TESTLIB_PG_CLUSTER_H_
#define PARAAT_TESTS_TESTLIB_PG_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

// Debian's PostgreSQL binaries (/usr/lib/postgresql/<version>/bin), or "" when not installed.
std::string PgBinDir();
// argv prefix that runs a command as the postgres user when we are root.
std::vector<std::string> AsPostgres();
// Makes `path` (and what is below it) owned by postgres when we are root.
void GiveToPostgres(const std::string& path);

class PgCluster {
 public:
  // `extra_conf` is appended to postgresql.conf. `data_dir` must not exist yet.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgCluster>> Create(const std::string& dir,
                                                                         const std::string& extra_conf = "");
  // A cluster made by `pg_basebackup -R` from `primary`: a streaming standby.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgCluster>> CreateStandby(const std::string& dir,
                                                                                const PgCluster& primary,
                                                                                const std::string& extra_conf = "");
  // A cluster over an existing data directory (a restored backup) with its socket in `dir`: the
  // port, socket directory and archive_mode = off go on the server's command line, where they
  // win over the copied postgresql.conf and postgresql.auto.conf. Started before it returns.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgCluster>> Open(const std::string& dir,
                                                                       const std::string& data_dir);
  ~PgCluster();

  [[nodiscard]] absl::Status Start();
  void Stop(const std::string& mode = "fast");

  // psql -Atc as the postgres superuser.
  RunResult Sql(const std::string& sql, const std::string& db = "postgres") const;
  // Runs a PostgreSQL program (pg_dump, createdb, ...) against this cluster as postgres.
  RunResult Tool(const std::string& program, std::vector<std::string> args) const;

  const std::string& socket_dir() const { return dir_; }
  const std::string& data_dir() const { return data_; }
  int port() const { return port_; }
  std::string dsn(const std::string& db = "postgres") const;

 private:
  PgCluster() = default;
  std::string dir_, data_;
  std::string server_options_;  // pg_ctl -o
  int port_ = 0;
  bool running_ = false;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_PG_CLUSTER_H_
