// Coordination of collectors that share one store (PostgreSQL, Store::Shared()). Each collector
// folds in what the others commit (the tail), through its own ingest writer like everything
// else, and exactly one leads: it records plan state transitions and plan changes, exports plan
// metrics, saves checkpoints, prunes and verifies. Leadership passes when the leader's session
// with the database ends (pg_store.h). On a store no other collector writes to, this collector
// always leads and no thread runs.
//
// Thread-safety: leading() and folded_through() may be called from any thread; Join(), Start()
// and Stop() from one thread.
#ifndef PARAAT_COLLECTOR_INGEST_CLUSTER_H_
#define PARAAT_COLLECTOR_INGEST_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/plan_set.h"
#include "collector/store/store.h"
#include "common/background_thread.h"
#include "common/clock.h"

namespace paraat {

class Cluster {
 public:
  // `folded_through`: the seq through which start-up read the store (Ingest::Restore()).
  Cluster(Store* store, Ingest* ingest, EvaluationLoop* loop, PlanSet* plans, const Clock* clock,
          uint64_t folded_through);
  ~Cluster();

  // Asks the store once whether this collector leads. Errors are the store's, with its name.
  [[nodiscard]] absl::Status Join();
  // Shared stores: folds in what others committed every 250 ms and keeps leadership current every
  // second, on a thread of its own. Needs the ingest writer running.
  void Start();
  void Stop();

  bool leading() const { return leading_; }
  // Every record up to this seq is folded into the state (for checkpoints).
  uint64_t folded_through() const { return tail_cursor_; }

 private:
  void Run();
  // Folds records after tail_cursor_; with `all`, until caught up, else at most one slice.
  void Tail(bool all);
  void UpdateLeadership();

  Store* const store_;
  Ingest* const ingest_;
  EvaluationLoop* const loop_;
  PlanSet* const plans_;
  const Clock* const clock_;
  const bool shared_;
  std::atomic<bool> leading_{true};
  std::atomic<uint64_t> tail_cursor_;
  std::map<uint64_t, uint64_t> own_ranges_;  // seq ranges this collector committed, not yet tailed

  BackgroundThread thread_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_CLUSTER_H_
