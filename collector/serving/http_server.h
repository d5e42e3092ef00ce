// A small HTTP(S) server (libmicrohttpd) for /metrics, the status page and /healthz, with
// optional TLS and HTTP basic authentication.
#ifndef PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_
#define PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"

struct MHD_Daemon;

namespace paraat {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string user;  // from HTTP basic authentication, when sent
  std::string password;
  std::string authorization;  // the raw Authorization header
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

struct HttpServerOptions {
  std::string tls_cert_file;  // PEM; both set: HTTPS
  std::string tls_key_file;
  int threads = 4;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before Start. `path` matches exactly.
  void Handle(const std::string& path, Handler handler);
  // `listen` is host:port (port 0 picks a free one).
  [[nodiscard]] absl::Status Start(const std::string& listen, const HttpServerOptions& options = {});
  void Stop();
  int port() const { return port_; }

  // Called by libmicrohttpd; public for its C callback.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  std::map<std::string, Handler> handlers_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::string cert_, key_;  // must outlive the daemon
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_
