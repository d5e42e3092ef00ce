// Debian's Barman (3.4) managing a throw-away PostgreSQL cluster (tests/testlib/pg_cluster.h),
// configured in a temporary directory: one server, kServer, with backup_method = postgres
// (pg_basebackup over the replication protocol, immediate checkpoint) and archiver = on, fed by
// PostgreSQL's archive_command copying each finished WAL segment into Barman's incoming
// directory. No ssh and no `barman receive-wal` daemon: nothing runs between commands.
// Barman runs as the postgres user when we are root (barman_user; barman drops privileges
// itself), as the current user otherwise, under eatmydata when it is installed (fsync a no-op:
// a backup takes half the time). The cluster is stopped on destruction.
//
// Errors: Create() fails when Barman or PostgreSQL is missing, or when `barman check` does not
// pass once WAL archiving works (with its output). Not thread-safe.
#ifndef PARAAT_TESTS_TESTLIB_BARMAN_H_
#define PARAAT_TESTS_TESTLIB_BARMAN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

class Barman {
 public:
  static constexpr char kServer[] = "pg";

  // `dir` is created: the cluster in <dir>/pg, Barman's home in <dir>/barman, its config in
  // <dir>/barman.conf. Returns once a WAL segment has been archived and `barman check` passes.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Barman>> Create(const std::string& dir);

  // barman -c config ARGS (as root: barman switches to barman_user itself).
  RunResult Run(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(120)) const;
  // barman -c config -f json ARGS, parsed, whatever the exit code (`check` exits 1 with its JSON
  // when a check fails; an unknown server gives {"_ERROR": [...]}), which goes to *exit_code.
  // An error with the output when stdout is not JSON.
  [[nodiscard]] absl::StatusOr<nlohmann::json> Json(const std::vector<std::string>& args,
                                                    int* exit_code = nullptr) const;

  // Closes the current WAL segment and waits until Barman has archived it
  // (`switch-wal --force --archive`).
  [[nodiscard]] absl::Status SwitchWal() const;
  // `barman backup`; the new backup's id.
  [[nodiscard]] absl::StatusOr<std::string> Backup() const;
  // `barman recover` of `backup_id` (or "latest") into `dest`, which must not exist; its parent
  // is created and given to the barman user.
  [[nodiscard]] absl::Status Recover(const std::string& backup_id, const std::string& dest) const;
  // A throw-away PostgreSQL on a recovered data directory, its socket in `dir`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgCluster>> StartRecovered(const std::string& dir,
                                                                                 const std::string& data_dir) {
    return PgCluster::Open(dir, data_dir);
  }

  PgCluster& pg() const { return *pg_; }
  const std::string& config() const { return config_; }
  const std::string& home() const { return home_; }
  // <home>/<server>/wals: the archived segments, and xlog.db (name, size, archival time, compression).
  std::string wals_dir() const { return home_ + "/" + kServer + "/wals"; }
  // The user Barman runs as (barman_user).
  const std::string& user() const { return user_; }

 private:
  Barman() = default;
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  std::string dir_, home_, config_, user_;
  std::unique_ptr<PgCluster> pg_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_BARMAN_H_
