// A small HTTP(S) server (libmicrohttpd) for /metrics, /healthz and the web console: GET and
// POST (form fields and file uploads), query parameters, headers and cookies, streamed response
// bodies, optional TLS with client certificates verified against a CA.
//
// Each connection has a thread of its own (connections are few: Prometheus, browsers), so a
// handler may take its time — render a page over a large store, stream a download — without
// holding up a scrape. Handlers are called concurrently and must be thread-safe.
#ifndef PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_
#define PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

struct MHD_Daemon;

namespace paraat {

struct HttpUpload {
  std::string field;
  std::string filename;  // as the browser sent it
  std::string content_type;
  std::string data;
};

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;   // query parameters, decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::map<std::string, std::string> cookies;
  std::map<std::string, std::string> form;  // POST fields (urlencoded or multipart)
  std::vector<HttpUpload> uploads;          // POST files (multipart)
  bool body_too_large = false;              // the body exceeded the server's limit; form is incomplete
  std::string user;                         // from HTTP basic authentication, when sent
  std::string password;
  std::string authorization;  // the raw Authorization header
  std::string remote_address;
  bool tls = false;
  // The verified client certificate's identities (common name, URI SANs and their last path
  // segments); empty without a certificate, or when it does not verify against the trusted CA.
  std::vector<std::string> peer_identities;

  // "" when absent.
  const std::string& Param(const std::string& name) const;
  const std::string& Header(const std::string& lower_case_name) const;
  const std::string& Cookie(const std::string& name) const;
  const std::string& Form(const std::string& name) const;
};

// A response body produced while it is sent: Read() fills `buf` with up to `max` bytes and
// returns how many (it may block until it has some), 0 at the end, -1 to abort the response.
class HttpBodyStream {
 public:
  virtual ~HttpBodyStream() = default;
  virtual ssize_t Read(char* buf, size_t max) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::shared_ptr<HttpBodyStream> stream;  // when set, sent instead of `body`
  std::map<std::string, std::string> headers;
  std::vector<std::string> cookies;  // Set-Cookie values
};

struct HttpServerOptions {
  std::string tls_cert_file;  // PEM; both set: HTTPS
  std::string tls_key_file;
  // PEM CA: with TLS, clients may present a certificate signed by it (optional for them).
  std::string client_ca_file;
  size_t max_body_bytes = 9 << 20;
  unsigned max_connections = 256;
};

enum class HttpMethods { kGet, kGetAndPost };

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before Start. `path` matches exactly; GET and HEAD unless `methods` says POST too.
  void Handle(const std::string& path, Handler handler, HttpMethods methods = HttpMethods::kGet);
  // Every path that starts with `prefix` ("/plans/") and has no exact handler; longest first.
  void HandlePrefix(const std::string& prefix, Handler handler, HttpMethods methods = HttpMethods::kGet);
  // `listen` is host:port (port 0 picks a free one).
  [[nodiscard]] absl::Status Start(const std::string& listen, const HttpServerOptions& options = {});
  void Stop();
  int port() const { return port_; }
  size_t max_body_bytes() const { return options_.max_body_bytes; }

  // Called by libmicrohttpd; public for its C callback.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  struct Route {
    Handler handler;
    HttpMethods methods;
  };
  std::map<std::string, Route> handlers_;
  std::map<std::string, Route, std::greater<>> prefixes_;  // longest (greatest) first
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  HttpServerOptions options_;
  std::string cert_, key_, trust_;  // must outlive the daemon
};

// Percent-encodes `value` for a URL query or path segment.
std::string UrlEncode(const std::string& value);
// "a=1&b=x%20y" from `params` (sorted by name), without a leading '?'.
std::string QueryString(const std::map<std::string, std::string>& params);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_HTTP_SERVER_H_
