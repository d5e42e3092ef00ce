// Per-agent ingest limits: a token bucket per agent, over all of its streams. An agent may send
// `per_second` results a second on average and `burst` at once. Buckets refill by monotonic
// time: a step of the wall clock (NTP, an operator's `date -s`) neither stops an agent nor lets
// it flood.
//
// Thread-safety: Admit() may be called from any thread.
#ifndef PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_
#define PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"

namespace paraat {

class AgentRateLimiter {
 public:
  AgentRateLimiter(double per_second, double burst, const Clock* clock);

  // Takes `n` results from the agent's bucket; false, taking nothing, when the agent is over
  // its limit. A new agent starts with a full bucket.
  bool Admit(const std::string& agent, size_t n);
  double per_second() const { return per_second_; }

 private:
  struct Bucket {
    double tokens;
    absl::Duration last;  // monotonic
  };
  const double per_second_;
  const double burst_;
  const Clock* const clock_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_
