// The evidence store over SQL, once for every back-end: deduplication, the hash chain,
// checkpoints, pruning, loads, statistics, verification and migrations. A back-end (SqlBackend,
// sql.h) supplies only its connections, its bulk append, its read snapshots and leader election;
// SqliteStore and PgStore are this class with their back-end.
//
// Every commit reads and updates the chain head row inside its write transaction, so several
// writers (collectors) make one chain with seqs in order.
//
// Thread-safety: as Store. Writes take one lock (one writer connection); readers come from a
// pool of up to 8 idle connections and run concurrently with the writer.
#ifndef PARAAT_COLLECTOR_STORE_SQL_STORE_H_
#define PARAAT_COLLECTOR_STORE_SQL_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/store/evidence_chain.h"
#include "collector/store/sql.h"
#include "collector/store/sql_tree.h"
#include "collector/store/store.h"

namespace paraat {

class SqlStore : public Store {
 public:
  explicit SqlStore(std::unique_ptr<SqlBackend> backend);
  ~SqlStore() override;

  absl::Status Open() override;
  std::string Describe() const override { return backend_->Describe(); }
  bool Shared() const override { return backend_->Shared(); }
  absl::StatusOr<bool> TryLead() override { return backend_->TryLead(); }
  absl::Duration LeaderLease() const override { return backend_->LeaderLease(); }

  absl::Status Commit(std::vector<WriteGroup*>& groups, absl::Time now) override;
  absl::Status SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) override;
  absl::Status UpsertAgent(const AgentRow& agent) override;
  absl::Status PutAttachment(const std::string& sha256, const std::string& content) override;
  absl::StatusOr<uint64_t> Prune(absl::Time before, absl::Time now) override;
  absl::Status Ping() override;

  absl::StatusOr<std::vector<SourceCheckpoint>> LoadCheckpoint(uint64_t* through_seq) override;
  absl::StatusOr<std::vector<PlanStateRow>> LoadPlanStates() override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadPlanVersions() override;
  absl::StatusOr<std::vector<uint64_t>> ExerciseSeqs() override;
  absl::StatusOr<std::vector<AgentRow>> LoadAgents() override;
  absl::StatusOr<std::vector<HistoryEntry>> History(const std::string& subject, uint64_t from_seq,
                                                    size_t limit) override;
  absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> StoredBatchesIn(
      const std::string& agent_id, uint64_t spool_epoch,
      const std::vector<std::pair<uint64_t, uint64_t>>& ranges) override;
  absl::StatusOr<std::vector<StoredRecord>> Read(const std::vector<uint64_t>& seqs) override;
  absl::Status Scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(const StoredRecord&)>& fn) override;
  absl::StatusOr<uint64_t> FirstSeqAtOrAfter(absl::Time t) override;
  absl::StatusOr<StoreStats> Stats() override;
  absl::StatusOr<std::string> GetAttachment(const std::string& sha256) override;
  absl::StatusOr<paraat::v1::ChainVerification> Verify(const std::function<void(uint64_t)>& progress) override;

  // The Merkle tree (sql_store_tree.cc).
  absl::StatusOr<TreeHead> Tree() override;
  absl::StatusOr<TreeCheckpoint> AppendTreeCheckpoint(const TreeSigner& sign, absl::Time now) override;
  absl::StatusOr<std::vector<TreeCheckpoint>> TreeCheckpoints() override;
  absl::Status SetTimestampToken(uint64_t seq, const std::string& token) override;
  absl::StatusOr<std::vector<std::vector<Digest>>> InclusionProofs(const std::vector<uint64_t>& indexes,
                                                                   uint64_t size) override;
  absl::StatusOr<std::vector<Digest>> TreeConsistency(uint64_t size1, uint64_t size2, Digest* root1) override;

 private:
  // A pooled reader connection, returned to the pool when the lease ends.
  class Lease;
  absl::StatusOr<Lease> Reader();
  void Release(std::unique_ptr<SqlConnection> c);
  // Runs `sql` on a reader connection, passing each row to `row`.
  absl::Status ForEachRow(const std::string& sql, const SqlParams& params, const SqlRowFn& row);
  // Runs `fn` on a reader connection.
  absl::Status WithReader(const std::function<absl::Status(SqlConnection&)>& fn);
  // In a write transaction: locks the chain head row (every writer serialises on it); its seq.
  absl::StatusOr<uint64_t> LockHead(SqlConnection& c);

  // Runs `body` in a write transaction on `c`; rolls back when it or the commit fails.
  absl::Status InWriteTransaction(SqlConnection& c, const std::function<absl::Status()>& body);
  absl::Status Migrate(SqlConnection& c);
  // Brings the tree up to date with the records, in write transactions of bounded size.
  absl::Status SyncTree(SqlConnection& c);
  // Deletes the tree nodes a prune through `last_pruned` leaves unneeded.
  absl::Status PruneTree(SqlConnection& c, uint64_t last_pruned);
  absl::Status CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now);
  absl::Status AppendGroups(SqlConnection& c, std::vector<WriteGroup*>& groups, absl::Time now);
  // Checks the records after the anchor through the head on `c`, in its snapshot; long chains in
  // two halves at once.
  absl::StatusOr<paraat::v1::ChainVerification> VerifyChain(SqlConnection& c, uint64_t anchor_seq, const Digest& anchor,
                                                            uint64_t head_seq, const std::string& head_hash,
                                                            const std::function<void(uint64_t)>& progress);

  const std::unique_ptr<SqlBackend> backend_;
  ChainHasher hasher_;    // used under writer_mu_
  TreeWriter tree_;       // used under writer_mu_
  std::mutex writer_mu_;  // one writer connection: the ingest thread and rare admin writes
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqlConnection>> idle_readers_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQL_STORE_H_
