#include "collector/http_server.h"

#include <civetweb.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/net.h"

namespace paraat {

HttpServer::HttpServer() {
  static const bool initialised = [] {
    mg_init_library(MG_FEATURES_TLS);
    return true;
  }();
  (void)initialised;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, Handler handler) { handlers_[path] = std::move(handler); }

absl::Status HttpServer::Start(const std::string& listen, const std::string& tls_pem) {
  std::string host;
  int port;
  if (!SplitHostPort(listen, &host, &port)) return absl::InvalidArgumentError(absl::StrCat("bad address ", listen));
  std::string ports = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port) : listen;
  if (!tls_pem.empty()) ports += "s";
  std::vector<const char*> options = {"listening_ports", ports.c_str(), "num_threads", "4",
                                      "request_timeout_ms", "30000", "enable_keep_alive", "yes"};
  if (!tls_pem.empty()) {
    options.push_back("ssl_certificate");
    options.push_back(tls_pem.c_str());
  }
  options.push_back(nullptr);
  mg_callbacks callbacks{};
  ctx_ = mg_start(&callbacks, this, options.data());
  if (ctx_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", listen,
                                               " (address in use, or not permitted?)"));
  }
  mg_server_port sp[4];
  int n = mg_get_server_ports(ctx_, 4, sp);
  port_ = n > 0 ? sp[0].port : port;
  for (const auto& [path, handler] : handlers_) {
    mg_set_request_handler(ctx_, path.c_str(), &HttpServer::Dispatch, this);
  }
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (ctx_ != nullptr) {
    mg_stop(ctx_);
    ctx_ = nullptr;
  }
}

int HttpServer::Dispatch(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<HttpServer*>(self_ptr);
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest req;
  req.method = info->request_method ? info->request_method : "";
  req.path = info->local_uri ? info->local_uri : "";
  req.query = info->query_string ? info->query_string : "";
  if (const char* auth = mg_get_header(conn, "Authorization")) req.authorization = auth;
  HttpResponse resp;
  auto it = self->handlers_.find(req.path);
  if (it == self->handlers_.end()) {
    resp.status = 404;
    resp.body = "not found\n";
  } else if (req.method != "GET" && req.method != "HEAD") {
    resp.status = 405;
    resp.body = "only GET\n";
  } else {
    resp = it->second(req);
  }
  std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " ", mg_get_response_code_text(conn, resp.status),
                                  "\r\nContent-Type: ", resp.content_type, "\r\nContent-Length: ", resp.body.size(),
                                  "\r\nCache-Control: no-store\r\n");
  for (const auto& [k, v] : resp.headers) absl::StrAppend(&head, k, ": ", v, "\r\n");
  head += "\r\n";
  mg_write(conn, head.data(), head.size());
  if (req.method != "HEAD") mg_write(conn, resp.body.data(), resp.body.size());
  return resp.status;
}

}  // namespace paraat
