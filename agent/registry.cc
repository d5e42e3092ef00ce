#include "agent/registry.h"

#include "agent/checks/borg.h"
#include "agent/checks/command.h"
#include "agent/checks/disk_space.h"
#include "agent/checks/dns.h"
#include "agent/checks/file_backup.h"
#include "agent/checks/http.h"
#include "agent/checks/json_http.h"
#include "agent/checks/mysql_replication.h"
#include "agent/checks/pgbackrest.h"
#include "agent/checks/postgres_replication.h"
#include "agent/checks/rclone.h"
#include "agent/checks/redis_replication.h"
#include "agent/checks/restic.h"
#include "agent/checks/restore_test.h"
#include "agent/checks/tcp.h"

namespace paraat {
namespace {

std::map<std::string, CheckKind> KindsByName(std::initializer_list<CheckKind> kinds) {
  std::map<std::string, CheckKind> out;
  for (const CheckKind& k : kinds) out.emplace(k.name, k);
  return out;
}

}  // namespace

const std::map<std::string, CheckKind>& CheckKinds() {
  static const auto* kinds = new std::map<std::string, CheckKind>(KindsByName({
      KindOf<FileBackupCheck>(),
      KindOf<ResticCheck>(),
      KindOf<BorgCheck>(),
      KindOf<PgBackRestCheck>(),
      KindOf<RcloneCheck>(),
      KindOf<RestoreTestCheck>(),
      KindOf<PostgresReplicationCheck>(),
      KindOf<MysqlReplicationCheck>(),
      KindOf<RedisReplicationCheck>(),
      KindOf<TcpCheck>(),
      KindOf<HttpCheck>(),
      KindOf<JsonHttpCheck>(),
      KindOf<DnsCheck>(),
      KindOf<DiskSpaceCheck>(),
      KindOf<CommandCheck>(),
  }));
  return *kinds;
}

const CheckKind* FindCheckKind(const std::string& name) {
  auto it = CheckKinds().find(name);
  return it == CheckKinds().end() ? nullptr : &it->second;
}

std::vector<std::string> CheckKindNames() {
  std::vector<std::string> out;
  for (const auto& [name, kind] : CheckKinds()) out.push_back(name);
  return out;
}

}  // namespace paraat
