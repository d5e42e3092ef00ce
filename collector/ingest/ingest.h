// The single writer of the evidence store and of the in-memory evidence state. Agent streams,
// the evaluation loop and the query API submit groups of records; a writer thread commits
// everything queued in one transaction (group commit), folds what the committed results and
// exercises say into the EvidenceState, and only then reports back, so an acknowledgement always
// means "durably stored". What other collectors committed to a shared store (Cluster) and what
// start-up restores are folded by the same writer: nothing else writes the state.
//
// The writer also keeps the store: it saves checkpoints of the state and prunes old evidence,
// where this collector maintains the store.
//
// Thread-safety: every public method may be called from any thread, except Restore() (before
// Start()). Callbacks (Done, the on-committed hook) run on the writer thread.
#ifndef PARAAT_COLLECTOR_INGEST_INGEST_H_
#define PARAAT_COLLECTOR_INGEST_INGEST_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/evaluation/observation.h"
#include "collector/evaluation/outputs.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_registry.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/ingest/history_marker.h"
#include "collector/ingest/store_health.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "common/limits.h"

namespace paraat {

// Evidence committed before (restored at start-up, or stored by another collector), decoded for
// folding into the state: what its results and exercises say.
struct StoredEvidence {
  struct Result {
    std::string agent;
    CheckObservation result;  // result.obs.evidence_seq is its seq
    absl::Time received;      // when it was recorded
  };
  std::vector<Result> results;
  std::vector<std::pair<std::string, ExerciseObservation>> exercises;       // plan id, exercise
  std::vector<std::pair<uint64_t, paraat::v1::EvidenceRecord>> continuity;  // seq, review or incident

  // Adds what a stored record says when it is a result or an exercise. Anything else, and what
  // does not parse (verification reports that), is left out.
  void Add(const StoredRecord& record);
  void Add(uint64_t seq, int64_t recorded_ns, RecordType type, absl::string_view payload);
  size_t size() const { return results.size() + exercises.size() + continuity.size(); }
};

class Ingest : public RecordSink {
 public:
  // Called on the writer thread once the group is committed (or failed). Must be quick.
  using Done = std::function<void(const absl::Status& status, const WriteGroup& group)>;

  struct Item {
    WriteGroup group;
    // The results carried by the first results.size() records of group, folded into the
    // EvidenceState after commit (under group.agent_id). Exercise records of the group are
    // folded from their payload.
    std::vector<CheckObservation> results;
    absl::Time received;     // wall time, for the state
    absl::Duration arrived;  // monotonic time, for the ingest latency
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
    // Told of every commit's outcome; while it says the store is down, the writer probes the
    // store every second (Store::Ping) until it answers. Null: failures are only logged.
    StoreHealth* health = nullptr;
    // Sources restored per agent at start-up, the newest first: what a client once invented
    // under one agent id (the collector now refuses it) cannot make every restart slow. The
    // others' evidence stays in the store.
    size_t max_sources_per_agent = kMaxChecksPerAgent;
  };

  Ingest(Store* store, EvidenceState* state, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
         Options options);
  ~Ingest() override;

  // Restores the state and the agent registry from the store: the sources of the last
  // checkpoint (at most max_sources_per_agent an agent), the results committed after it,
  // every exercise. Call once, before Start().
  // Returns the seq through which the store was read.
  [[nodiscard]] absl::StatusOr<uint64_t> Restore();
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
  // Folds evidence other collectors committed into the state, on the writer thread, and waits
  // until it is folded. UNAVAILABLE when the writer has stopped.
  [[nodiscard]] absl::Status FoldAndWait(StoredEvidence evidence);
  // Called on the writer thread after each commit or fold with the sources that got new
  // results (empty when only exercises came in).
  void SetOnCommitted(std::function<void(const std::vector<std::string>& sources)> fn);

  // Seq ranges [first, last] this writer committed since the last call (shared stores: the
  // collector need not fold its own records in again).
  std::vector<std::pair<uint64_t, uint64_t>> TakeCommittedRanges();

  // Records queued and not yet committed.
  size_t queued_records() const;
  uint64_t head_seq() const;

 private:
  // A queued unit of work: records to commit, or stored evidence to fold.
  struct Work;
  void Enqueue(std::unique_ptr<Work> work);
  void Run();
  void Process(std::vector<std::unique_ptr<Work>>& work);
  // Commits the items' groups in one transaction; false when the commit failed (the items are
  // then told so).
  bool CommitItems(const std::vector<Item*>& items, absl::Time now);
  // Marks the results that go into their source's history (HistoryMarker).
  void MarkHistory(const std::vector<Item*>& items);
  // Folds what committed items carry into the state; adds the sources that changed.
  void FoldCommitted(const std::vector<Item*>& items, std::vector<std::string>* changed, bool* exercises);
  void FoldStored(StoredEvidence& evidence, std::vector<std::string>* changed);
  // Restores the checkpoint's sources rows[from, to) with their latest records.
  absl::Status RestoreSources(const std::vector<SourceCheckpoint>& rows, size_t from, size_t to);
  // Rebuilds the backup and restore history of `sources` (their baselines and forecasts) from the
  // newest results that added to it (SampleHistorySubject): one history query a source, at most
  // SourceHistory's bounds of records read, a few sources at a time.
  absl::Status RestoreSamples(std::vector<std::pair<std::string, SourceState>>* sources);
  void MaybeCheckpoint(bool force);
  void MaybePrune();
  // Pings the store when it is down (every second) or nothing was written for a while.
  void MaybeProbe();

  Store* store_;
  EvidenceState* state_;
  AgentRegistry* agents_;
  CollectorMetrics* metrics_;
  const Clock* clock_;
  const Options options_;
  size_t restored_samples_ = 0;  // results folded back into the sources' histories at start-up

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Work>> queue_;
  size_t queued_records_ = 0;
  bool stopping_ = false;
  std::function<void(const std::vector<std::string>&)> on_committed_;
  std::vector<std::pair<uint64_t, uint64_t>> committed_ranges_;

  HistoryMarker history_;  // writer thread only

  std::thread thread_;
  std::atomic<uint64_t> head_seq_{0};
  absl::Duration last_checkpoint_;  // monotonic
  absl::Duration last_prune_ = -absl::InfiniteDuration();
  absl::Duration last_store_use_;  // monotonic: the last commit or probe
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_INGEST_H_
