// restore_test: an actual restore, timed, in a scratch folder that is removed afterwards.
// Its duration is the evidence the RTO is measured against.
//
//   - id: restore-drill                   # your own restore and validation commands
//     kind: restore_test
//     interval: 24h
//     timeout: 2h
//     command: [/usr/local/sbin/restore-drill, --target, "{scratch}"]
//     validate: [/usr/local/sbin/check-restore, "{scratch}"]
//
//   - id: restic-restore                  # recipe: restore the latest restic snapshot and
//     kind: restore_test                  # compare file count and sizes with the snapshot
//     interval: 24h
//     recipe: restic
//     repository: /srv/restic
//     password_file: /etc/paraat/restic.pass
//
//   - id: pg-restore                      # recipe: pg_restore the newest dump into a scratch
//     kind: restore_test                  # database, run a validation query, drop it
//     interval: 24h
//     recipe: pg_restore
//     dump: /backups/pg/*.dump
//     host: /run/postgresql               # the scratch server (socket directory or host)
//     port: 5432
//     user: paraat_restore
//     validate_query: "SELECT count(*) FROM personen"
//     expect_min: 1
//
// Commands are argv lists, never run through a shell unless you write [sh, -c, ...].
// "{scratch}" in an argument becomes the scratch folder (also in $PARAAT_SCRATCH).
// A restore that fails, fails validation or does not finish before `timeout` is FAILED (the
// plan's restore test failed); one that cannot start (tool missing) is ERROR.
#ifndef PARAAT_AGENT_CHECKS_RESTORE_TEST_H_
#define PARAAT_AGENT_CHECKS_RESTORE_TEST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/checks/restic.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

class RestoreTestCheck : public Check {
 public:
  static constexpr char kName[] = "restore_test";
  static constexpr char kSummary[] = "a timed restore into a scratch folder, with validation";
  enum class Recipe { kCommand, kRestic, kPgRestore };
  struct Options {
    Recipe recipe = Recipe::kCommand;
    std::vector<std::string> command;
    std::vector<std::string> validate;
    std::map<std::string, std::string> env;
    std::string scratch_dir;  // where scratch folders are made; default: the check's state dir
    // restic
    ResticCheck::Options restic;
    std::string snapshot = "latest";
    bool compare = true;
    // pg_restore
    std::string dump;
    std::string host, port, user, bin_dir;
    SecretRef pg_password;
    std::string database_prefix = "paraat_restore";
    std::string validate_query;
    double expect_min = 1;
  };
  explicit RestoreTestCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  struct PgClient;
  // Each returns false when the restore failed (result already filled in as failed/error).
  bool RunCommand(const CheckContext& ctx, const std::string& scratch, paraat::v1::Result* r, std::string* log);
  bool RunRestic(const CheckContext& ctx, const std::string& scratch, paraat::v1::Result* r, std::string* log);
  bool RunPgRestore(const CheckContext& ctx, paraat::v1::Result* r, std::string* log);
  bool ValidateQuery(const CheckContext& ctx, const PgClient& pg, const std::string& db, paraat::v1::Result* r,
                     std::string* log) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_RESTORE_TEST_H_
