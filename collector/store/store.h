// The evidence store: append-only records in a hash chain, plus the small indexes the collector
// needs to restart quickly. SQLite is the embedded default; PostgreSQL has the same semantics.
//
// Thread-safety: Commit(), SaveCheckpoint() and Prune() are called by one writer thread at a time.
// The read methods may be called from any thread, concurrently with the writer.
#ifndef PARAAT_COLLECTOR_STORE_STORE_H_
#define PARAAT_COLLECTOR_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/store/evidence_chain.h"
#include "paraat/v1/evidence.pb.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

// A record to append. The store assigns seq and recorded time.
struct PendingRecord {
  RecordType type = RecordType::kResult;
  std::string payload;  // serialized paraat.v1.EvidenceRecord (body only)
  std::string plan_id;  // transitions, exercises, plan changes
  int state = 0;        // transitions: the new paraat.v1.PlanState
  std::string sha256;   // plan changes: the plan file's digest
  // Results: the source (agent/check) whose history this result belongs in, because it changed
  // what the source says (collector/ingest/history_marker.h); empty for the rest. With the
  // recovery point the source reported before it (0: none), the achieved RPO just before it.
  std::string history;
  int64_t history_previous_point_ns = 0;
  // Results: the subject (SampleHistorySubject, collector/evaluation/history.h) whose history
  // this result belongs in because it adds a backup or restore sample to its source's history;
  // start-up rebuilds the baselines and forecasts from the newest of them. Empty for the rest.
  std::string samples;
};

// Records committed together. With a dedup key (agent_id non-empty) the whole group is
// stored once: a second commit with the same (agent_id, spool_epoch, sequence) stores nothing.
struct WriteGroup {
  std::string agent_id;
  uint64_t spool_epoch = 0;
  uint64_t sequence = 0;
  std::vector<PendingRecord> records;

  // Set by Commit.
  bool duplicate = false;
  uint64_t first_seq = 0;  // seq of records[0]
  int64_t recorded_ns = 0;
};

struct StoredRecord {
  uint64_t seq = 0;
  int64_t recorded_ns = 0;
  RecordType type = RecordType::kResult;
  std::string payload;
  std::string hash;
};

// Latest evidence seqs of one source, saved periodically so start-up need not scan the store.
struct SourceCheckpoint {
  std::string source;  // agent/check
  uint64_t latest_seq = 0;
  uint64_t conclusive_seq = 0;
  uint64_t ok_seq = 0;
  int64_t received_ns = 0;
};

struct PlanStateRow {
  std::string plan_id;
  int state = 0;
  int64_t since_ns = 0;
  uint64_t seq = 0;
};

struct AgentRow {
  std::string agent_id;
  std::string version;
  std::string hostname;
  int64_t first_seen_ns = 0;
  int64_t last_seen_ns = 0;
};

// One record in a plan's or a source's history (Store::History).
struct HistoryEntry {
  uint64_t seq = 0;
  int64_t previous_point_ns = 0;  // results: the recovery point the source reported before
};

// The Merkle tree over the records (sql_tree.h): leaf i is the record with seq first_seq + i.
struct TreeHead {
  uint64_t first_seq = 1;
  uint64_t size = 0;
  Digest root{};
};

// A signed checkpoint of the tree, as stored (the record at `seq` holds the same).
struct TreeCheckpoint {
  uint64_t seq = 0;
  uint64_t tree_size = 0;
  int64_t signed_ns = 0;
  std::string note;       // the signed checkpoint text (common/checkpoint.h)
  std::string signature;  // Ed25519, 64 bytes
  std::string key_id;
  std::string timestamp_token;  // DER RFC 3161 token over `note`; empty until the TSA answered
};

// Signs the tree head (size, root) at `now`: the checkpoint record to append.
using TreeSigner =
    std::function<absl::StatusOr<paraat::v1::CheckpointRecord>(uint64_t size, const Digest& root, absl::Time now)>;

