#include "collector/serving/web.h"

#include <optional>

#include "collector/serving/auth.h"
#include "prometheus/text_serializer.h"

namespace paraat {

void RegisterWebPages(HttpServer* server, const CollectorMetrics* metrics, const StateMetrics* state_metrics,
                      const EvaluationLoop* loop, const Clock* clock, WebAuth auth, WebHooks hooks) {
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
  server->Handle("/metrics", [metrics, state_metrics, denied, before = hooks.before_scrape](const HttpRequest& req) {
    if (auto d = denied(req)) return *d;
    if (before) before();
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
  server->Handle("/readyz", [not_ready = hooks.not_ready](const HttpRequest&) {
    HttpResponse r;
    const std::string why = not_ready ? not_ready() : "";
    r.status = why.empty() ? 200 : 503;
    r.body = why.empty() ? "ready\n" : why + "\n";
    return r;
  });
}

}  // namespace paraat
