#include "collector/serving/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/net.h"

namespace paraat {
namespace {

MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method, const char*, const char*,
                     size_t* upload_data_size, void** con_cls) {
  // Bodies are not accepted: every endpoint is a GET.
  if (*con_cls == nullptr) {
    static int marker;
    *con_cls = &marker;
    if (*upload_data_size == 0) {
      // fall through to answer at once
    } else {
      return MHD_YES;
    }
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  const auto* server = static_cast<const HttpServer*>(cls);
  HttpRequest req;
  req.method = method ? method : "";
  req.path = url ? url : "";
  if (const char* auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)) {
    req.authorization = auth;
    char* password = nullptr;
    if (char* user = MHD_basic_auth_get_username_password(conn, &password)) {
      req.user = user;
      MHD_free(user);
    }
    if (password) {
      req.password = password;
      MHD_free(password);
    }
  }
  HttpResponse resp = server->Dispatch(req);
  MHD_Response* r = MHD_create_response_from_buffer(resp.body.size(), resp.body.data(), MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type.c_str());
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (const auto& [k, v] : resp.headers) MHD_add_response_header(r, k.c_str(), v.c_str());
  MHD_Result ret = MHD_queue_response(conn, static_cast<unsigned>(resp.status), r);
  MHD_destroy_response(r);
  return ret;
}

}  // namespace

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, Handler handler) { handlers_[path] = std::move(handler); }

HttpResponse HttpServer::Dispatch(const HttpRequest& req) const {
  HttpResponse resp;
  auto it = handlers_.find(req.path);
  if (it == handlers_.end()) {
    resp.status = 404;
    resp.body = "not found\n";
  } else if (req.method != "GET" && req.method != "HEAD") {
    resp.status = 405;
    resp.body = "only GET\n";
    resp.headers["Allow"] = "GET, HEAD";
  } else {
    resp = it->second(req);
  }
  return resp;
}

absl::Status HttpServer::Start(const std::string& listen, const HttpServerOptions& options) {
  std::string host;
  int port;
  if (!SplitHostPort(listen, &host, &port)) return absl::InvalidArgumentError(absl::StrCat("bad address ", listen));
  sockaddr_storage addr{};
  // epoll (MHD_USE_AUTO picks it on Linux): with 10,000 agent connections open, descriptors are
  // far above select()'s FD_SETSIZE and a select()-based server could not accept a scrape.
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("bad IPv6 address ", host));
    }
    flags |= MHD_USE_IPv6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    if (host == "localhost") host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("\"", host, "\" is not an IP address to listen on"));
    }
  }
  const bool tls = !options.tls_cert_file.empty();
  if (tls) {
    auto cert = ReadFile(options.tls_cert_file);
    auto key = ReadFile(options.tls_key_file);
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    cert_ = *cert;
    key_ = *key;
    flags |= MHD_USE_TLS;
  }
  if (tls) {
    daemon_ = MHD_start_daemon(flags, static_cast<uint16_t>(port), nullptr, nullptr, &OnRequest, this,
                               MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, options.threads,
                               MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_HTTPS_MEM_CERT, cert_.c_str(),
                               MHD_OPTION_HTTPS_MEM_KEY, key_.c_str(), MHD_OPTION_END);
  } else {
    daemon_ = MHD_start_daemon(flags, static_cast<uint16_t>(port), nullptr, nullptr, &OnRequest, this,
                               MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, options.threads,
                               MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  }
  if (daemon_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP", tls ? "S" : "", " on ", listen,
                                               " (address in use, not permitted, or unusable TLS files?)"));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : port;
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

}  // namespace paraat
