// Ingest limits: a token bucket per agent, over all of its streams, and one per connection, over
// all the agent ids it speaks for. An agent (a connection) may send `per_second` results a second
// on average and `burst` at once. Buckets refill by monotonic time: a step of the wall clock
// (NTP, an operator's `date -s`) neither stops an agent nor lets it flood. A bucket that has
// refilled to the burst holds nothing worth keeping and is dropped, so the limiter's memory is
// that of the agents and connections sending now.
//
// Thread-safety: Admit() may be called from any thread.
#ifndef PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_
#define PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_

#include <cstddef>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace paraat {

class AgentRateLimiter {
 public:
  AgentRateLimiter(double per_second, double burst, const Clock* clock);

  // Takes `n` results from the agent's bucket; false, taking nothing, when the agent is over
  // its limit. A new agent starts with a full bucket.
  bool Admit(const std::string& agent, size_t n);
  // The same from both the agent's and the connection's bucket (a connection is the stream's
  // peer, "ipv4:10.0.0.5:41234"): false, taking from neither, when either is over its limit.
  bool Admit(const std::string& agent, const std::string& connection, size_t n);
  double per_second() const { return per_second_; }
  // Buckets held now (for tests).
  size_t buckets() const;

 private:
  struct Bucket {
    double tokens;
    absl::Duration last;  // monotonic
  };
  using Buckets = absl::flat_hash_map<std::string, Bucket>;
  // The key's bucket refilled to `now` (created full).
  Bucket& Refilled(Buckets& buckets, const std::string& key, absl::Duration now);
  void DropFullLocked(absl::Duration now);

  const double per_second_;
  const double burst_;
  const Clock* const clock_;
  mutable std::mutex mu_;
  Buckets agents_;
  Buckets connections_;
  absl::Duration last_sweep_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_RATE_LIMITER_H_
