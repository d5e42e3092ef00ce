#include "collector/serving/console/session.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "common/log.h"
#include "common/sha256.h"

namespace paraat {

std::string RandomToken() {
  uint8_t bytes[32];
  // A CSPRNG that cannot produce bytes is a broken invariant: no session may start without them.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    LogError("OpenSSL's random generator failed");
    std::abort();
  }
  return ToHex(bytes, sizeof(bytes));
}

SessionStore::SessionStore(const Clock* clock, absl::Duration ttl, size_t max_sessions)
    : clock_(clock), ttl_(ttl), max_(max_sessions) {}

void SessionStore::DropExpiredLocked(absl::Duration now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = now - it->second.last_used > ttl_ ? sessions_.erase(it) : std::next(it);
  }
}

Session SessionStore::Create(QueryRole role) {
  Session s{RandomToken(), role, RandomToken(), clock_->Monotonic()};
  std::lock_guard<std::mutex> lock(mu_);
  if (sessions_.size() >= max_) {
    DropExpiredLocked(s.last_used);
    while (sessions_.size() >= max_) {
      auto oldest = sessions_.begin();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->second.last_used < oldest->second.last_used) oldest = it;
      }
      sessions_.erase(oldest);
    }
  }
  sessions_[s.id] = s;
  return s;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  if (id.empty()) return std::nullopt;
  const absl::Duration now = clock_->Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_used > ttl_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void SessionStore::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

size_t SessionStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

LoginThrottle::LoginThrottle(const Clock* clock, int max_failures, absl::Duration window)
    : clock_(clock), max_failures_(max_failures), window_(window) {}

bool LoginThrottle::Allowed(const std::string& address) {
  const absl::Duration now = clock_->Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return true;
  if (now - it->second.since > window_) {
    entries_.erase(it);
    return true;
  }
  return it->second.failures < max_failures_;
}

void LoginThrottle::Failed(const std::string& address) {
  const absl::Duration now = clock_->Monotonic();
  std::lock_guard<std::mutex> lock(mu_);
  // Bounded: addresses whose window has passed are forgotten once the map grows.
  if (entries_.size() > 10000) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now - it->second.since > window_ ? entries_.erase(it) : std::next(it);
    }
  }
  Entry& e = entries_[address];
  if (e.failures == 0 || now - e.since > window_) e = Entry{0, now};
  ++e.failures;
}

void LoginThrottle::Succeeded(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(address);
}

}  // namespace paraat
