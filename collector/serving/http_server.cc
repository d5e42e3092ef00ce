#include "collector/serving/http_server.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fs.h"
#include "common/net.h"

namespace paraat {
namespace {

const std::string kEmpty;

const std::string& Lookup(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? kEmpty : it->second;
}

// One request's state across libmicrohttpd's calls: headers first, then the body in chunks.
struct RequestContext {
  HttpRequest request;
  MHD_PostProcessor* post = nullptr;
  size_t body_bytes = 0;
  size_t max_body = 0;
};

MHD_Result CollectValue(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* m = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) (*m)[key] = value ? value : "";
  return MHD_YES;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* m = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) (*m)[absl::AsciiStrToLower(key)] = value ? value : "";
  return MHD_YES;
}

MHD_Result OnPostData(void* cls, MHD_ValueKind, const char* key, const char* filename, const char* content_type,
                      const char*, const char* data, uint64_t off, size_t size) {
  auto* ctx = static_cast<RequestContext*>(cls);
  if (key == nullptr) return MHD_YES;
  HttpRequest& req = ctx->request;
  if (filename != nullptr) {
    // A file's first chunk starts an upload; later chunks (off > 0) continue the last one.
    if (off == 0 || req.uploads.empty() || req.uploads.back().field != key) {
      req.uploads.push_back(HttpUpload{key, filename, content_type ? content_type : "", ""});
    }
    req.uploads.back().data.append(data, size);
  } else {
    req.form[key].append(data, size);
  }
  return MHD_YES;
}

std::string AddressText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa == nullptr) return "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof(buf));
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

// The identities of a client certificate that verified against the trusted CA: its common
// name, its URI SANs, and each URI's last path segment (spiffe://example.org/user/alice: alice),
// as gRPC's PeerIdentities gives them for the query API.
std::vector<std::string> CertificateIdentities(MHD_Connection* conn) {
  std::vector<std::string> out;
  const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr || info->tls_session == nullptr) return out;
  auto session = static_cast<gnutls_session_t>(info->tls_session);
  unsigned int verify = 0;
  if (gnutls_certificate_verify_peers2(session, &verify) != GNUTLS_E_SUCCESS || verify != 0) return out;
  unsigned int n = 0;
  const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &n);
  if (certs == nullptr || n == 0) return out;
  const unsigned char* der = certs[0].data;
  X509* x = d2i_X509(nullptr, &der, certs[0].size);
  if (x == nullptr) return out;
  char cn[256];
  int len = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
  if (len > 0) out.emplace_back(cn, static_cast<size_t>(len));
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type != GEN_URI) continue;
    std::string uri(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.uniformResourceIdentifier)),
                    static_cast<size_t>(ASN1_STRING_length(g->d.uniformResourceIdentifier)));
    out.push_back(uri);
    const size_t slash = uri.find_last_of('/');
    if (slash != std::string::npos && slash + 1 < uri.size()) out.push_back(uri.substr(slash + 1));
  }
  GENERAL_NAMES_free(sans);
  X509_free(x);
  return out;
}

RequestContext* BeginRequest(MHD_Connection* conn, const char* url, const char* method, size_t max_body) {
  auto* ctx = new RequestContext;
  ctx->max_body = max_body;
  HttpRequest& req = ctx->request;
  req.method = method ? method : "";
  req.path = url ? url : "";
  MHD_get_connection_values(conn, MHD_HEADER_KIND, &CollectHeader, &req.headers);
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, &CollectValue, &req.params);
  MHD_get_connection_values(conn, MHD_COOKIE_KIND, &CollectValue, &req.cookies);
  if (const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
    req.remote_address = AddressText(info->client_addr);
  }
  if (const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)) {
    req.tls = info->tls_session != nullptr;
    if (req.tls) req.peer_identities = CertificateIdentities(conn);
  }
  req.authorization = Lookup(req.headers, "authorization");
  if (!req.authorization.empty()) {
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
  // Form fields and files; other bodies are read and dropped.
  if (req.method == "POST") ctx->post = MHD_create_post_processor(conn, 64 * 1024, &OnPostData, ctx);
  return ctx;
}

ssize_t ReadStream(void* cls, uint64_t, char* buf, size_t max) {
  auto* stream = static_cast<std::shared_ptr<HttpBodyStream>*>(cls);
  const ssize_t n = (*stream)->Read(buf, max);
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
  return n;
}

void FreeStream(void* cls) { delete static_cast<std::shared_ptr<HttpBodyStream>*>(cls); }

MHD_Result Respond(MHD_Connection* conn, HttpResponse resp) {
  MHD_Response* r =
      resp.stream ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, &ReadStream,
                                                      new std::shared_ptr<HttpBodyStream>(resp.stream), &FreeStream)
                  : MHD_create_response_from_buffer(resp.body.size(), resp.body.data(), MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type.c_str());
  if (!resp.headers.count("Cache-Control")) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  for (const auto& [k, v] : resp.headers) MHD_add_response_header(r, k.c_str(), v.c_str());
  for (const std::string& c : resp.cookies) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, c.c_str());
  MHD_Result ret = MHD_queue_response(conn, static_cast<unsigned>(resp.status), r);
  MHD_destroy_response(r);
  return ret;
}

MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method, const char*,
                     const char* upload_data, size_t* upload_data_size, void** con_cls) {
  const auto* server = static_cast<const HttpServer*>(cls);
  if (*con_cls == nullptr) {
    *con_cls = BeginRequest(conn, url, method, server->max_body_bytes());
    return MHD_YES;
  }
  auto* ctx = static_cast<RequestContext*>(*con_cls);
  if (*upload_data_size != 0) {
    ctx->body_bytes += *upload_data_size;
    if (ctx->body_bytes > ctx->max_body) {
      ctx->request.body_too_large = true;
    } else if (ctx->post != nullptr) {
      MHD_post_process(ctx->post, upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->post != nullptr) {
    MHD_destroy_post_processor(ctx->post);
    ctx->post = nullptr;
  }
  return Respond(conn, server->Dispatch(ctx->request));
}

void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  auto* ctx = static_cast<RequestContext*>(*con_cls);
  if (ctx == nullptr) return;
  if (ctx->post != nullptr) MHD_destroy_post_processor(ctx->post);
  delete ctx;
  *con_cls = nullptr;
}

}  // namespace

const std::string& HttpRequest::Param(const std::string& name) const { return Lookup(params, name); }
const std::string& HttpRequest::Header(const std::string& name) const { return Lookup(headers, name); }
const std::string& HttpRequest::Cookie(const std::string& name) const { return Lookup(cookies, name); }
const std::string& HttpRequest::Form(const std::string& name) const { return Lookup(form, name); }

std::string UrlEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string QueryString(const std::map<std::string, std::string>& params) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(absl::StrCat(UrlEncode(k), "=", UrlEncode(v)));
  return absl::StrJoin(parts, "&");
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, Handler handler, HttpMethods methods) {
  handlers_[path] = Route{std::move(handler), methods};
}

void HttpServer::HandlePrefix(const std::string& prefix, Handler handler, HttpMethods methods) {
  prefixes_[prefix] = Route{std::move(handler), methods};
}

HttpResponse HttpServer::Dispatch(const HttpRequest& req) const {
  const Route* route = nullptr;
  if (auto it = handlers_.find(req.path); it != handlers_.end()) {
    route = &it->second;
  } else {
    for (const auto& [prefix, r] : prefixes_) {
      if (req.path.compare(0, prefix.size(), prefix) == 0) {
        route = &r;
        break;
      }
    }
  }
  HttpResponse resp;
  const bool read = req.method == "GET" || req.method == "HEAD";
  if (route == nullptr) {
    resp.status = 404;
    resp.body = "not found\n";
  } else if (!read && !(route->methods == HttpMethods::kGetAndPost && req.method == "POST")) {
    resp.status = 405;
    resp.body = route->methods == HttpMethods::kGet ? "only GET\n" : "only GET and POST\n";
    resp.headers["Allow"] = route->methods == HttpMethods::kGet ? "GET, HEAD" : "GET, HEAD, POST";
  } else {
    resp = route->handler(req);
  }
  return resp;
}

absl::Status HttpServer::Start(const std::string& listen, const HttpServerOptions& options) {
  options_ = options;
  std::string host;
  int port;
  if (!SplitHostPort(listen, &host, &port)) return absl::InvalidArgumentError(absl::StrCat("bad address ", listen));
  sockaddr_storage addr{};
  // A thread a connection, polled with poll() (MHD_USE_AUTO picks it): with 10,000 agent
  // connections open, descriptors are far above select()'s FD_SETSIZE; and a page rendered over
  // a large store, or a download, holds only its own connection's thread.
  unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
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
    if (!options.client_ca_file.empty()) {
      auto ca = ReadFile(options.client_ca_file);
      if (!ca.ok()) return ca.status();
      trust_ = *ca;
    }
    flags |= MHD_USE_TLS;
  }
  MHD_OptionItem opts[8];
  int n = 0;
  opts[n++] = {MHD_OPTION_SOCK_ADDR, 0, &addr};
  opts[n++] = {MHD_OPTION_CONNECTION_TIMEOUT, 30, nullptr};
  opts[n++] = {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(options.max_connections), nullptr};
  opts[n++] = {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&OnCompleted), nullptr};
  if (tls) {
    opts[n++] = {MHD_OPTION_HTTPS_MEM_CERT, 0, cert_.data()};
    opts[n++] = {MHD_OPTION_HTTPS_MEM_KEY, 0, key_.data()};
    // With a trusted CA, libmicrohttpd asks for a client certificate; clients without one
    // (Prometheus, a browser without a certificate) still connect.
    if (!trust_.empty()) opts[n++] = {MHD_OPTION_HTTPS_MEM_TRUST, 0, trust_.data()};
  }
  opts[n++] = {MHD_OPTION_END, 0, nullptr};
  daemon_ = MHD_start_daemon(flags, static_cast<uint16_t>(port), nullptr, nullptr, &OnRequest, this, MHD_OPTION_ARRAY,
                             opts, MHD_OPTION_END);
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
