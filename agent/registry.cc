#include "agent/registry.h"

#include "agent/checks/borg.h"
#include "agent/checks/command.h"
#include "agent/checks/disk_space.h"
#include "agent/checks/dns.h"
#include "agent/checks/file_backup.h"
#include "agent/checks/http.h"
#include "agent/checks/mysql_replication.h"
#include "agent/checks/pgbackrest.h"
#include "agent/checks/postgres_replication.h"
#include "agent/checks/restic.h"
#include "agent/checks/restore_test.h"
#include "agent/checks/tcp.h"

namespace paraat {

const std::map<std::string, CheckKind>& CheckKinds() {
  static const auto* kinds = new std::map<std::string, CheckKind>{
      {"file_backup",
       {"file_backup", "newest file matching a glob is the latest recovery point; size and checksums",
        &FileBackupCheck::Create}},
      {"restic", {"restic", "latest snapshot; restic check with a rotating read-data subset", &ResticCheck::Create}},
      {"borg", {"borg", "latest archive; borg check (optionally --verify-data)", &BorgCheck::Create}},
      {"pgbackrest",
       {"pgbackrest", "pgbackrest info per stanza; optional pgbackrest verify", &PgBackRestCheck::Create}},
      {"restore_test",
       {"restore_test", "a timed restore into a scratch folder, with validation", &RestoreTestCheck::Create}},
      {"postgres_replication",
       {"postgres_replication", "PostgreSQL standby or primary replication, lag, slots",
        &PostgresReplicationCheck::Create}},
      {"mysql_replication",
       {"mysql_replication", "MariaDB/MySQL replica threads and lag, optional heartbeat table",
        &MysqlReplicationCheck::Create}},
      {"tcp", {"tcp", "a failover target accepts TCP connections", &TcpCheck::Create}},
      {"http", {"http", "an HTTP(S) endpoint answers; status, body, certificate validity", &HttpCheck::Create}},
      {"dns", {"dns", "a name resolves, optionally to the expected addresses", &DnsCheck::Create}},
      {"disk_space", {"disk_space", "free space on a volume against thresholds", &DiskSpaceCheck::Create}},
      {"command", {"command", "a Nagios/Monitoring Plugins check: exit codes and perfdata", &CommandCheck::Create}},
  };
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
