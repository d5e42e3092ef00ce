#include "collector/serving/web.h"

#include <optional>

#include "collector/serving/auth.h"
#include "prometheus/text_serializer.h"

namespace paraat {

void RegisterWebPages(HttpServer* server, const CollectorMetrics* metrics, const StateMetrics* state_metrics,
                      const EvaluationLoop* loop, const Clock* clock, WebAuth auth) {
  // With metrics_auth, every page needs the user and password (HTTP basic authentication).
  auto denied = [auth = std::move(auth)](const HttpRequest& req) -> std::optional<HttpResponse> {
    if (auth.user.empty()) return std::nullopt;
    if (req.user == auth.user && SecretEquals(req.password, auth.password)) return std::nullopt;
    HttpResponse r;
    r.status = 401;
    r.body = "authentication required\n";
    r.headers["WWW-Authenticate"] = "Basic realm=\"paraat\", charset=\"UTF-8\"";
    return r;
  };
  server->Handle("/metrics", [metrics, state_metrics, denied](const HttpRequest& req) {
    if (auto d = denied(req)) return *d;
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(metrics->registry()->Collect());
    state_metrics->Render(&r.body);
    return r;
  });
  server->Handle("/healthz", [](const HttpRequest&) {
    HttpResponse r;
    r.body = "ok\n";
    return r;
  });
}

}  // namespace paraat
