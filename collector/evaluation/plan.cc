#include "collector/evaluation/plan.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/evaluation/dependencies.h"
#include "collector/evaluation/foresight.h"
#include "collector/evaluation/plan_living.h"
#include "common/controls.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "common/units.h"
#include "common/yaml_reader.h"

namespace paraat {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRecoveryPoint:
      return "recovery_point";
    case Role::kIntegrity:
      return "integrity";
    case Role::kRestoreTest:
      return "restore_test";
    case Role::kFailover:
      return "failover";
  }
  return "?";
}

const std::vector<std::string>& Plan::Sources(Role role) const {
  switch (role) {
    case Role::kRecoveryPoint:
      return recovery_point;
    case Role::kIntegrity:
      return integrity;
    case Role::kRestoreTest:
      return restore_test;
    case Role::kFailover:
      return failover;
  }
  return recovery_point;
}

std::vector<std::string> Plan::AllSources() const {
  std::vector<std::string> out;
  for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
    for (const std::string& s : Sources(role)) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

namespace {

void ReadSources(YamlMap& sources, Role role, std::vector<std::string>* out) {
  const char* key = RoleName(role);
  auto list = sources.StringList(key);
  if (!list) return;
  std::set<std::string> seen;
  for (const std::string& s : *list) {
    if (!IsValidSourceKey(s)) {
      sources.Error(
          key, absl::StrCat("\"", s, "\" is not a source; write agent/check, e.g. db-01/pg-standby (", IdRule(), ")"));
      continue;
    }
    if (!seen.insert(s).second) {
      sources.Error(key, absl::StrCat("\"", s, "\" is listed twice"));
      continue;
    }
    out->push_back(s);
  }
}

// `depends_on: [plan ids]` and `accept_unevidenced: {rto: "why"}`.
void ReadDependencies(YamlMap& doc, Plan* plan) {
  if (doc.Has("depends_on")) plan->depends_on_line = LineOf(doc.Raw("depends_on"));
  if (auto deps = doc.StringList("depends_on")) {
    for (const std::string& d : *deps) {
      if (!IsValidId(d)) {
        doc.Error("depends_on", absl::StrCat("\"", d, "\" is not a plan id (", IdRule(), ")"));
      } else if (d == plan->id) {
        doc.Error("depends_on", absl::StrCat("\"", d, "\" is this plan itself"));
      } else if (std::find(plan->depends_on.begin(), plan->depends_on.end(), d) != plan->depends_on.end()) {
        doc.Error("depends_on", absl::StrCat("\"", d, "\" is listed twice"));
      } else {
        plan->depends_on.push_back(d);
      }
    }
  }
  if (auto accept = doc.Map("accept_unevidenced")) {
    if (auto why = accept->String("rto")) {
      if (why->empty() || why->size() > 1024) {
        accept->Error("rto", "give the reason the RTO is accepted without evidence, in at most 1024 bytes");
      } else {
        plan->accept_unevidenced["rto"] = *why;
      }
    }
    accept->Finish();
  }
}

// `require: {rpo: verified, rto: restored}`: the least assurance per objective.
void ReadRequire(YamlMap& doc, Plan* plan) {
  auto require = doc.Map("require");
  if (!require) return;
  for (const char* objective : {"rpo", "rto"}) {
    auto name = require->String(objective);
    if (!name) continue;
    if (auto level = AssuranceFromName(*name)) {
      plan->require[objective] = *level;
    } else {
      require->Error(objective, absl::StrCat("\"", *name, "\" is not an assurance level; write ", AssuranceNames()));
    }
  }
  require->Finish();
}

}  // namespace

absl::StatusOr<Plan> ParsePlan(const std::string& yaml, const std::string& file_name) {
  ConfigErrors errors(file_name);
  YAML::Node root = LoadYamlString(yaml, &errors);
  if (!errors.empty()) return errors.ToStatus();
  YamlMap doc(root, "", &errors);
  if (!doc.valid()) return errors.ToStatus();

  Plan plan;
  plan.file = file_name;
  plan.sha256 = ToHex(Sha256Of(yaml));
  if (auto id = doc.String("id", kRequired)) {
    if (IsValidId(*id)) {
      plan.id = *id;
    } else {
      doc.Error("id", absl::StrCat("\"", *id, "\" is not a valid id (", IdRule(), ")"));
    }
  }
  // Names and owners are shown in every table and series: a line, not a page.
  for (auto [key, field, presence] : {std::tuple{"name", &plan.name, kRequired}, {"owner", &plan.owner, kOptional}}) {
    if (auto v = doc.String(key, presence)) {
      if (v->size() > 256) {
        doc.Error(key, absl::StrCat("is ", v->size(), " bytes long; at most 256"));
      } else {
        *field = *v;
      }
    }
  }
  if (auto tier = doc.Int("tier", 1, 9)) plan.tier = static_cast<int>(*tier);
  if (auto description = doc.String("description")) plan.description = *description;

  bool have_rto = false;
  if (auto obj = doc.Map("objectives", kRequired)) {
    if (auto rpo = obj->PositiveDuration("rpo", kRequired)) plan.rpo = *rpo;
    if (auto rto = obj->PositiveDuration("rto", kRequired)) {
      plan.rto = *rto;
      have_rto = true;
    }
    plan.mtpd = obj->PositiveDuration("mtpd");
    if (have_rto && plan.mtpd && plan.rto > *plan.mtpd) {
      obj->Error("rto", absl::StrCat("rto ", HumanDuration(plan.rto), " exceeds mtpd ", HumanDuration(*plan.mtpd),
                                     ": a service cannot take longer to recover than it may be down"));
    }
    obj->Finish();
  }
  if (auto tests = doc.Map("tests")) {
    plan.restore_every = tests->PositiveDuration("restore_every");
    plan.failover_every = tests->PositiveDuration("failover_every");
    plan.exercise_every = tests->PositiveDuration("exercise_every");
    tests->Finish();
  }
  ReadDependencies(doc, &plan);
  ReadRequire(doc, &plan);
  // A process may consist of its dependencies alone; everything else needs evidence of its own.
  if (auto sources = doc.Map("sources", plan.depends_on.empty() ? kRequired : kOptional)) {
    ReadSources(*sources, Role::kRecoveryPoint, &plan.recovery_point);
    ReadSources(*sources, Role::kIntegrity, &plan.integrity);
    ReadSources(*sources, Role::kRestoreTest, &plan.restore_test);
    ReadSources(*sources, Role::kFailover, &plan.failover);
    sources->Finish();
    if (plan.AllSources().empty() && plan.depends_on.empty() && errors.empty()) {
      doc.Error("sources",
                "names no source; give at least one, e.g. recovery_point: [db-01/pg-dump-nightly], or the plans "
                "this one depends on (depends_on: [...])");
    }
  }
  if (auto controls = doc.StringList("controls")) {
    for (const std::string& c : *controls) {
      if (!IsWellFormedControlId(c)) {
        doc.Error("controls",
                  absl::StrCat("\"", c, "\" is not a control id; write framework:control, e.g. bio2:8.13.04"));
      } else if (std::find(plan.controls.begin(), plan.controls.end(), c) == plan.controls.end()) {
        plan.controls.push_back(c);
      }
    }
  }
  ReadLivingPlanKeys(doc, &plan);
  ParseForesight(doc, &plan);
  doc.Finish();
  if (!errors.empty()) return errors.ToStatus();
  return plan;
}

absl::StatusOr<Plan> LoadPlanFile(const std::string& path) {
  ConfigErrors errors(path);
  std::string bytes;
  if (!ReadConfigFile(path, &bytes, &errors)) return errors.ToStatus();
  return ParsePlan(bytes, path);
}

absl::StatusOr<std::vector<Plan>> LoadPlansDir(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat(dir, ": cannot read plans directory: ", ec.message()));
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (!absl::EndsWith(name, ".yaml") && !absl::EndsWith(name, ".yml")) continue;
    // Whatever it is (a FIFO, a symlink out of the folder), LoadPlanFile says why it is refused.
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());

  std::vector<Plan> plans;
  std::vector<std::string> problems;
  std::map<std::string, std::string> id_file;
  for (const std::string& file : files) {
    auto plan = LoadPlanFile(file);
    if (!plan.ok()) {
      problems.push_back(std::string(plan.status().message()));
      continue;
    }
    auto [pos, inserted] = id_file.emplace(plan->id, file);
    if (!inserted) {
      problems.push_back(absl::StrCat(file, ":1: id: \"", plan->id, "\" is already used by ", pos->second));
      continue;
    }
    plans.push_back(*std::move(plan));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  if (absl::Status st = CheckDependencies(plans); !st.ok()) return st;
  for (const std::string& w : BiaWarnings(plans)) LogWarning(w);
  return plans;
}

