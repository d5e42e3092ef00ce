// The shared evidence store: PostgreSQL, for several collectors on one database. Same schema,
// semantics and hash chain as the SQLite store; what differs is that other collectors write too:
//
// - Every commit takes the chain head row FOR UPDATE, so commits from all collectors are
//   serialised on it and the chain stays one chain; seqs become visible in order.
// - Leadership (who evaluates plans, records transitions, saves checkpoints, prunes) is a
//   session-level advisory lock on a connection of its own: it passes to another collector as
//   soon as the leader's session ends, e.g. when the process dies.
#ifndef PARAAT_COLLECTOR_STORE_PG_STORE_H_
#define PARAAT_COLLECTOR_STORE_PG_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/store/pg_db.h"
#include "collector/store/store.h"

namespace paraat {

class PgStore : public Store {
 public:
  explicit PgStore(std::string url) : url_(std::move(url)) {}

  absl::Status Open() override;
  std::string Describe() const override;
  bool Shared() const override { return true; }
  absl::StatusOr<bool> TryLead() override;

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
  class Reader;
  absl::StatusOr<std::unique_ptr<PgConn>> AcquireReader();
  void ReleaseReader(std::unique_ptr<PgConn> conn);
  absl::Status Migrate();
  // The writer connection, reconnected when it broke.
  absl::StatusOr<PgConn*> Writer();
  absl::Status CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now);
  absl::StatusOr<uint64_t> FirstSeqAtOrAfter(PgConn& conn, int64_t t_ns);

  const std::string url_;
  std::mutex writer_mu_;
  std::unique_ptr<PgConn> writer_;
  ChainHasher hasher_;

  std::mutex leader_mu_;
  std::unique_ptr<PgConn> leader_;  // holds the advisory lock while this collector leads
  bool leading_ = false;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<PgConn>> idle_readers_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_PG_STORE_H_
