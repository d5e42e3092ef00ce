// The single writer of the evidence store. Agent streams and the query API submit groups of
// records; a writer thread commits everything queued in one transaction (group commit), folds
// committed results into the EvidenceState, and only then reports back, so an acknowledgement
// always means "durably stored".
#ifndef PARAAT_COLLECTOR_INGEST_INGEST_H_
#define PARAAT_COLLECTOR_INGEST_INGEST_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/evaluation/outputs.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_registry.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

class Ingest : public RecordSink {
 public:
  // Called on the writer thread once the group is committed (or failed). Must be quick.
  using Done = std::function<void(const absl::Status& status, const WriteGroup& group)>;

  struct Item {
    WriteGroup group;
    // The results carried by the first results.size() records of group, folded into the
    // EvidenceState after commit (under group.agent_id).
    std::vector<CheckObservation> results;
    absl::Time received;
    Done done;
  };

  struct Options {
    size_t max_records_per_commit = 50000;
    absl::Duration checkpoint_interval = absl::Seconds(5);
    absl::Duration retention = absl::Hours(24 * 400);
    absl::Duration prune_interval = absl::Hours(1);
    // Whether this collector maintains the store (checkpoints, pruning); null: always.
    std::function<bool()> maintains;
    // The last seq up to which every record is folded into the state, for checkpoints; null:
    // the last seq this writer committed (right when no other collector writes).
    std::function<uint64_t()> folded_through;
    // Keep the seq ranges committed for TakeCommittedRanges().
    bool track_commits = false;
  };

  Ingest(Store* store, EvidenceState* state, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
         Options options);
  ~Ingest() override;

  void Start();
  // Commits what is queued, saves a last checkpoint, and stops the writer.
  void Stop();

  void Submit(std::unique_ptr<Item> item);
  // Appends records (transitions, exercises, plan changes) as one group; `done` runs on the
  // writer thread once they are committed or failed.
  void Append(std::vector<PendingRecord> records, RecordSink::Done done) override;
  // Appends records (transitions, exercises, plan changes) and waits for the commit.
  // Returns the seq of the first record.
  [[nodiscard]] absl::StatusOr<uint64_t> AppendAndWait(std::vector<PendingRecord> records);
  // Called on the writer thread after each commit with the sources that got new results.
  void SetOnCommitted(std::function<void(const std::vector<std::string>& sources)> fn);

  // Seq ranges [first, last] this writer committed since the last call (shared stores: the
  // collector need not fold its own records in again).
  std::vector<std::pair<uint64_t, uint64_t>> TakeCommittedRanges();

  // Records queued and not yet committed.
  size_t queued_records() const;
  uint64_t head_seq() const;

 private:
  void Run();
  void CommitItems(std::vector<std::unique_ptr<Item>>& items);
  void MaybeCheckpoint(bool force);
  void MaybePrune();

  Store* store_;
  EvidenceState* state_;
  AgentRegistry* agents_;
  CollectorMetrics* metrics_;
  const Clock* clock_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;
  size_t queued_records_ = 0;
  bool stopping_ = false;
  std::function<void(const std::vector<std::string>&)> on_committed_;
  std::vector<std::pair<uint64_t, uint64_t>> committed_ranges_;

  std::thread thread_;
  std::atomic<uint64_t> head_seq_{0};
  absl::Time last_checkpoint_;
  absl::Time last_prune_ = absl::InfinitePast();
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_INGEST_H_
