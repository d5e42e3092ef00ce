#include "agent/checks/http.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/http_client.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

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
  if (auto v = PathKey(keys, env, "ca_file", kOptional, Need::kFile)) o.ca_file = *v;
  if (auto v = keys.Duration("cert_min_validity")) o.cert_min_validity = *v;
  if (o.url.empty()) return nullptr;
  return std::make_unique<HttpCheck>(std::move(o));
}

void HttpCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  HttpClientRequest request;
  request.url = options_.url;
  request.ca_file = options_.ca_file;
  auto response = HttpGet(ctx, request);
  if (!response.ok()) {
    Error(r, std::string(response.status().message()));
    return;
  }
  AddDetail(r, "url", options_.url);
  auto* facts = r->mutable_facts();
  const double secs = absl::ToDoubleSeconds(response->took);
  AddValue(r, "response_time", secs, "s");
  switch (response->ending) {
    case HttpClientResponse::Ending::kAnswered:
      break;
    case HttpClientResponse::Ending::kCancelled:
      facts->set_ready(false);
      Error(r, "stopped: the agent is shutting down");
      return;
    case HttpClientResponse::Ending::kTimedOut:
      facts->set_ready(false);
      Fail(r, absl::StrCat(options_.url, " did not answer in time: ", response->error));
      return;
    case HttpClientResponse::Ending::kFailed:
      // Refused connections, failed or untrusted TLS (an expired certificate), unresolvable
      // names: the target is not usable.
      facts->set_ready(false);
      Fail(r, absl::StrCat(options_.url, ": ", response->error));
      return;
  }
  const long code = response->status;
  const std::optional<absl::Time>& expires = response->certificate_expires;
  AddDetail(r, "status", absl::StrCat(code));
  if (expires) {
    AddDetail(r, "certificate_expires", FormatTimeUtc(*expires));
    AddValue(r, "certificate_validity", absl::ToDoubleSeconds(*expires - ctx.clock->Now()), "s");
  }
  const bool status_ok =
      std::find(options_.expect_status.begin(), options_.expect_status.end(), code) != options_.expect_status.end();
  const bool body_ok = options_.body_contains.empty() || absl::StrContains(response->body, options_.body_contains);
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
