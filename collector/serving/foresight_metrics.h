// The plan series of the foresight signals (collector/evaluation/foresight.h), beside the other
// plan series on /metrics:
//   paraat_plan_restore_forecast_breach_timestamp_seconds{plan}  when the restore trend crosses the RTO
#ifndef PARAAT_COLLECTOR_SERVING_FORESIGHT_METRICS_H_
#define PARAAT_COLLECTOR_SERVING_FORESIGHT_METRICS_H_

#include <string>
#include <vector>

#include "collector/evaluation/evaluation_loop.h"

namespace paraat {

void RenderForesightMetrics(const std::vector<PlanView>& plans, std::string* out);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_FORESIGHT_METRICS_H_
