#include "collector/serving/foresight_metrics.h"

#include "collector/serving/metrics_exporter.h"

namespace paraat {

void RenderForesightMetrics(const std::vector<PlanView>& plans, std::string* out) {
  TextFamily breach("paraat_plan_restore_forecast_breach_timestamp_seconds",
                    "When the trend of the plan's restore tests crosses the RTO (only while they grow)");
  std::string plan;
  for (const PlanView& v : plans) {
    const ForesightFindings& f = v.evaluation.foresight;
    plan.clear();
    AppendLabel(&plan, "plan", v.plan->id);
    if (f.restore_forecast_breach) {
      breach.Add(plan, absl::ToDoubleSeconds(*f.restore_forecast_breach - absl::UnixEpoch()));
    }
  }
  breach.AppendTo(out);
}

}  // namespace paraat
