// Continuity plans: one YAML file per critical service or process (docs/design.md, "Plan file").
#ifndef PARAAT_COLLECTOR_EVALUATION_PLAN_H_
#define PARAAT_COLLECTOR_EVALUATION_PLAN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/evaluation/assurance.h"
#include "collector/evaluation/foresight_types.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

enum class Role { kRecoveryPoint, kIntegrity, kRestoreTest, kFailover };

// Whom to call about a plan (plan key `contacts`, collector/evaluation/plan_living.h).
struct Contact {
  std::string role;  // owner | deputy | crisis | supplier | ...
  std::string name;
  std::string phone;
  std::string email;
  bool operator==(const Contact&) const = default;
};
const char* RoleName(Role role);  // "recovery_point", ...

struct Plan {
  std::string id;
  std::string name;
  std::string owner;
  int tier = 0;  // 0: not set
  std::string description;

  absl::Duration rpo;
  absl::Duration rto;
  std::optional<absl::Duration> mtpd;

  std::optional<absl::Duration> restore_every;
  std::optional<absl::Duration> failover_every;
  std::optional<absl::Duration> exercise_every;
  // Living-plan cadences and people (collector/evaluation/plan_living.h).
  std::optional<absl::Duration> review_every;
  std::optional<absl::Duration> training_every;
  std::vector<Contact> contacts;

  // Source keys ("agent/check") by role.
  std::vector<std::string> recovery_point;
  std::vector<std::string> integrity;
  std::vector<std::string> restore_test;
  std::vector<std::string> failover;

  std::vector<std::string> controls;
  ForesightPolicy foresight;  // forecast_horizon, ... (foresight.h)

  // Plans that must recover before this one (a process on its services, a service on its
  // infrastructure): docs/design.md, "Dependencies". A plan with dependencies may have no sources.
  std::vector<std::string> depends_on;
  int depends_on_line = 0;  // where `depends_on` is in the file, for load-time problems
  // Objectives the plan's owner accepts without evidence, with the reason they gave
  // (`accept_unevidenced: {rto: "..."}`): a recorded exception, never a met objective.
  std::map<std::string, std::string> accept_unevidenced;
  // The least assurance each objective must have (`require: {rpo: verified, rto: restored}`,
  // collector/evaluation/assurance.h); below it the plan is at best unknown.
  std::map<std::string, Assurance> require;

  std::string file;    // where it was loaded from
  std::string sha256;  // of the file's bytes

  const std::vector<std::string>& Sources(Role role) const;
  // Every source once, in role order.
  std::vector<std::string> AllSources() const;
  bool operator==(const Plan&) const = default;
};

// Parses and validates one plan file. Errors are InvalidArgument with one
// `file:line: key: problem` line per problem.
[[nodiscard]] absl::StatusOr<Plan> LoadPlanFile(const std::string& path);
[[nodiscard]] absl::StatusOr<Plan> ParsePlan(const std::string& yaml, const std::string& file_name);

// Loads every *.yaml and *.yml file in `dir` (not recursive), in name order. Plan ids must be
// unique across files. All problems of all files are reported together.
[[nodiscard]] absl::StatusOr<std::vector<Plan>> LoadPlansDir(const std::string& dir);

paraat::v1::PlanDefinition ToProto(const Plan& plan);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_PLAN_H_
