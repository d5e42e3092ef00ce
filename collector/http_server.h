// A small HTTP server (civetweb) for /metrics, the status page and /healthz.
#ifndef PARAAT_COLLECTOR_HTTP_SERVER_H_
#define PARAAT_COLLECTOR_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"

struct mg_context;
struct mg_connection;

namespace paraat {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string authorization;  // the Authorization header, if any
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer();
  ~HttpServer();

  // Register before Start. `path` matches exactly.
  void Handle(const std::string& path, Handler handler);
  // `listen` is host:port (port 0 picks a free one). With `tls_cert_and_key` (a PEM file
  // holding both), serves HTTPS.
  [[nodiscard]] absl::Status Start(const std::string& listen, const std::string& tls_pem = "");
  void Stop();
  int port() const { return port_; }

 private:
  static int Dispatch(mg_connection* conn, void* self);

  std::map<std::string, Handler> handlers_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_HTTP_SERVER_H_
