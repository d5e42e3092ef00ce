#include "agent/registry.h"

#include "agent/checks/bacula.h"
#include "agent/checks/barman.h"
#include "agent/checks/borg.h"
#include "agent/checks/command.h"
#include "agent/checks/disk_space.h"
#include "agent/checks/dns.h"
#include "agent/checks/file_backup.h"
#include "agent/checks/http.h"
#include "agent/checks/json_http.h"
#include "agent/checks/mariabackup.h"
#include "agent/checks/mysql_replication.h"
#include "agent/checks/pg_restore.h"
#include "agent/checks/pgbackrest.h"
#include "agent/checks/postgres_replication.h"
#include "agent/checks/rclone.h"
#include "agent/checks/redis_replication.h"
#include "agent/checks/restic.h"
#include "agent/checks/restore_test.h"
#include "agent/checks/support/restore_recipe.h"
#include "agent/checks/tcp.h"

namespace paraat {
namespace {

template <typename Row>
std::map<std::string, Row> ByName(std::initializer_list<Row> rows) {
  std::map<std::string, Row> out;
  for (const Row& k : rows) out.emplace(k.name, k);
  return out;
}

}  // namespace

const std::map<std::string, CheckKind>& CheckKinds() {
  static const auto* kinds = new std::map<std::string, CheckKind>(ByName<CheckKind>({
      KindOf<FileBackupCheck>(),
      KindOf<ResticCheck>(),
      KindOf<BorgCheck>(),
      KindOf<PgBackRestCheck>(),
      KindOf<BaculaCheck>(),
      KindOf<BarmanCheck>(),
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

const std::map<std::string, RecipeKind>& RestoreRecipes() {
  static const auto* recipes = new std::map<std::string, RecipeKind>(ByName<RecipeKind>({
      RecipeOf<ResticRestore>(),
      RecipeOf<PgRestoreRecipe>(),
      RecipeOf<BaculaRestore>(),
      RecipeOf<BarmanRestore>(),
      RecipeOf<MariabackupRestore>(),
  }));
  return *recipes;
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
