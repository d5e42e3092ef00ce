// The collector's in-memory view of the evidence: latest results per source, latest exercises
// per plan. Folded from committed records by the ingest writer; read by evaluation, metrics and
// queries.
#ifndef PARAAT_COLLECTOR_EVALUATION_STATE_H_
#define PARAAT_COLLECTOR_EVALUATION_STATE_H_

#include <array>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/observation.h"
#include "collector/evaluation/plan.h"
#include "collector/store/store.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

// Sources live in shards, each with its own lock, so the single writer folding results in and the
// readers (evaluation, /metrics, queries) mostly touch different shards; no reader blocks the
// writer for longer than one shard or one chunk of plans takes.
class EvidenceState : public EvidenceView {
 public:
  // Shared locks on every shard, for a consistent view across sources (an evaluation of a
  // chunk of plans, a query). Source() and Exercises() are valid while it is held.
  class ReadLock {
   public:
    explicit ReadLock(const EvidenceState& state);
    ~ReadLock();
    ReadLock(const ReadLock&) = delete;
    ReadLock& operator=(const ReadLock&) = delete;

   private:
    const EvidenceState& state_;
  };

  const SourceState* Source(const std::string& key) const override;
  const PlanExercises* Exercises(const std::string& plan_id) const override;
  // Every source, one shard at a time under that shard's shared lock (take no ReadLock).
  void ForEachSource(const std::function<void(const std::string& key, const SourceState&)>& fn) const;
  size_t source_count() const;

  // --- writer side: takes the lock itself -------------------------------------------------
  // Folds results committed as one batch; marks them dirty for checkpoints.
  // The i-th result is evidence record first_seq + i.
  void AddResults(const std::string& agent, std::vector<CheckObservation> results, uint64_t first_seq,
                  absl::Time received);
  void AddExercise(const std::string& plan_id, const ExerciseObservation& e);
  // Folds a committed review or incident record (evidence record `seq`) into its plan's continuity.
  void AddContinuity(const paraat::v1::EvidenceRecord& record, uint64_t seq);
  // Restores a source from a checkpoint at start-up (not marked dirty).
  void RestoreSource(const std::string& key, SourceState state);
  // Sources changed since the last call, as checkpoint rows.
  std::vector<SourceCheckpoint> TakeDirty();

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::shared_mutex mu;
    // Node-based: a SourceState never moves (sources are never removed), so ResolvedSources
    // can keep pointers to it.
    absl::node_hash_map<std::string, SourceState> sources;
    absl::flat_hash_set<std::string> dirty;
  };
  Shard& ShardOf(const std::string& key);
  const Shard& ShardOf(const std::string& key) const;

  Shard shards_[kShards];
  mutable std::shared_mutex exercises_mu_;
  absl::flat_hash_map<std::string, PlanExercises> exercises_;
};

// One plan's sources resolved to their states once: evaluating the plan again then costs no
// lookups in the fleet-sized source map (each one a few cache misses; they were most of the
// time an evaluation took). Sources not seen yet are looked up again on Refresh().
class ResolvedSources : public EvidenceView {
 public:
  ResolvedSources(const EvidenceState& state, const Plan& plan);
  // Resolves sources that had no state yet. Under an EvidenceState::ReadLock.
  void Refresh();

  // `key` is one of the plan's own source strings (as the evaluator passes them) or any key.
  const SourceState* Source(const std::string& key) const override;
  const PlanExercises* Exercises(const std::string& plan_id) const override;

 private:
  const EvidenceState& state_;
  const Plan& plan_;
  std::array<std::vector<const SourceState*>, 4> by_role_;  // parallel to plan_.Sources(role)
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_STATE_H_
