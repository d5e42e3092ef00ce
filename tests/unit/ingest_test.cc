// The ingest writer on a fake clock and a real SQLite store: nothing is acknowledged or folded
// into the state before its commit returned, failures are reported as such, exercises are folded
// like results, restarts restore the state, and checkpoints follow monotonic time.
#include "collector/ingest/ingest.h"

#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>

#include "collector/store/sqlite_store.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

// A SQLite store whose commits wait at a gate the test opens, and can be made to fail.
class GatedStore : public SqliteStore {
 public:
  using SqliteStore::SqliteStore;

  absl::Status Commit(std::vector<WriteGroup*>& groups, absl::Time now) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++commits_entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    if (fail_) return absl::UnavailableError("the disk is gone");
    lock.unlock();
    return SqliteStore::Commit(groups, now);
  }
  absl::Status SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) override {
    ++checkpoints_;
    return SqliteStore::SaveCheckpoint(sources, through_seq);
  }

  void CloseGate() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void OpenGate(bool fail = false) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    fail_ = fail;
    cv_.notify_all();
  }
  bool WaitForCommit(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return commits_entered_ >= n; });
  }
  int checkpoints() const { return checkpoints_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool fail_ = false;
  int commits_entered_ = 0;
  std::atomic<int> checkpoints_{0};
};

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    StartWriter();
  }

  void StartWriter() {
    Ingest::Options options;
    options.checkpoint_interval = absl::Seconds(5);
    ingest_ = std::make_unique<Ingest>(&store_, &state_, &agents_, &metrics_, &clock_, options);
  }

  // A batch of `results` results from agent a, check x0, x1, ...
  std::unique_ptr<Ingest::Item> Batch(uint64_t sequence, int results, std::promise<WriteGroup>* acked,
                                      absl::Status* status) {
    auto item = std::make_unique<Ingest::Item>();
    item->group.agent_id = "a";
    item->group.spool_epoch = 1;
    item->group.sequence = sequence;
    item->received = clock_.Now();
    item->arrived = clock_.Monotonic();
    for (int i = 0; i < results; ++i) {
      v1::EvidenceRecord rec;
      v1::Result* r = rec.mutable_result()->mutable_result();
      rec.mutable_result()->set_agent_id("a");
      r->set_check_id("x" + std::to_string(i));
      r->set_kind("tcp");
      r->set_status(v1::CHECK_STATUS_OK);
      r->set_started_unix_ns(absl::ToUnixNanos(clock_.Now()));
      PendingRecord pr;
      pr.type = RecordType::kResult;
      rec.SerializeToString(&pr.payload);
      item->group.records.push_back(std::move(pr));
      item->results.push_back({r->check_id(), ObservationFromResult(*r, 0)});
    }
    item->done = [acked, status](const absl::Status& st, const WriteGroup& g) {
      *status = st;
      acked->set_value(g);
    };
    return item;
  }

  testing::TempDir dir_;
  GatedStore store_{dir_ / "paraat.db"};
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  EvidenceState state_;
  AgentRegistry agents_;
  CollectorMetrics metrics_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, AcknowledgesAndFoldsOnlyAfterTheCommit) {
  ingest_->Start();
  store_.CloseGate();
  std::promise<WriteGroup> acked;
  absl::Status status = absl::UnknownError("not acknowledged");
  auto ack = acked.get_future();
  ingest_->Submit(Batch(1, 2, &acked, &status));
  ASSERT_TRUE(store_.WaitForCommit(1));
  // The writer is inside the commit: no acknowledgement, nothing in the state yet.
  EXPECT_EQ(ack.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(state_.Source("a/x0"), nullptr);
  store_.OpenGate();
  const WriteGroup g = ack.get();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_FALSE(g.duplicate);
  EXPECT_EQ(g.first_seq, 1u);
  const SourceState* s = state_.Source("a/x1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->latest->evidence_seq, 2u);
  EXPECT_EQ(metrics_.results_received.Value(), 2);

  // The same batch again (a resend after a reconnect) is acknowledged as a duplicate.
  std::promise<WriteGroup> again;
  ingest_->Submit(Batch(1, 2, &again, &status));
  EXPECT_TRUE(again.get_future().get().duplicate);
  EXPECT_EQ(metrics_.results_duplicate.Value(), 2);
}

TEST_F(IngestTest, AFailedCommitIsReportedAndNothingIsFolded) {
  ingest_->Start();
  store_.OpenGate(/*fail=*/true);
  std::promise<WriteGroup> acked;
  absl::Status status;
  ingest_->Submit(Batch(1, 1, &acked, &status));
  acked.get_future().wait();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(state_.Source("a/x0"), nullptr);
  EXPECT_EQ(metrics_.store_errors.Value(), 1);
}

TEST_F(IngestTest, TheWriterFoldsExercisesLikeResults) {
  ingest_->Start();
  v1::EvidenceRecord rec;
  rec.mutable_exercise()->set_plan_id("brp");
  rec.mutable_exercise()->set_kind("tabletop");
  rec.mutable_exercise()->set_passed(true);
  rec.mutable_exercise()->set_performed_unix_ns(absl::ToUnixNanos(clock_.Now()));
  PendingRecord pr;
  pr.type = RecordType::kExercise;
  pr.plan_id = "brp";
  rec.SerializeToString(&pr.payload);
  auto seq = ingest_->AppendAndWait({pr});
  ASSERT_TRUE(seq.ok()) << seq.status();
  const PlanExercises* ex = state_.Exercises("brp");
  ASSERT_NE(ex, nullptr);
  ASSERT_NE(ex->Latest("tabletop"), nullptr);
  EXPECT_EQ(ex->Latest("tabletop")->evidence_seq, *seq);
  EXPECT_TRUE(ex->Latest("tabletop")->passed);
}

TEST_F(IngestTest, ARestartRestoresTheStateFromTheStore) {
  ingest_->Start();
  std::promise<WriteGroup> acked;
  absl::Status status;
  ingest_->Submit(Batch(1, 3, &acked, &status));
  acked.get_future().wait();
  ingest_->Stop();  // saves a last checkpoint

  EvidenceState restored;
  AgentRegistry agents;
  Ingest again(&store_, &restored, &agents, &metrics_, &clock_, {});
  auto through = again.Restore();
  ASSERT_TRUE(through.ok()) << through.status();
  EXPECT_EQ(*through, 3u);
  ASSERT_NE(restored.Source("a/x2"), nullptr);
  EXPECT_EQ(restored.Source("a/x2")->latest->evidence_seq, 3u);
}

// What a client once invented under one agent id does not come back at every restart: at most
// max_sources_per_agent sources an agent are restored, the most recent ones.
TEST_F(IngestTest, ARestartRestoresAtMostTheNewestSourcesOfAnAgent) {
  ingest_->Start();
  absl::Status status;
  for (uint64_t b = 1; b <= 3; ++b) {  // x0..x3 three times; x0 and x1 last
    std::promise<WriteGroup> acked;
    ingest_->Submit(Batch(b, b < 3 ? 4 : 2, &acked, &status));
    acked.get_future().wait();
    clock_.Advance(absl::Seconds(1));
  }
  ingest_->Stop();

  EvidenceState restored;
  AgentRegistry agents;
  Ingest::Options options;
  options.max_sources_per_agent = 2;
  Ingest again(&store_, &restored, &agents, &metrics_, &clock_, options);
  ASSERT_TRUE(again.Restore().ok());
  EXPECT_EQ(restored.source_count(), 2u);
  ASSERT_NE(restored.Source("a/x0"), nullptr);
  EXPECT_EQ(restored.Source("a/x0")->latest->evidence_seq, 9u);
  EXPECT_NE(restored.Source("a/x1"), nullptr);
  EXPECT_EQ(restored.Source("a/x3"), nullptr);
}

// The backup history behind the size and entropy baselines comes back after a restart, bounded:
// 300 sources with 200 nightly backups each (60,000 results), of which each source keeps its
// newest 128 (SourceHistory::kMaxBackups); the time the rebuild takes is printed.
TEST_F(IngestTest, ARestartRebuildsEachSourcesBackupHistoryBounded) {
  constexpr int kSources = 300, kNights = 200;
  ingest_->Start();
  absl::Status status;
  for (int night = 0; night < kNights; ++night) {
    std::promise<WriteGroup> acked;
    auto item = Batch(night + 1, kSources, &acked, &status);
    for (int i = 0; i < kSources; ++i) {
      v1::EvidenceRecord rec;
      ASSERT_TRUE(rec.ParseFromString(item->group.records[i].payload));
      v1::Result* r = rec.mutable_result()->mutable_result();
      r->set_kind("file_backup");
      r->mutable_facts()->set_recovery_point_unix_ns(absl::ToUnixNanos(clock_.Now()));
      r->mutable_facts()->set_backup_bytes((uint64_t{1} << 30) + night);
      rec.SerializeToString(&item->group.records[i].payload);
      item->results[i].obs = ObservationFromResult(*r, 0);
    }
    ingest_->Submit(std::move(item));
    acked.get_future().wait();
    ASSERT_TRUE(status.ok()) << status;
    clock_.Advance(absl::Hours(24));
  }
  ingest_->Stop();

  EvidenceState restored;
  AgentRegistry agents;
  Ingest again(&store_, &restored, &agents, &metrics_, &clock_, {});
  const absl::Time start = absl::Now();
  ASSERT_TRUE(again.Restore().ok());
  const absl::Duration took = absl::Now() - start;
  std::cout << "restored the backup history of " << kSources << " sources (" << kSources * kNights
            << " results stored) in " << took << "\n";
  ASSERT_EQ(restored.source_count(), static_cast<size_t>(kSources));
  const SourceState* s = restored.Source("a/x7");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->history.backups.size(), SourceHistory::kMaxBackups);
  EXPECT_EQ(s->history.backups.back().bytes, (uint64_t{1} << 30) + kNights - 1);  // the newest
  EXPECT_EQ(s->history.backups.front().bytes, (uint64_t{1} << 30) + kNights - SourceHistory::kMaxBackups);
}

TEST_F(IngestTest, CheckpointsFollowMonotonicTimeNotTheWallClock) {
  ingest_->Start();
  std::promise<WriteGroup> first, second;
  absl::Status status;
  ingest_->Submit(Batch(1, 1, &first, &status));
  first.get_future().wait();
  // The wall clock jumps a day; monotonic time does not move. Once the next batch is
  // acknowledged, the writer has looked at the checkpoint interval after the first one.
  clock_.SetWall(clock_.Now() + absl::Hours(24));
  ingest_->Submit(Batch(2, 1, &second, &status));
  second.get_future().wait();
  EXPECT_EQ(store_.checkpoints(), 0);
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(testing::WaitFor([&] { return store_.checkpoints() == 1; }, absl::Seconds(10)));
  uint64_t through = 0;
  auto rows = store_.LoadCheckpoint(&through);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(through, 2u);
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace paraat
