// restore_test recipes: the restore drill of one backup system (restic, pg_restore, bacula,
// barman, mariabackup), chosen with `recipe:` in a restore_test check. The restore_test kind makes
// the scratch folder and removes it afterwards, takes this agent's turn on the recipe's resource
// before its clock starts, times the drill, keeps the drill's log as the output tail and reports
// the duration that is measured against the plan's RTO; the recipe restores and validates.
//
// A recipe is a class with `kName`, `Create(YamlMap&, const CheckEnv&)` (its own keys, problems
// as `file:line: key: problem`) and `Run(const RestoreDrill&, Result*)`, in its backup system's
// file pair under checks/ (checks/restic.h holds the restic kind and the restic recipe), listed with
// one RecipeOf<Recipe>() line in registry.cc:
//
//   class BaculaRestore : public RestoreRecipe {
//    public:
//     static constexpr char kName[] = "bacula";
//     static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
//     bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;
//   };
//
// Run's steps go through RunDrillStep (checks/support/tool.h): a step that fails or passes the
// timeout fails the restore test, one that cannot start is an error. Thread-compatible: a recipe
// is run by one worker at a time, like its check.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_RESTORE_RECIPE_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_RESTORE_RECIPE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/registry.h"
#include "common/yaml_reader.h"

namespace paraat {

// One run of a restore drill, as restore_test hands it to its recipe.
struct RestoreDrill {
  const CheckContext& ctx;
  std::string scratch;                            // a fresh folder (0700), removed afterwards
  const std::vector<std::string>& validate;       // the check's `validate` command, if any
  const std::map<std::string, std::string>& env;  // the check's `env`, for every step
  std::string* log;                               // each step's command line and output tail

  // Runs the check's `validate` command (when there is one) on `dir`, which replaces "{scratch}"
  // in its arguments and is its working directory and $PARAAT_SCRATCH. False, with the restore
  // test failed, when it does not pass.
  bool Validate(const std::string& dir, paraat::v1::Result* r) const;
};

class RestoreRecipe {
 public:
  virtual ~RestoreRecipe() = default;
  // What this agent's checks take turns on ("restic:/srv/restic"), or "" for nothing.
  virtual std::string Resource() const { return ""; }
  // Restores into drill.scratch and validates it. True when the restore test passed; false when
  // it failed or could not run, the result saying which and why.
  virtual bool Run(const RestoreDrill& drill, paraat::v1::Result* r) = 0;
};

using RecipeFactory = std::function<std::unique_ptr<RestoreRecipe>(YamlMap& keys, const CheckEnv& env)>;

struct RecipeKind {
  std::string name;
  RecipeFactory factory;
};

// The registry row of a recipe class: its `static constexpr char kName[]` and its
// `static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env)`.
template <typename Recipe>
RecipeKind RecipeOf() {
  return RecipeKind{Recipe::kName, &Recipe::Create};
}

// Every recipe by name (registry.cc). Built once, read-only after that (thread-safe).
const std::map<std::string, RecipeKind>& RestoreRecipes();

// "{scratch}" in each argument replaced by `scratch`.
std::vector<std::string> Substitute(const std::vector<std::string>& argv, const std::string& scratch);

// Files and directories below `dir` (not `dir` itself), and the bytes in its regular files.
void CountTree(const std::string& dir, uint64_t* entries, uint64_t* bytes);

// The newest entry matching `pattern` (a path whose last component may be a glob: *, ?, [...])
// by `time_of`, which gives an entry's time or nullopt for an entry that does not count (a
// directory where a file is wanted). Nullopt when nothing matches.
struct Match {
  std::string path;
  absl::Time time;
};
std::optional<Match> NewestMatch(const std::string& pattern,
                                 const std::function<std::optional<absl::Time>(const std::string&)>& time_of);

// A validation query run on the restored copy (`validate_query`, `expect_min`): its answer's first
// column must be a number of at least expect_min.
struct ValidationQuery {
  std::string query;
  double expect_min = 1;

  void ReadKeys(YamlMap& keys);
  // Judges the client's output (rows, tab- or |-separated). False, with the restore test failed
  // and the answer as the detail validation_result, when it is not a number or too small.
  bool Judge(const std::string& output, paraat::v1::Result* r) const;
};

// The check's context for cleaning up after a drill (dropping a scratch database, cancelling a
// backup server's restore job): a fresh deadline of `time` and no cancellation, so that it
// happens even when the drill ran out of time.
CheckContext CleanupContext(const CheckContext& ctx, absl::Duration time = absl::Minutes(2));

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_RESTORE_RECIPE_H_
