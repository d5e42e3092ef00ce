// The collector's read-only status page: the plan table, refreshing itself, for teams
// without Grafana. Self-contained HTML; no scripts, no external resources.
#ifndef PARAAT_COLLECTOR_SERVING_STATUS_PAGE_H_
#define PARAAT_COLLECTOR_SERVING_STATUS_PAGE_H_

#include <string>

#include "collector/evaluation/evaluation_loop.h"

namespace paraat {

std::string RenderStatusPage(const EvaluationSnapshot& snapshot, absl::Time now);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_STATUS_PAGE_H_
