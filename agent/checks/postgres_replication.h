// postgres_replication (libpq): replication health seen from a standby or a primary.
//
//   - id: pg-standby
//     kind: postgres_replication
//     interval: 1m
//     dsn: "host=/run/postgresql port=5433 user=paraat dbname=postgres"
//     role: auto                 # auto | standby | primary
//     primary_dsn: "host=db-01 user=paraat dbname=postgres"   # optional, standby: exact byte lag
//     min_standbys: 1            # primary: streaming standbys required
//
// On a standby: in recovery, WAL receiver streaming, replay paused or not, lag in seconds and
// bytes, and the recovery point. A standby that has replayed everything it received from a
// streaming WAL receiver is not lagging, however long ago the last transaction was (an idle
// primary); a paused standby, or one whose receiver is broken, lags by the age of its last
// replayed transaction, which grows while the primary takes writes.
// On a primary: every standby in pg_stat_replication (state, write/flush/replay lag, sync
// state) and the replication slots (wal_status, safe_wal_size).
// Passwords never appear in the dsn: use a passfile (passfile=... or ~/.pgpass) or PGPASSWORD.
#ifndef PARAAT_AGENT_CHECKS_POSTGRES_REPLICATION_H_
#define PARAAT_AGENT_CHECKS_POSTGRES_REPLICATION_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/registry.h"

struct pg_conn;  // libpq's PGconn

namespace paraat {

class PostgresReplicationCheck : public Check {
 public:
  static constexpr char kName[] = "postgres_replication";
  static constexpr char kSummary[] = "PostgreSQL standby or primary replication, lag, slots";
  enum class Role { kAuto, kStandby, kPrimary };
  struct Options {
    std::string dsn;
    std::string primary_dsn;
    Role role = Role::kAuto;
    int min_standbys = 1;
  };
  explicit PostgresReplicationCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // `now`: the server's clock, in epoch seconds.
  void RunOnStandby(const CheckContext& ctx, pg_conn* conn, double now, paraat::v1::Result* r) const;
  void RunOnPrimary(pg_conn* conn, double now, paraat::v1::Result* r) const;

  const Options options_;
};

// Why a connection string is not acceptable ("" when it is): unparsable, or carrying a password.
std::string CheckDsn(const std::string& dsn);
// The connection string with every password=... value removed, for messages.
std::string RedactDsn(const std::string& dsn);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_POSTGRES_REPLICATION_H_
