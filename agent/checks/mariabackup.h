// restore_test recipe `mariabackup`: the newest full Mariabackup backup copied into the scratch
// folder (mariabackup --prepare works in place: the backup itself is never changed), prepared,
// started as a throw-away mariadbd — its socket in the scratch folder, no TCP, no grant tables,
// no binary log, no replication — validated with a query, and stopped. The whole drill is the
// restore time measured against the RTO.
//
//   - id: epd-mariabackup-restore
//     kind: restore_test
//     interval: 7d
//     timeout: 1h
//     recipe: mariabackup
//     backup: /backups/mariadb/*           # the folders mariabackup --backup wrote; the newest full one
//     validate_query: "SELECT count(*) FROM epd.patient"
//     expect_min: 1
//     use_memory: 1GiB                     # mariabackup --prepare --use-memory (default 100 MB)
//     server_options: [--innodb-buffer-pool-size=1G]
//     mariabackup: /usr/bin/mariabackup    # the programs, when not on PATH
//     mariadbd: /usr/sbin/mariadbd
//     mariadb: /usr/bin/mariadb
//
// A backup's time is its xtrabackup_info end_time (mariabackup writes the local time, without a
// zone), else the time its checkpoints file was written. Incremental backups are not prepared:
// the newest full backup is restored. The agent must be able to read the backup (mysql's files).
#ifndef PARAAT_AGENT_CHECKS_MARIABACKUP_H_
#define PARAAT_AGENT_CHECKS_MARIABACKUP_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/checks/support/restore_recipe.h"

namespace paraat {

class MariabackupRestore : public RestoreRecipe {
 public:
  static constexpr char kName[] = "mariabackup";
  struct Options {
    std::string backup;
    std::string mariabackup = "mariabackup", mariadbd, mariadb = "mariadb";
    uint64_t use_memory = 0;
    std::vector<std::string> server_options;
    ValidationQuery validation;
  };
  explicit MariabackupRestore(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
  bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;

 private:
  // Starts the throw-away server on the prepared copy, runs the validation query, stops it.
  bool Serve(const RestoreDrill& drill, const std::string& data, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_MARIABACKUP_H_
