// redis_replication: a Redis server's replication and persistence, from INFO over its own
// protocol (RESP on a TCP connection: no client library, no redis-cli).
//
//   - id: redis-replica
//     kind: redis_replication
//     interval: 1m
//     host: 127.0.0.1
//     port: 6379
//     password_file: /etc/paraat/redis.pass   # or password_env; none: no AUTH
//     user: paraat                  # optional: an ACL user (AUTH user password)
//     role: replica                 # auto | replica | primary
//     max_last_io: 30s              # a replica that heard nothing for longer is not ready
//     min_replicas: 1               # on a primary: replicas online
//
// On a replica (INFO replication): the link to the primary, the seconds since it last heard from
// it (master_last_io_seconds_ago: a hung primary keeps the link "up" until repl-timeout, 60 s, so
// an up link alone is not health; an idle primary pings every repl-ping-replica-period, 10 s, which
// is why max_last_io defaults to 30 s), a running full sync, and when the link is down for how long. The
// replica's copy is as recent as its last I/O from the primary; with the link down, as the
// moment it went down (master_link_down_since_seconds; -1 is "never up": no recovery point).
// On a primary: its replicas' states and how far each is behind in bytes (master_repl_offset
// minus each replica's offset).
// INFO persistence on both: a failed BGSAVE (rdb_last_bgsave_status) or AOF write or rewrite
// fails the check. Without AOF, the recovery point of a primary is its last RDB snapshot — but
// only when rdb_saves > 0: until the first save since start, rdb_last_save_time is the start time,
// not a snapshot. With AOF on and writing, every write is on disk (the recovery point is now).
//
// Why RESP and not redis-cli: redis-cli exits 0 on WRONGPASS, NOAUTH and every other error
// reply, so its output would have to be parsed anyway; speaking AUTH and INFO is a few dozen lines
// on the toolkit's TCP client, needs no redis-tools on the agent's host, and keeps the password
// out of a child's environment. TLS (tls-port) is not supported.
#ifndef PARAAT_AGENT_CHECKS_REDIS_REPLICATION_H_
#define PARAAT_AGENT_CHECKS_REDIS_REPLICATION_H_

#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

class RedisReplicationCheck : public Check {
 public:
  static constexpr char kName[] = "redis_replication";
  static constexpr char kSummary[] = "Redis replica link and lag, a primary's replicas, RDB/AOF persistence";
  enum class Role { kAuto, kReplica, kPrimary };
  struct Options {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string user;
    SecretRef password;
    Role role = Role::kAuto;
    absl::Duration max_last_io = absl::Seconds(30);
    int min_replicas = 0;
  };
  using Info = std::map<std::string, std::string>;

  explicit RedisReplicationCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // INFO server, replication and persistence, merged; false (the result an error) when the
  // server cannot be reached or refuses.
  bool ReadInfo(const CheckContext& ctx, Info* info, paraat::v1::Result* r) const;
  // The replica's link; false when it failed the check (the result says why).
  bool JudgeReplica(const CheckContext& ctx, const Info& info, paraat::v1::Result* r, std::string* summary) const;
  bool JudgePrimary(const Info& info, paraat::v1::Result* r, std::string* summary) const;
  // RDB and AOF; false when persistence failed. Sets the recovery point of a primary.
  bool JudgePersistence(const CheckContext& ctx, const Info& info, bool replica, paraat::v1::Result* r,
                        std::string* summary) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_REDIS_REPLICATION_H_
