// The collector's machine pages on its HTTP server: /metrics (the collector's own instruments,
// then the plan, check and agent series), /healthz (liveness: the process serves) and /readyz
// (readiness: 503 with the reason while the collector cannot do its work, e.g. its evidence store
// is unavailable). With a user set, /metrics asks for HTTP basic authentication; /healthz and
// /readyz never do. The web console (console/console.h) serves the pages for people.
#ifndef PARAAT_COLLECTOR_SERVING_WEB_H_
#define PARAAT_COLLECTOR_SERVING_WEB_H_

#include <functional>
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

struct WebHooks {
  // Run before each /metrics scrape renders (gauges derived at scrape time). May be unset.
  std::function<void()> before_scrape;
  // Empty when the collector is ready; else why not, one line (/readyz answers 503 with it).
  std::function<std::string()> not_ready;
};

// Registers the pages on `server` (before it starts). Everything passed must outlive it.
void RegisterWebPages(HttpServer* server, const CollectorMetrics* metrics, const StateMetrics* state_metrics,
                      const EvaluationLoop* loop, const Clock* clock, WebAuth auth, WebHooks hooks = {});

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_WEB_H_
