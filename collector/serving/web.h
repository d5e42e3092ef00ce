// The collector's machine pages on its HTTP server: /metrics (the collector's own instruments,
// then the plan, check and agent series) and /healthz. With a user set, /metrics asks for HTTP
// basic authentication. The web console (console/console.h) serves the pages for people.
#ifndef PARAAT_COLLECTOR_SERVING_WEB_H_
#define PARAAT_COLLECTOR_SERVING_WEB_H_

#include <memory>
#include <string>

#include "collector/evaluation/evaluation_loop.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/serving/http_server.h"
#include "collector/serving/metrics_exporter.h"
#include "common/clock.h"

namespace paraat {

struct WebAuth {
  std::string user;  // empty: no authentication
  std::string password;
};

// Registers the pages on `server` (before it starts). Everything passed must outlive it.
void RegisterWebPages(HttpServer* server, const CollectorMetrics* metrics, const StateMetrics* state_metrics,
                      const EvaluationLoop* loop, const Clock* clock, WebAuth auth);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_WEB_H_
