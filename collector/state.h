// The collector's in-memory view of the evidence: latest results per source, latest exercises
// per plan, and the agents it has seen. Folded from committed records by the ingest writer;
// read by evaluation, metrics and queries.
#ifndef PARAAT_COLLECTOR_STATE_H_
#define PARAAT_COLLECTOR_STATE_H_

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "collector/evaluator.h"
#include "collector/observation.h"
#include "collector/store.h"
#include "paraat/v1/agent.pb.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

class EvidenceState : public EvidenceView {
 public:
  // Readers hold a shared lock on mutex() while they use Source()/Exercises()/ForEachSource().
  std::shared_mutex& mutex() const { return mu_; }

  const SourceState* Source(const std::string& key) const override;
  const PlanExercises* Exercises(const std::string& plan_id) const override;
  void ForEachSource(const std::function<void(const std::string& key, const SourceState&)>& fn) const;
  size_t source_count() const;

  // --- writer side: takes the lock itself -------------------------------------------------
  // Folds results committed as one batch; returns nothing, marks them dirty for checkpoints.
  void AddResults(const std::string& agent, const std::vector<paraat::v1::Result>& results, uint64_t first_seq,
                  absl::Time received);
  void AddExercise(const std::string& plan_id, const ExerciseObservation& e);
  // Restores a source from a checkpoint at start-up (not marked dirty).
  void RestoreSource(const std::string& key, SourceState state);
  // Sources changed since the last call, as checkpoint rows.
  std::vector<SourceCheckpoint> TakeDirty();

 private:
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string, SourceState> sources_;
  absl::flat_hash_map<std::string, PlanExercises> exercises_;
  absl::flat_hash_set<std::string> dirty_;
};

struct AgentInfo {
  std::string id;
  std::string version;
  std::string hostname;
  std::vector<std::pair<std::string, std::string>> labels;
  int connected_streams = 0;
  paraat::v1::AgentStatus status;
  absl::Time first_seen;
  absl::Time last_seen;
};

class AgentRegistry {
 public:
  void Restore(const AgentRow& row);
  // A stream said hello.
  AgentInfo Connected(const std::string& id, const std::string& version, const std::string& hostname,
                      std::vector<std::pair<std::string, std::string>> labels, absl::Time now);
  void Disconnected(const std::string& id);
  void Seen(const std::string& id, absl::Time now);
  void UpdateStatus(const std::string& id, const paraat::v1::AgentStatus& status);
  std::vector<AgentInfo> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, AgentInfo> agents_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STATE_H_
