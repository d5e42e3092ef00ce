// bacula: the newest successful Backup job of a job name or a client, read from the director's
// catalog with bconsole, is the recovery point; the newest Verify job is the integrity evidence.
//
//   - id: bacula-epd
//     kind: bacula
//     interval: 1h
//     timeout: 1m                          # bconsole waits 15 s for a director that is down
//     config: /etc/paraat/bconsole.conf    # a bconsole config; Password = @/etc/paraat/bacula.pass
//     # or, instead of config:  director: backup-dir, address: backup-01.example.org, port: 9101,
//     #                         console: paraat (a named Console), password_file: /etc/paraat/bacula.pass
//     job: epd-files                       # the Backup job's name, and/or
//     client: epd-db-fd                    # the backups of this client
//     verify_job: epd-verify               # optional: a Verify job (VolumeToCatalog reads the volume back)
//
// JobStatus T is a successful job (9.6 keeps T for "Backup OK -- with warnings": JobErrors > 0 is a
// warning); E, f, A and I of the newest finished job fail the check, the recovery point staying at
// the newest successful job. A VolumeToCatalog (or Data) verify that ended T verifies integrity,
// D is corrupt; a DiskToCatalog verify compares the disk with the catalog, not the volume.
//
// The restore_test recipe `bacula` restores the newest backup of a client and FileSet ("select
// current": the Full and the Incrementals and Differentials after it) into the scratch folder with
// where=, waits for the restore job and compares what is on disk with the catalog:
//
//   - id: epd-bacula-restore
//     kind: restore_test
//     interval: 7d
//     timeout: 2h
//     recipe: bacula
//     config: /etc/paraat/bconsole.conf
//     client: epd-db-fd
//     fileset: epd-set
//     restore_client: backup-01-fd         # the file daemon on this agent's machine (default: client)
//     restore_job: restore-files           # when the director has several Restore jobs
//
// where= is a path on the restoring client: the agent must run on that client's machine, as root
// (restored files keep their owners) or with scratch_dir where the file daemon may write.
#ifndef PARAAT_AGENT_CHECKS_BACULA_H_
#define PARAAT_AGENT_CHECKS_BACULA_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/checks/support/restore_recipe.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

// How to reach the director: a bconsole config of yours, or the director's name, address and
// port with a password (and optionally a named Console), from which the agent writes one for
// each run into the check's state folder (mode 0600, removed afterwards).
struct BaculaConsole {
  std::string binary = "bconsole";
  std::string config;
  std::string director, address, console;
  int port = 9101;
  SecretRef password;
};

class BaculaCheck : public Check {
 public:
  static constexpr char kName[] = "bacula";
  static constexpr char kSummary[] = "newest successful Bacula backup job by bconsole; its newest Verify job";
  struct Options {
    BaculaConsole console;
    std::string job, client, verify_job;
  };
  explicit BaculaCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const Options options_;
};

// restore_test recipe `bacula`.
class BaculaRestore : public RestoreRecipe {
 public:
  static constexpr char kName[] = "bacula";
  struct Options {
    BaculaConsole console;
    std::string client, fileset, restore_client, restore_job;
  };
  explicit BaculaRestore(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
  bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;

 private:
  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_BACULA_H_
