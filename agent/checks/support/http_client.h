// An HTTP(S) GET for check kinds that ask a web endpoint (http; a JSON health endpoint next):
// libcurl, loaded on first use (agent/dynamic_library.h); the check's time left as the timeout
// and its cancellation as the abort; no proxy; http and https only; the server certificate's
// expiry for https. Thread-safe: each call has its own handle.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/check.h"

namespace paraat {

struct HttpRequest {
  std::string url;
  std::string ca_file;  // trust these CAs instead of the system's
};

struct HttpResponse {
  enum class Ending {
    kAnswered,   // a response arrived (whatever its status)
    kTimedOut,   // no answer within the check's time
    kCancelled,  // the agent is stopping
    kFailed,     // refused, unresolvable, TLS failed (an expired or untrusted certificate)
  };
  Ending ending = Ending::kFailed;
  std::string error;  // libcurl's words, when not answered
  long status = 0;
  std::string body;  // at most the first MiB
  std::optional<absl::Time> certificate_expires;
  absl::Duration took;  // on the check's monotonic clock
};

// The request's ending; an error status only when libcurl cannot be loaded or initialised (the
// message names the Debian package).
[[nodiscard]] absl::StatusOr<HttpResponse> HttpGet(const CheckContext& ctx, const HttpRequest& request);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_HTTP_CLIENT_H_
