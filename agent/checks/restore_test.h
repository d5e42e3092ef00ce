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
//   - id: restic-restore                  # a recipe: the restore drill of one backup system
//     kind: restore_test                  # (restic, pg_restore, bacula, barman, mariabackup;
//     interval: 24h                       # checks/support/restore_recipe.h), with its own keys
//     recipe: restic
//     repository: /srv/restic
//     password_file: /etc/paraat/restic.pass
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
#include "agent/checks/support/restore_recipe.h"
#include "agent/registry.h"

namespace paraat {

class RestoreTestCheck : public Check {
 public:
  static constexpr char kName[] = "restore_test";
  static constexpr char kSummary[] = "a timed restore into a scratch folder, with validation";
  struct Options {
    std::shared_ptr<RestoreRecipe> recipe;  // null: `command`
    std::vector<std::string> command;
    std::vector<std::string> validate;
    std::map<std::string, std::string> env;
    std::string scratch_dir;  // where scratch folders are made; default: the check's state dir
  };
  explicit RestoreTestCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // The restore by `command`, then `validate`; false when the restore failed (result filled in).
  bool RunCommand(const RestoreDrill& drill, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_RESTORE_TEST_H_
