// Coordination of collectors that share one store (PostgreSQL, Store::Shared()). Each collector
// folds in what the others commit (the tail), through its own ingest writer like everything
// else, and exactly one leads: it records plan state transitions and plan changes, exports plan
// metrics, saves checkpoints, prunes and verifies. On a store no other collector writes to, this
// collector always leads and no thread runs.
//
// Leadership is a lease (pg_store.h): the leader's heartbeat (Store::TryLead) runs every second
// on a thread of its own, so a busy tail never delays it; a leader that froze or lost the network
// loses the lead Store::LeaderLease() after its last heartbeat, and until its next successful
// heartbeat it does not record anything (lease_valid()). Taking over and stepping down happen on
// the tail thread. A store that cannot be reached changes nothing about who leads (it is reported
// to StoreHealth): the leader keeps exporting its last verdicts; the store decides when it returns.
//
// Thread-safety: leading(), lease_valid() and folded_through() may be called from any thread;
// Join(), Start() and Stop() from one thread.
#ifndef PARAAT_COLLECTOR_INGEST_CLUSTER_H_
#define PARAAT_COLLECTOR_INGEST_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/plan_set.h"
#include "collector/ingest/store_health.h"
#include "collector/store/store.h"
#include "common/background_thread.h"
#include "common/clock.h"

namespace paraat {

class Cluster {
 public:
  // `folded_through`: the seq through which start-up read the store (Ingest::Restore()).
  // `health` may be null.
  Cluster(Store* store, Ingest* ingest, EvaluationLoop* loop, PlanSet* plans, const Clock* clock,
          uint64_t folded_through, StoreHealth* health = nullptr);
  ~Cluster();

  // Asks the store once whether this collector leads. Errors are the store's, with its name.
  [[nodiscard]] absl::Status Join();
  // Shared stores: folds in what others committed every 250 ms and sends the leadership
  // heartbeat every second, on threads of their own. Needs the ingest writer running.
  void Start();
  void Stop();

  // Whether this collector leads, as far as it knows: it exports plan series. Stays true while
  // the store cannot be reached (the last verdicts stay, marked stale).
  bool leading() const { return leading_; }
  // Whether it leads and its lease is current: it may record transitions and maintain the store.
  bool lease_valid() const;
  // Every record up to this seq is folded into the state (for checkpoints).
  uint64_t folded_through() const { return tail_cursor_; }

 private:
  void RunTail();
  void RunLease();
  // Folds records after tail_cursor_; with `all`, until caught up, else at most one slice.
  void Tail(bool all);
  // On the tail thread: acts on what the heartbeat found (take over, step down).
  void FollowLease();
  void Failed(absl::string_view what, const absl::Status& st);

  Store* const store_;
  Ingest* const ingest_;
  EvaluationLoop* const loop_;
  PlanSet* const plans_;
  const Clock* const clock_;
  StoreHealth* const health_;
  const bool shared_;
  const absl::Duration lease_;  // the store's lease, less a margin for the heartbeat's own latency
  std::atomic<bool> leading_{true};
  std::atomic<bool> store_says_lead_{true};  // the last heartbeat's answer
  std::atomic<int64_t> confirmed_ns_{0};     // monotonic time of the last heartbeat that said "lead"
  std::atomic<uint64_t> tail_cursor_;
  std::map<uint64_t, uint64_t> own_ranges_;  // seq ranges this collector committed, not yet tailed

  BackgroundThread tail_thread_;
  BackgroundThread lease_thread_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_CLUSTER_H_
