// The embedded evidence store: one SQLite file in WAL mode, synchronous=FULL, so a commit that
// returned is on disk. One writer connection; readers get their own connections.
#ifndef PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_
#define PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/store/sqlite_db.h"
#include "collector/store/store.h"

namespace paraat {

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)) {}

  absl::Status Open() override;
  std::string Describe() const override { return "sqlite://" + path_; }

  absl::Status Commit(std::vector<WriteGroup*>& groups, absl::Time now) override;
  absl::Status SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) override;
  absl::Status UpsertAgent(const AgentRow& agent) override;
  absl::Status PutAttachment(const std::string& sha256, const std::string& content) override;
  absl::StatusOr<uint64_t> Prune(absl::Time before, absl::Time now) override;

  absl::StatusOr<std::vector<SourceCheckpoint>> LoadCheckpoint(uint64_t* through_seq) override;
  absl::StatusOr<std::vector<PlanStateRow>> LoadPlanStates() override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> LoadPlanVersions() override;
  absl::StatusOr<std::vector<uint64_t>> ExerciseSeqs() override;
  absl::StatusOr<std::vector<AgentRow>> LoadAgents() override;
  absl::StatusOr<std::vector<StoredRecord>> Read(const std::vector<uint64_t>& seqs) override;
  absl::Status Scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(const StoredRecord&)>& fn) override;
  absl::StatusOr<uint64_t> FirstSeqAtOrAfter(absl::Time t) override;
  absl::StatusOr<StoreStats> Stats() override;
  absl::StatusOr<std::string> GetAttachment(const std::string& sha256) override;
  absl::StatusOr<paraat::v1::ChainVerification> Verify(const std::function<void(uint64_t)>& progress) override;

 private:
  // A reader connection, returned to the pool when the lease ends.
  class Reader;
  absl::StatusOr<std::unique_ptr<SqliteDb>> AcquireReader();
  void ReleaseReader(std::unique_ptr<SqliteDb> db);
  absl::Status Migrate();
  absl::Status PrepareWriter();
  absl::Status AppendLocked(WriteGroup& group, int64_t recorded_ns);
  absl::Status CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now);
  absl::StatusOr<uint64_t> FirstSeqAtOrAfter(SqliteDb& db, int64_t t_ns);

  const std::string path_;
  std::unique_ptr<SqliteDb> writer_;
  std::mutex writer_mu_;  // the writer connection is shared by the ingest thread and rare admin writes
  SqliteStmt ins_batch_, ins_evidence_, ins_exercise_, up_plan_state_, up_plan_version_, up_head_;
  ChainHasher hasher_;

  // Writer-thread state: the chain head.
  uint64_t head_seq_ = 0;
  Digest head_hash_{};
  int64_t head_recorded_ns_ = 0;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteDb>> idle_readers_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_
