// barman: Barman's catalog of one PostgreSQL server. The newest DONE backup is the recovery
// point, moved forward by the WAL segments Barman archived after it without a gap (the point in
// time it can recover to); `barman check` says whether backups and archiving still work;
// `barman check-backup` of the newest backup (its WAL complete) and, optionally,
// `barman verify-backup` (pg_verifybackup reads every file against the backup manifest) are the
// integrity evidence.
//
//   - id: barman-brp
//     kind: barman
//     interval: 1h
//     timeout: 10m
//     server: brp                          # the server's section in Barman's config
//     config: /etc/barman.conf             # optional (barman's default)
//     check: true                          # barman check (default)
//     check_backup: true                   # barman check-backup of the newest DONE backup (default)
//     verify_backup: true                  # barman verify-backup of it (reads it all; default false)
//
// Barman runs as its barman_user (or as root, which Barman switches from): give the agent a way
// to run it, e.g. `binary: /usr/local/sbin/barman-as-barman` (exec sudo -n -u barman barman "$@").
// `barman check-backup` prints nothing and exits 0 whatever it finds: its verdict is the backup's
// status in the catalog afterwards (FAILED: a WAL file is missing, corrupt).
//
// The restore_test recipe `barman` runs `barman recover` of the newest backup (with the WAL after
// it) into the scratch folder, starts a throw-away PostgreSQL on the copy — socket in the scratch
// folder, no TCP, archiving off, trust on that socket only — runs validate_query and stops it:
//
//   - id: brp-barman-restore
//     kind: restore_test
//     interval: 7d
//     timeout: 2h
//     recipe: barman
//     server: brp
//     scratch_dir: /var/lib/barman/paraat-restore   # barman_user must reach the scratch folder
//     backup: latest                        # or a backup id
//     bin_dir: /usr/lib/postgresql/15/bin   # default: from the backup's PG_VERSION
//     user: postgres                        # the database user of the validation (default postgres)
//     database: brp
//     validate_query: "SELECT count(*) FROM ingeschrevenen"
//     expect_min: 100000
//     server_options: [-c, shared_preload_libraries=]   # more options for the throw-away server
#ifndef PARAAT_AGENT_CHECKS_BARMAN_H_
#define PARAAT_AGENT_CHECKS_BARMAN_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/checks/support/restore_recipe.h"
#include "agent/registry.h"

namespace paraat {

// Barman and the server it manages.
struct BarmanServer {
  std::string binary = "barman";
  std::string config;  // -c; empty: Barman's own default
  std::string server;
};

class BarmanCheck : public Check {
 public:
  static constexpr char kName[] = "barman";
  static constexpr char kSummary[] = "newest DONE Barman backup and archived WAL; barman check, check-backup";
  struct Options {
    BarmanServer barman;
    bool check = true;
    bool check_backup = true;
    bool verify_backup = false;
  };
  explicit BarmanCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const Options options_;
};

// restore_test recipe `barman`.
class BarmanRestore : public RestoreRecipe {
 public:
  static constexpr char kName[] = "barman";
  struct Options {
    BarmanServer barman;
    std::string backup = "latest";
    std::string bin_dir, user = "postgres", database = "postgres";
    std::vector<std::string> server_options;
    ValidationQuery validation;
  };
  explicit BarmanRestore(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
  std::string Resource() const override { return "barman:" + options_.barman.server; }
  bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;

 private:
  // Starts a throw-away PostgreSQL as `owner` on the recovered `data`, runs the validation
  // query and stops it.
  bool Validate(const RestoreDrill& drill, const std::string& data, uid_t owner, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_BARMAN_H_
