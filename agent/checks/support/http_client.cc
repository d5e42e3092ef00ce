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
  X(global_init, curl_global_init)
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
  auto* body = static_cast<std::string*>(out);
  if (body->size() < (1 << 20)) body->append(data, std::min(size * n, (1u << 20) - body->size()));
  return size * n;
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

absl::StatusOr<HttpResponse> HttpGet(const CheckContext& ctx, const HttpRequest& request) {
  if (const auto& api = LoadLibCurl(); !api.ok()) return api.status();
  CURL* curl = Curl().init();
  if (curl == nullptr) return absl::InternalError("cannot initialise libcurl");
  HttpResponse out;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(
      absl::ToInt64Milliseconds(ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(100), absl::Seconds(300))));
  Curl().setopt(curl, CURLOPT_URL, request.url.c_str());
  Curl().setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  Curl().setopt(curl, CURLOPT_WRITEDATA, &out.body);
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

  const absl::Duration start = ctx.clock->Monotonic();
  const CURLcode rc = Curl().perform(curl);
  out.took = ctx.clock->Monotonic() - start;
  Curl().getinfo(curl, CURLINFO_RESPONSE_CODE, &out.status);
  out.certificate_expires = CertificateExpiry(curl);
  Curl().cleanup(curl);
  if (rc == CURLE_OK) {
    out.ending = HttpResponse::Ending::kAnswered;
  } else {
    out.error = errbuf[0] ? errbuf : Curl().strerror(rc);
    out.ending = rc == CURLE_ABORTED_BY_CALLBACK  ? HttpResponse::Ending::kCancelled
                 : rc == CURLE_OPERATION_TIMEDOUT ? HttpResponse::Ending::kTimedOut
                                                  : HttpResponse::Ending::kFailed;
  }
  return out;
}

}  // namespace paraat
