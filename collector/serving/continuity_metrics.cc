#include "collector/serving/continuity_metrics.h"

#include <algorithm>

#include "collector/serving/metrics_exporter.h"

namespace paraat {

void RenderContinuityMetrics(const EvaluationSnapshot& snap, absl::Time now, std::string* out) {
  TextFamily open("paraat_plan_incident_open", "1 while an incident is open on the plan's service");
  TextFamily elapsed("paraat_plan_incident_elapsed_seconds", "Time since the open incident started");
  TextFamily report_due("paraat_plan_incident_report_due_timestamp_seconds",
                        "When each NIS2 report not yet made about a significant incident falls due");
  TextFamily reviewed("paraat_plan_review_timestamp_seconds", "When the plan was last reviewed");
  TextFamily changed("paraat_plan_review_plan_changed", "1 when the plan file changed since its last review");
  std::string plan;
  for (const PlanView& v : snap.plans) {
    const ContinuityEvaluation& c = v.evaluation.continuity;
    plan.clear();
    AppendLabel(&plan, "plan", v.plan->id);
    const bool is_open = c.incident && !c.incident->recovered;
    open.Add(plan, is_open ? 1 : 0);
    if (is_open) elapsed.Add(plan, std::max(0.0, absl::ToDoubleSeconds(now - c.incident->started)));
    for (const IncidentDeadline& d : c.deadlines) {
      if (d.done) continue;
      std::string l = plan;
      AppendLabel(&l, "report", d.report);
      report_due.Add(l, absl::ToDoubleSeconds(d.due - absl::UnixEpoch()));
    }
    if (c.last_review) {
      reviewed.Add(plan, absl::ToDoubleSeconds(c.last_review->reviewed - absl::UnixEpoch()));
      changed.Add(plan, c.plan_changed_since_review ? 1 : 0);
    }
  }
  for (const TextFamily* f : {&open, &elapsed, &report_due, &reviewed, &changed}) f->AppendTo(out);
}

}  // namespace paraat
