#include "agent/checks/restore_test.h"

#include <filesystem>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/resource_lock.h"
#include "agent/checks/support/tool.h"
#include "agent/secrets.h"
#include "common/fs.h"
#include "common/units.h"

namespace paraat {

std::unique_ptr<Check> RestoreTestCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  std::vector<std::string> names;
  for (const auto& [name, kind] : RestoreRecipes()) names.push_back(name);
  const RecipeKind* recipe = nullptr;
  if (auto v = keys.Enum("recipe", names)) recipe = &RestoreRecipes().at(*v);
  if (recipe == nullptr && !keys.Has("recipe")) {
    if (auto v = keys.StringList("command", kRequired)) {
      if (v->empty()) keys.Error("command", "is empty: give the program and its arguments");
      if (!v->empty()) RequireProgram(keys, env, "command", (*v)[0]);
      o.command = *v;
    }
  } else if (keys.Has("command")) {
    keys.Raw("command");
    keys.Error("command", "is not used with a recipe");
  }
  if (auto v = keys.StringList("validate")) {
    if (!v->empty()) RequireProgram(keys, env, "validate", (*v)[0]);
    o.validate = *v;
  }
  if (auto v = keys.StringMap("env")) o.env = *v;
  if (auto v = PathKey(keys, env, "scratch_dir")) o.scratch_dir = *v;
  if (recipe != nullptr) {
    o.recipe = recipe->factory(keys, env);
    if (o.recipe == nullptr) return nullptr;
  } else if (keys.Has("recipe") || o.command.empty()) {
    return nullptr;
  }
  return std::make_unique<RestoreTestCheck>(std::move(o));
}

bool RestoreTestCheck::RunCommand(const RestoreDrill& drill, paraat::v1::Result* r) const {
  std::map<std::string, std::string> env = options_.env;
  env["PARAAT_SCRATCH"] = drill.scratch;
  AddDetail(r, "command", Redact(absl::StrJoin(options_.command, " "), {}));
  if (!RunDrillStep(drill.ctx, ToolRun{Substitute(options_.command, drill.scratch), env, {}, drill.scratch},
                    "the restore", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  if (!options_.validate.empty()) AddDetail(r, "validate", Redact(absl::StrJoin(options_.validate, " "), {}));
  return drill.Validate(drill.scratch, r);
}

void RestoreTestCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  // Take turns with this agent's other checks on the same repository before the clock starts:
  // waiting is not part of the restore.
  std::optional<ResourceGuard> guard;
  const std::string resource = options_.recipe ? options_.recipe->Resource() : "";
  if (!resource.empty()) {
    guard.emplace(resource, ctx);
    if (!guard->held()) {
      Error(r, "timed out waiting for another check of this agent on the same repository");
      return;
    }
  }
  const absl::Time start = ctx.clock->Now();
  const absl::Duration start_mono = ctx.clock->Monotonic();
  std::string base = options_.scratch_dir.empty() ? ctx.state_dir : options_.scratch_dir;
  if (base.empty()) base = "/var/tmp";
  std::mt19937_64 rng{std::random_device{}()};
  const std::string scratch =
      absl::StrFormat("%s/scratch-%d-%08x", base, absl::ToUnixSeconds(start), static_cast<unsigned>(rng()));
  if (absl::Status st = MakeDirs(scratch, 0700); !st.ok()) {
    Error(r, absl::StrCat("cannot create the scratch folder: ", st.message()));
    return;
  }
  std::string log;
  const RestoreDrill drill{ctx, scratch, options_.validate, options_.env, &log};
  const bool ok = options_.recipe ? options_.recipe->Run(drill, r) : RunCommand(drill, r);
  const absl::Duration took = ctx.clock->Monotonic() - start_mono;
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  if (ec) AddDetail(r, "cleanup", absl::StrCat("could not remove ", scratch, ": ", ec.message()));
  r->set_output_tail(TailText(log, 30, 8192));
  auto* facts = r->mutable_facts();
  if (r->status() == paraat::v1::CHECK_STATUS_ERROR) return;  // could not run: no test result
  facts->set_restore_succeeded(ok);
  facts->set_restore_duration_seconds(absl::ToDoubleSeconds(took));
  if (ok) Ok(r, absl::StrCat("restore test passed in ", HumanDuration(took)));
}

}  // namespace paraat
