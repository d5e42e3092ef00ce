// An HTTP(S) request for check kinds that ask a web endpoint (http, json_http): libcurl, loaded on
// first use (agent/dynamic_library.h); the check's time left as the timeout and its cancellation
// as the abort; no proxy, no redirects; http and https only; headers, basic authentication, a
// client certificate, TLS verification that can be turned off; the server certificate's expiry
// for https. Thread-safe: each call has its own handle.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/check.h"

namespace paraat {

struct HttpClientRequest {
  std::string url;
  std::string ca_file;               // trust these CAs instead of the system's
  std::string method = "GET";        // GET or POST
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent with POST
  // HTTP basic authentication when `user` is set.
  std::string user;
  std::string password;
  // A client certificate and its key (PEM files).
  std::string cert_file;
  std::string key_file;
  bool verify_tls = true;  // false: any server certificate and name are accepted
};

struct HttpClientResponse {
  enum class Ending {
    kAnswered,   // a response arrived (whatever its status)
    kTimedOut,   // no answer within the check's time
    kCancelled,  // the agent is stopping
    kFailed,     // refused, unresolvable, TLS failed (an expired or untrusted certificate)
  };
  Ending ending = Ending::kFailed;
  std::string error;  // libcurl's words, when not answered
  long status = 0;
  std::string body;        // at most the first MiB
  bool truncated = false;  // the body was longer than that
  std::optional<absl::Time> certificate_expires;
  absl::Duration took;  // on the check's monotonic clock
};

// The request's ending (with request.method: GET unless set); an error status only when libcurl cannot be loaded or
// initialised (the message names the Debian package).
[[nodiscard]] absl::StatusOr<HttpClientResponse> HttpGet(const CheckContext& ctx, const HttpClientRequest& request);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_
