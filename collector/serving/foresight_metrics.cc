#include "collector/serving/foresight_metrics.h"

#include "collector/serving/metrics_exporter.h"

namespace paraat {

void RenderForesightMetrics(const std::vector<PlanView>& plans, std::string* out) {
  TextFamily breach("paraat_plan_restore_forecast_breach_timestamp_seconds",
                    "When the trend of the plan's restore tests crosses the RTO (only while they grow)");
  TextFamily copies("paraat_plan_copies",
                    "Usable copies of the plan's data, off-site, immutable and distinct media (3-2-1-1-0)");
  std::string plan;
  for (const PlanView& v : plans) {
    const ForesightFindings& f = v.evaluation.foresight;
    plan.clear();
    AppendLabel(&plan, "plan", v.plan->id);
    if (f.restore_forecast_breach) {
      breach.Add(plan, absl::ToDoubleSeconds(*f.restore_forecast_breach - absl::UnixEpoch()));
    }
    if (f.copies) {
      for (auto [kind, n] : {std::pair{"total", f.copies->total}, std::pair{"offsite", f.copies->offsite},
                             std::pair{"immutable", f.copies->immutable}, std::pair{"media", f.copies->media}}) {
        std::string l = plan;
        AppendLabel(&l, "kind", kind);
        copies.Add(l, n);
      }
    }
  }
  breach.AppendTo(out);
  copies.AppendTo(out);
}

}  // namespace paraat
