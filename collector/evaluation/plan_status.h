// Converting evaluations to the query API's PlanStatus, in one place.
#ifndef PARAAT_COLLECTOR_EVALUATION_PLAN_STATUS_H_
#define PARAAT_COLLECTOR_EVALUATION_PLAN_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/evaluation/evaluation_loop.h"
#include "paraat/v1/plan.pb.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

paraat::v1::PlanStatus ToPlanStatus(const PlanView& view, absl::Time evaluated_at);
void ToProto(const Reason& reason, paraat::v1::Reason* out);

// Plans worst first (not_ready, unknown, at_risk, ready), then by tier and id.
std::vector<paraat::v1::PlanStatus> SortedStatuses(const EvaluationSnapshot& snapshot);

// The plans in recovery order (collector/evaluation/dependencies.h): every plan, or `plan_id` and
// what it depends on. NotFound when `plan_id` names no plan.
absl::StatusOr<paraat::v1::GetRecoveryOrderResponse> RecoveryOrderOf(const EvaluationSnapshot& snapshot,
                                                                     const std::string& plan_id);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_PLAN_STATUS_H_
