// Plans that depend on plans (docs/design.md, "Dependencies and recovery time"): a process on its
// services, a service on its infrastructure. Checked once at load (unknown ids, cycles: errors;
// objectives that do not fit together: warnings), and applied after every plan was evaluated on
// its own evidence: states propagate along the chain and the measured recovery times add up.
// Pure functions of their arguments; no I/O, no clock reads.
#ifndef PARAAT_COLLECTOR_EVALUATION_DEPENDENCIES_H_
#define PARAAT_COLLECTOR_EVALUATION_DEPENDENCIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan.h"

namespace paraat {

// InvalidArgument with one `file:line: depends_on: problem` line per unknown id and per cycle
// (`cycle brp -> ad -> brp`); OK when the dependencies form a graph without cycles.
[[nodiscard]] absl::Status CheckDependencies(const std::vector<Plan>& plans);

// Business impact analysis that does not fit together: a dependency that may take longer to
// recover (RTO) or stay down longer (MTPD) than the plan that needs it. One message per problem,
// without the file position (MachineText: "dependency ad: RTO 8h exceeds this plan's RTO 4h").
std::vector<Detail> BiaInconsistencies(const Plan& plan, const Plan& dependency);
// Every inconsistency of every plan, as `file:line: depends_on: text` warnings.
std::vector<std::string> BiaWarnings(const std::vector<Plan>& plans);

struct ChainMember {
  const Plan* plan;
  Evaluation* evaluation;  // the plan's evaluation on its own evidence; updated in place
};

// Applies the chain rules to evaluations of one plan set: dependency_not_ready / _unknown,
// bia_inconsistent, recovery_chain_exceeds_rto / _mtpd, recovery_chain_unevidenced,
// recovery_chain_margin; fills in the effective recovery times, critical paths and waves, and
// settles each state again. Dependencies outside `members` are ignored (CheckDependencies
// refuses such plan sets at load).
void ApplyDependencies(const std::vector<ChainMember>& members, double margin = 0.8);

struct ChainView {
  const Plan* plan;
  const Evaluation* evaluation;  // after ApplyDependencies
};

// Indices into `plans` in recovery order: by wave, then by id; only `plan_id` and what it
// depends on (transitively) when it is not empty.
std::vector<size_t> RecoveryOrder(const std::vector<ChainView>& plans, const std::string& plan_id = "");
// Whether plans[i] is on the critical path of `plan_id`, or (when empty) of any plan that has
// dependencies and that no plan depends on.
std::vector<bool> OnCriticalPath(const std::vector<ChainView>& plans, const std::string& plan_id = "");

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_DEPENDENCIES_H_
