#include "agent/checks/http.h"

#include <curl/curl.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/dynamic_library.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

namespace {

// libcurl, loaded when an http check first needs it.
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

}  // namespace

std::unique_ptr<Check> HttpCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("url", kRequired)) {
    if (!absl::StartsWith(*v, "http://") && !absl::StartsWith(*v, "https://")) {
      keys.Error("url", "must start with http:// or https://");
    } else {
      o.url = *v;
    }
  }
  YAML::Node status = keys.Raw("expect_status");
  if (status.IsDefined() && !status.IsNull()) {
    o.expect_status.clear();
    std::vector<std::string> items;
    if (status.IsScalar()) {
      items.push_back(status.Scalar());
    } else if (status.IsSequence()) {
      for (const auto& s : status) items.push_back(s.IsScalar() ? s.Scalar() : "");
    }
    for (const auto& s : items) {
      int code;
      if (!absl::SimpleAtoi(s, &code) || code < 100 || code > 599) {
        keys.Error("expect_status", absl::StrCat("\"", s, "\" is not an HTTP status code"));
      } else {
        o.expect_status.push_back(code);
      }
    }
  }
  if (auto v = keys.String("body_contains")) o.body_contains = *v;
  if (auto v = PathKey(keys, env, "ca_file")) o.ca_file = *v;
  if (auto v = keys.Duration("cert_min_validity")) o.cert_min_validity = *v;
  if (o.url.empty()) return nullptr;
  return std::make_unique<HttpCheck>(std::move(o));
}

namespace {
size_t Collect(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() < (1 << 20)) body->append(data, std::min(size * n, (1u << 20) - body->size()));
  return size * n;
}
int Abort(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(cancelled))() ? 1 : 0;
}
}  // namespace

void HttpCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  if (const auto& api = LoadLibCurl(); !api.ok()) {
    Error(r, std::string(api.status().message()));
    return;
  }
  AddDetail(r, "url", options_.url);
  CURL* curl = Curl().init();
  if (curl == nullptr) {
    Error(r, "cannot initialise libcurl");
    return;
  }
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(
      absl::ToInt64Milliseconds(ClientTimeout(ctx, absl::Seconds(30), absl::Milliseconds(100), absl::Seconds(300))));
  Curl().setopt(curl, CURLOPT_URL, options_.url.c_str());
  Curl().setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  Curl().setopt(curl, CURLOPT_WRITEDATA, &body);
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
  if (!options_.ca_file.empty()) Curl().setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());

  const absl::Duration start = ctx.clock->Monotonic();
  CURLcode rc = Curl().perform(curl);
  const double secs = absl::ToDoubleSeconds(ctx.clock->Monotonic() - start);
  long code = 0;
  Curl().getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  // The server certificate's expiry, from the first certificate of the chain.
  std::optional<absl::Time> expires;
  curl_certinfo* certs = nullptr;
  if (Curl().getinfo(curl, CURLINFO_CERTINFO, &certs) == CURLE_OK && certs && certs->num_of_certs > 0) {
    for (curl_slist* s = certs->certinfo[0]; s; s = s->next) {
      absl::string_view line = s->data;
      if (absl::ConsumePrefix(&line, "Expire date:")) {
        absl::Time t;
        std::string err;
        std::string value(absl::StripAsciiWhitespace(line));
        if (absl::ParseTime("%b %d %H:%M:%S %Y GMT", value, &t, &err) ||
            absl::ParseTime("%Y-%m-%d %H:%M:%S GMT", value, &t, &err)) {
          expires = t;
        }
      }
    }
  }
  Curl().cleanup(curl);
  auto* facts = r->mutable_facts();
  AddValue(r, "response_time", secs, "s");
  if (rc != CURLE_OK) {
    facts->set_ready(false);
    std::string why = errbuf[0] ? errbuf : Curl().strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      Error(r, "stopped: the agent is shutting down");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      Fail(r, absl::StrCat(options_.url, " did not answer in time: ", why));
    } else {
      // Refused connections, failed or untrusted TLS (an expired certificate), unresolvable
      // names: the target is not usable.
      Fail(r, absl::StrCat(options_.url, ": ", why));
    }
    return;
  }
  AddDetail(r, "status", absl::StrCat(code));
  if (expires) {
    AddDetail(r, "certificate_expires", FormatTimeUtc(*expires));
    AddValue(r, "certificate_validity", absl::ToDoubleSeconds(*expires - ctx.clock->Now()), "s");
  }
  const bool status_ok =
      std::find(options_.expect_status.begin(), options_.expect_status.end(), code) != options_.expect_status.end();
  const bool body_ok = options_.body_contains.empty() || absl::StrContains(body, options_.body_contains);
  facts->set_ready(status_ok && body_ok);
  const std::string summary = absl::StrFormat("%s answered %d in %.0f ms", options_.url, code, secs * 1000);
  if (!status_ok) {
    Fail(r, absl::StrCat(summary, "; expected ", absl::StrJoin(options_.expect_status, " or ")));
  } else if (!body_ok) {
    Fail(r, absl::StrCat(summary, ", but the body does not contain \"", options_.body_contains, "\""));
  } else if (expires && *expires - ctx.clock->Now() < options_.cert_min_validity) {
    Warn(r, absl::StrCat(summary, "; its certificate expires ", FormatTimeUtc(*expires), " (in ",
                         HumanDuration(*expires - ctx.clock->Now()), ")"));
  } else {
    Ok(r, summary);
  }
}

}  // namespace paraat
