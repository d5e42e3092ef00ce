// The web console's sessions and form tokens.
//
// A person signs in with one of the query API's bearer tokens (auth.tokens); the console then
// keeps a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS),
// the role the token grants, and a CSRF token for its forms. Sessions live in memory: a
// restarted collector asks people to sign in again. They expire after `ttl` without use.
//
// Callers without a session (a bearer header, a client certificate, anonymous access on a
// loopback collector) get their form token from a cookie of its own (the "double submit"
// pattern): a page from another site can neither read that cookie nor send it along (SameSite).
//
// Thread-safety: every method may be called from any thread.
#ifndef PARAAT_COLLECTOR_SERVING_CONSOLE_SESSION_H_
#define PARAAT_COLLECTOR_SERVING_CONSOLE_SESSION_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "collector/serving/auth.h"
#include "common/clock.h"

namespace paraat {

// 32 random bytes (OpenSSL's CSPRNG) as 64 hex digits.
std::string RandomToken();

struct Session {
  std::string id;
  QueryRole role = QueryRole::kNone;
  std::string csrf;
  absl::Duration last_used;  // monotonic
};

class SessionStore {
 public:
  SessionStore(const Clock* clock, absl::Duration ttl, size_t max_sessions = 10000);

  // A new session with `role`. The oldest sessions make room when there are too many.
  Session Create(QueryRole role);
  // The live session with this id (and marks it used), or nullopt.
  std::optional<Session> Find(const std::string& id);
  void Remove(const std::string& id);
  size_t size() const;

 private:
  void DropExpiredLocked(absl::Duration now);

  const Clock* clock_;
  const absl::Duration ttl_;
  const size_t max_;
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

// Slows down guessing tokens: after `max_failures` failed sign-ins from one address within
// `window`, that address may not try again until the window has passed.
class LoginThrottle {
 public:
  explicit LoginThrottle(const Clock* clock, int max_failures = 5, absl::Duration window = absl::Minutes(1));
  bool Allowed(const std::string& address);
  void Failed(const std::string& address);
  void Succeeded(const std::string& address);

 private:
  struct Entry {
    int failures = 0;
    absl::Duration since;  // monotonic
  };
  const Clock* clock_;
  const int max_failures_;
  const absl::Duration window_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_CONSOLE_SESSION_H_
