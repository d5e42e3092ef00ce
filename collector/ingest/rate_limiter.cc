#include "collector/ingest/rate_limiter.h"

#include <algorithm>

namespace paraat {
namespace {

// How often full buckets are dropped: often enough that a flood of short-lived connections
// leaves nothing behind for long, rarely enough that the sweep costs nothing.
constexpr absl::Duration kSweepEvery = absl::Seconds(60);

}  // namespace

AgentRateLimiter::AgentRateLimiter(double per_second, double burst, const Clock* clock)
    : per_second_(per_second), burst_(burst), clock_(clock), last_sweep_(clock->Monotonic()) {}

AgentRateLimiter::Bucket& AgentRateLimiter::Refilled(Buckets& buckets, const std::string& key, absl::Duration now) {
  auto [it, inserted] = buckets.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * per_second_);
  b.last = now;
  return b;
}

void AgentRateLimiter::DropFullLocked(absl::Duration now) {
  if (now - last_sweep_ < kSweepEvery) return;
  last_sweep_ = now;
  for (Buckets* buckets : {&agents_, &connections_}) {
    absl::erase_if(*buckets, [&](const auto& kv) {
      return kv.second.tokens + absl::ToDoubleSeconds(now - kv.second.last) * per_second_ >= burst_;
    });
  }
}

bool AgentRateLimiter::Admit(const std::string& agent, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Duration now = clock_->Monotonic();
  DropFullLocked(now);
  Bucket& b = Refilled(agents_, agent, now);
  if (b.tokens < static_cast<double>(n)) return false;
  b.tokens -= static_cast<double>(n);
  return true;
}

bool AgentRateLimiter::Admit(const std::string& agent, const std::string& connection, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Duration now = clock_->Monotonic();
  DropFullLocked(now);
  Bucket& a = Refilled(agents_, agent, now);
  Bucket& c = Refilled(connections_, connection, now);
  if (a.tokens < static_cast<double>(n) || c.tokens < static_cast<double>(n)) return false;
  a.tokens -= static_cast<double>(n);
  c.tokens -= static_cast<double>(n);
  return true;
}

size_t AgentRateLimiter::buckets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return agents_.size() + connections_.size();
}

}  // namespace paraat
