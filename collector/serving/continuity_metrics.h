// The incident clock and review cadence on /metrics, for the alert rules in
// deploy/prometheus/paraat-rules.yml ("RTO passed during an open incident", "MTPD within the
// hour", "NIS2 deadline within 2 hours"):
//
//   paraat_plan_incident_open{plan}                      1 while an incident is open, else 0
//   paraat_plan_incident_elapsed_seconds{plan}           time since it started (open only)
//   paraat_plan_incident_report_due_timestamp_seconds{plan,report}
//                                                        NIS2 reports not made yet
//   paraat_plan_review_timestamp_seconds{plan}           when the plan was last reviewed
//   paraat_plan_review_plan_changed{plan}                1 when its file changed since
//
// Pure rendering of a snapshot at `now`; any thread.
#ifndef PARAAT_COLLECTOR_SERVING_CONTINUITY_METRICS_H_
#define PARAAT_COLLECTOR_SERVING_CONTINUITY_METRICS_H_

#include <string>

#include "absl/time/time.h"
#include "collector/evaluation/evaluation_loop.h"

namespace paraat {

void RenderContinuityMetrics(const EvaluationSnapshot& snapshot, absl::Time now, std::string* out);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_CONTINUITY_METRICS_H_
