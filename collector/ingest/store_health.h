// Whether the collector can use its evidence store right now, from what the store's users saw:
// the ingest writer's commits and probes, the cluster's reads and leadership checks. One log line
// per change of state (unavailable, still unavailable once a minute, available again), each on
// one line; `paraat_collector_store_up`; and a hook for what must follow the state (readiness,
// the evaluation pausing, gRPC health).
//
// Any failure makes the store unavailable; only a success of the writer's connection (a commit
// or a probe, Succeeded()) makes it available again: a store that answers reads but cannot be
// written to cannot keep evidence.
//
// Thread-safety: every method may be called from any thread; the hook runs on the thread that
// saw the change, outside the lock, one change at a time.
#ifndef PARAAT_COLLECTOR_INGEST_STORE_HEALTH_H_
#define PARAAT_COLLECTOR_INGEST_STORE_HEALTH_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "prometheus/gauge.h"

namespace paraat {

class StoreHealth {
 public:
  struct State {
    bool up = true;
    absl::Time down_since;  // wall time; when !up
    std::string error;      // the last failure, one line; when !up
  };

  // `up_gauge` (paraat_collector_store_up) may be null.
  StoreHealth(std::string store, const Clock* clock, prometheus::Gauge* up_gauge = nullptr);

  // `what` failed with `status` ("commit of 12 records").
  void Failed(absl::string_view what, const absl::Status& status);
  // The writer's connection works (a commit or a probe succeeded).
  void Succeeded();
  // Logs "still unavailable" once a minute while down. Call now and then (the writer does).
  void Tick();

  bool up() const { return up_.load(std::memory_order_acquire); }
  State state() const;
  // Called with the new state after every change (up -> down, down -> up).
  void OnChange(std::function<void(bool up)> fn);

 private:
  void Notify();

  const std::string store_;
  const Clock* const clock_;
  prometheus::Gauge* const up_gauge_;
  std::atomic<bool> up_{true};
  mutable std::mutex mu_;
  State state_;
  absl::Duration down_mono_;      // when it went down, monotonic
  absl::Duration last_reported_;  // when "still unavailable" was last logged, monotonic
  std::mutex notify_mu_;          // one change reported at a time, in order
  std::function<void(bool)> on_change_;
};

// `message` on one line: newlines and tabs become spaces, runs of spaces one (libpq's messages
// span several lines).
std::string JoinLines(absl::string_view message);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_STORE_HEALTH_H_