paraat::v1::PlanDefinition ToProto(const Plan& plan) {
  paraat::v1::PlanDefinition p;
  p.set_id(plan.id);
  p.set_name(plan.name);
  p.set_owner(plan.owner);
  p.set_tier(plan.tier);
  p.set_description(plan.description);
  p.set_rpo_ns(ToNs(plan.rpo));
  p.set_rto_ns(ToNs(plan.rto));
  if (plan.mtpd) p.set_mtpd_ns(ToNs(*plan.mtpd));
  if (plan.restore_every) p.set_restore_every_ns(ToNs(*plan.restore_every));
  if (plan.failover_every) p.set_failover_every_ns(ToNs(*plan.failover_every));
  if (plan.exercise_every) p.set_exercise_every_ns(ToNs(*plan.exercise_every));
  for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
    for (const std::string& s : plan.Sources(role)) {
      auto* ref = p.add_sources();
      ref->set_role(RoleName(role));
      ref->set_source(s);
    }
  }
  for (const std::string& c : plan.controls) p.add_controls(c);
  for (const std::string& d : plan.depends_on) p.add_depends_on(d);
  for (const auto& [objective, why] : plan.accept_unevidenced) (*p.mutable_accept_unevidenced())[objective] = why;
  for (const auto& [objective, level] : plan.require) (*p.mutable_require())[objective] = AssuranceName(level);
  p.set_file(plan.file);
  p.set_sha256(plan.sha256);
  LivingPlanToProto(plan, &p);
  return p;
}

}  // namespace paraat
