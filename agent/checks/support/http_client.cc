#include "agent/checks/support/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <functional>

#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/dynamic_library.h"

namespace paraat {
namespace {

// libcurl, loaded when a check first needs it.
// clang-format off
#define PARAAT_LIBCURL(X)          \
  X(cleanup, curl_easy_cleanup)    \
  X(getinfo, curl_easy_getinfo)    \
  X(init, curl_easy_init)          \
  X(perform, curl_easy_perform)    \
  X(setopt, curl_easy_setopt)      \
  X(strerror, curl_easy_strerror)  \
  X(global_init, curl_global_init) \
  X(slist_append, curl_slist_append) \
  X(slist_free_all, curl_slist_free_all)
// clang-format on
struct LibCurl {
  PARAAT_LIBCURL(PARAAT_DECLARE_FUNCTION)
};
const absl::StatusOr<LibCurl>& LoadLibCurl() {
  return LoadLibraryOnce<LibCurl>("libcurl.so.4", "libcurl4", [](DynamicLibrary& lib, LibCurl& api) {
    PARAAT_LIBCURL(PARAAT_BIND_FUNCTION)
    if (lib.error().ok() && api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      lib.Fail(absl::InternalError("cannot initialise libcurl"));
    }
  });
}
// Only after LoadLibCurl() succeeded.
const LibCurl& Curl() { return *LoadLibCurl(); }

size_t Collect(char* data, size_t size, size_t n, void* out) {
  auto* response = static_cast<HttpClientResponse*>(out);
  std::string* body = &response->body;
  const size_t room = (1u << 20) - body->size();
  if (size * n > room) response->truncated = true;
  body->append(data, std::min(size * n, room));
  return size * n;
}

// Method, headers, authentication and TLS; the returned list is freed after the request.
curl_slist* SetRequestOptions(CURL* curl, const HttpClientRequest& request) {
  if (request.method == "POST") {
    Curl().setopt(curl, CURLOPT_POST, 1L);
    Curl().setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    Curl().setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
  } else if (request.method != "GET") {
    Curl().setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = Curl().slist_append(headers, h.c_str());
  if (headers != nullptr) Curl().setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!request.user.empty()) {
    Curl().setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    Curl().setopt(curl, CURLOPT_USERNAME, request.user.c_str());
    Curl().setopt(curl, CURLOPT_PASSWORD, request.password.c_str());
  }
  if (!request.cert_file.empty()) Curl().setopt(curl, CURLOPT_SSLCERT, request.cert_file.c_str());
  if (!request.key_file.empty()) Curl().setopt(curl, CURLOPT_SSLKEY, request.key_file.c_str());
  if (!request.verify_tls) {
    Curl().setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    Curl().setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return headers;
}

int Abort(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
}

// The server certificate's expiry, from the first certificate of the chain.
std::optional<absl::Time> CertificateExpiry(CURL* curl) {
  std::optional<absl::Time> expires;
  curl_certinfo* certs = nullptr;
  if (Curl().getinfo(curl, CURLINFO_CERTINFO, &certs) != CURLE_OK || !certs || certs->num_of_certs <= 0) {
    return expires;
  }
  for (curl_slist* s = certs->certinfo[0]; s; s = s->next) {
    absl::string_view line = s->data;
    if (!absl::ConsumePrefix(&line, "Expire date:")) continue;
    absl::Time t;
    std::string err;
    std::string value(absl::StripAsciiWhitespace(line));
    if (absl::ParseTime("%b %d %H:%M:%S %Y GMT", value, &t, &err) ||
        absl::ParseTime("%Y-%m-%d %H:%M:%S GMT", value, &t, &err)) {
      expires = t;
    }
  }
  return expires;
}

}  // namespace

absl::StatusOr<HttpClientResponse> HttpGet(const CheckContext& ctx, const HttpClientRequest& request) {
  if (const auto& api = LoadLibCurl(); !api.ok()) return api.status();
  CURL* curl = Curl().init();
  if (curl == nullptr) return absl::InternalError("cannot initialise libcurl");
  HttpClientResponse out;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(
      absl::ToInt64Milliseconds(ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(100), absl::Seconds(300))));
  Curl().setopt(curl, CURLOPT_URL, request.url.c_str());
  Curl().setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  Curl().setopt(curl, CURLOPT_WRITEDATA, &out);
  Curl().setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  Curl().setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  Curl().setopt(curl, CURLOPT_NOSIGNAL, 1L);
  Curl().setopt(curl, CURLOPT_CERTINFO, 1L);
  Curl().setopt(curl, CURLOPT_NOPROXY, "*");
  Curl().setopt(curl, CURLOPT_USERAGENT, "paraat-agent");
  Curl().setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  Curl().setopt(curl, CURLOPT_XFERINFOFUNCTION, &Abort);
  Curl().setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::function<bool()>*>(&ctx.cancelled));
  Curl().setopt(curl, CURLOPT_NOPROGRESS, 0L);
  if (!request.ca_file.empty()) Curl().setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_slist* headers = SetRequestOptions(curl, request);

  const absl::Duration start = ctx.clock->Monotonic();
  const CURLcode rc = Curl().perform(curl);
  out.took = ctx.clock->Monotonic() - start;
  Curl().getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  out.certificate_expires = CertificateExpiry(curl);
  Curl().cleanup(curl);
  if (headers != nullptr) Curl().slist_free_all(headers);
  if (rc == CURLE_OK) {
    out.ending = HttpClientResponse::Ending::kAnswered;
  } else {
    out.error = errbuf[0] ? errbuf : Curl().strerror(rc);
    out.ending = rc == CURLE_ABORTED_BY_CALLBACK  ? HttpClientResponse::Ending::kCancelled
                 : rc == CURLE_OPERATION_TIMEDOUT ? HttpClientResponse::Ending::kTimedOut
                                                  : HttpClientResponse::Ending::kFailed;
  }
  return out;
}

}  // namespace paraat