struct StoreStats {
  uint64_t head_seq = 0;
  uint64_t records = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) and migrates the schema to the current version.
  [[nodiscard]] virtual absl::Status Open() = 0;
  virtual std::string Describe() const = 0;  // "sqlite:///var/lib/paraat/paraat.db"

  // Whether other collectors may write to the same store (PostgreSQL). Then each collector also
  // folds in what the others commit, and only the leader evaluates plans and maintains the store.
  virtual bool Shared() const { return false; }
  // Whether this collector leads: evaluates plans, records transitions, exports plan metrics,
  // saves checkpoints, prunes. Takes the lead when it is free. A store no other collector writes
  // to always leads.
  [[nodiscard]] virtual absl::StatusOr<bool> TryLead() { return true; }
  // How long leadership outlives the leader's last heartbeat (TryLead): a leader that froze or
  // lost the network loses the lead this long after its last TryLead, and must consider itself
  // leading only while its last successful TryLead is younger than that. Infinite for a store no
  // other collector writes to.
  virtual absl::Duration LeaderLease() const { return absl::InfiniteDuration(); }

  // --- writer side -------------------------------------------------------------------------
  // Appends all groups in one transaction (all or nothing); fills in duplicate/first_seq.
  [[nodiscard]] virtual absl::Status Commit(std::vector<WriteGroup*>& groups, absl::Time now) = 0;
  // Replaces the saved latest-seqs of these sources; `through_seq` is the last record folded in.
  [[nodiscard]] virtual absl::Status SaveCheckpoint(const std::vector<SourceCheckpoint>& sources,
                                                    uint64_t through_seq) = 0;
  [[nodiscard]] virtual absl::Status UpsertAgent(const AgentRow& agent) = 0;
  // Stores an exercise attachment under its SHA-256 (hex); storing the same bytes again is a no-op.
  [[nodiscard]] virtual absl::Status PutAttachment(const std::string& sha256, const std::string& content) = 0;
  // Removes records recorded before `before` and appends a prune record; the chain stays
  // verifiable from the new anchor. Returns how many records were removed.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Prune(absl::Time before, absl::Time now) = 0;
  // Checks that the writer's connection works (connecting again when it was lost).
  [[nodiscard]] virtual absl::Status Ping() = 0;

  // --- readers -----------------------------------------------------------------------------
  [[nodiscard]] virtual absl::StatusOr<std::vector<SourceCheckpoint>> LoadCheckpoint(uint64_t* through_seq) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<PlanStateRow>> LoadPlanStates() = 0;
  // plan id -> sha256 of the plan file last recorded
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadPlanVersions() = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<uint64_t>> ExerciseSeqs() = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<AgentRow>> LoadAgents() = 0;
  // The newest `limit` seqs at or after `from_seq` in the history of `subject`, in seq order. A
  // plan id's history: its transitions, exercises and plan changes; an agent/check's: the
  // results that changed what it says (PendingRecord::history).
  [[nodiscard]] virtual absl::StatusOr<std::vector<HistoryEntry>> History(const std::string& subject, uint64_t from_seq,
                                                                          size_t limit) = 0;

  // The batches of (agent_id, spool_epoch) stored with a sequence in one of `ranges` (first, last
  // inclusive), in sequence order: sequence -> seq of the batch's first record.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> StoredBatchesIn(
      const std::string& agent_id, uint64_t spool_epoch, const std::vector<std::pair<uint64_t, uint64_t>>& ranges) = 0;
  // Records by seq; missing ones (pruned) are left out.
  [[nodiscard]] virtual absl::StatusOr<std::vector<StoredRecord>> Read(const std::vector<uint64_t>& seqs) = 0;
  // Calls `fn` for records with from_seq <= seq <= to_seq in order, until it returns false.
  [[nodiscard]] virtual absl::Status Scan(uint64_t from_seq, uint64_t to_seq,
                                          const std::function<bool(const StoredRecord&)>& fn) = 0;
  // The first seq recorded at or after `t` (head + 1 when none).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> FirstSeqAtOrAfter(absl::Time t) = 0;
  [[nodiscard]] virtual absl::StatusOr<StoreStats> Stats() = 0;
  // NOT_FOUND when no attachment has this digest.
  [[nodiscard]] virtual absl::StatusOr<std::string> GetAttachment(const std::string& sha256) = 0;
  // Recomputes the whole chain; `progress` is called now and then with records checked.
  [[nodiscard]] virtual absl::StatusOr<paraat::v1::ChainVerification> Verify(
      const std::function<void(uint64_t)>& progress = nullptr) = 0;

  // The Merkle tree and its signed checkpoints. Stores without a tree answer UNIMPLEMENTED.
  [[nodiscard]] virtual absl::StatusOr<TreeHead> Tree() { return Unimplemented(); }
  // In one write transaction: signs the tree as it stands and appends the checkpoint as a record.
  [[nodiscard]] virtual absl::StatusOr<TreeCheckpoint> AppendTreeCheckpoint(const TreeSigner&, absl::Time) {
    return Unimplemented();
  }
  // Every stored checkpoint, oldest first.
  [[nodiscard]] virtual absl::StatusOr<std::vector<TreeCheckpoint>> TreeCheckpoints() { return Unimplemented(); }
  [[nodiscard]] virtual absl::Status SetTimestampToken(uint64_t /*seq*/, const std::string& /*token*/) {
    return Unimplemented();
  }
  // Inclusion proofs of leaves `indexes` in the tree of `size` (<= the tree's size).
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::vector<Digest>>> InclusionProofs(
      const std::vector<uint64_t>& /*indexes*/, uint64_t /*size*/) {
    return Unimplemented();
  }
  // RFC 9162 consistency proof from size1 to size2 and the root at size1.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Digest>> TreeConsistency(uint64_t /*size1*/, uint64_t /*size2*/,
                                                                            Digest* /*root1*/) {
    return Unimplemented();
  }

 private:
  static absl::Status Unimplemented() { return absl::UnimplementedError("this store keeps no Merkle tree"); }
};

// "sqlite:///path/to.db", "sqlite://relative.db", or "postgresql://user@host/db".
[[nodiscard]] absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_STORE_H_
