#include "collector/ingest/rate_limiter.h"

#include <algorithm>

namespace paraat {

AgentRateLimiter::AgentRateLimiter(double per_second, double burst, const Clock* clock)
    : per_second_(per_second), burst_(burst), clock_(clock) {}

bool AgentRateLimiter::Admit(const std::string& agent, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Duration now = clock_->Monotonic();
  auto [it, inserted] = buckets_.try_emplace(agent, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * per_second_);
  b.last = now;
  if (b.tokens < static_cast<double>(n)) return false;
  b.tokens -= static_cast<double>(n);
  return true;
}

}  // namespace paraat
