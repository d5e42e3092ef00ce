// For check kinds that talk a protocol through a client library or a socket (libpq, libmariadb,
// libcurl; redis, HTTP JSON): the check's time left as the client's timeout, and the check's
// secret, with the result saying why when it cannot be read. The library itself is loaded on
// first use with LoadLibraryOnce (agent/dynamic_library.h). Thread-safe.
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_CLIENT_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_CLIENT_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/secrets.h"

namespace paraat {

// The check's time left (CheckContext::TimeLeft) for a client's connect, read or statement
// timeout: `unbounded` when the check has no deadline, never below `min` (a library's "0 means
// wait forever", or too short to connect at all) nor above `max` (the library's own cap).
absl::Duration ClientTimeout(const CheckContext& ctx, absl::Duration unbounded, absl::Duration min,
                             absl::Duration max = absl::InfiniteDuration());

// The secret's value; nullopt when it cannot be read, the result then an error saying why (the
// message never holds the value). An empty reference reads as an empty secret.
std::optional<std::string> ReadSecret(const SecretRef& ref, paraat::v1::Result* r);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_CLIENT_H_
