// A back-end independent test suite for Store implementations.
#ifndef PARAAT_TESTS_UNIT_STORE_SUITE_H_
#define PARAAT_TESTS_UNIT_STORE_SUITE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "collector/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "paraat/v1/evidence.pb.h"
#include "tests/testlib/test_util.h"

namespace paraat {

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // A store on a fresh, empty database; repeated calls open the same database again.
  virtual std::unique_ptr<Store> Make() = 0;
  // Runs SQL directly against the database, as an intruder with write access would.
  virtual void Tamper(const std::string& sql) = 0;
  virtual std::string Name() const = 0;
};

using StoreFactoryMaker = std::function<std::unique_ptr<StoreFactory>()>;

// Names the single back-end of an instantiation in test names ("Sqlite/StoreTest.X/store"),
// instead of the bytes of the factory function gtest would print.
inline std::string StoreBackEndName(const ::testing::TestParamInfo<StoreFactoryMaker>&) { return "store"; }

class StoreTest : public ::testing::TestWithParam<StoreFactoryMaker> {
 protected:
  void SetUp() override {
    factory_ = GetParam()();
    if (factory_ == nullptr) GTEST_SKIP() << "back-end not available";
    store_ = factory_->Make();
    ASSERT_TRUE(store_->Open().ok());
  }

  static PendingRecord Result(const std::string& check, int n) {
    v1::EvidenceRecord rec;
    auto* rr = rec.mutable_result();
    rr->set_agent_id("agent-1");
    rr->mutable_result()->set_check_id(check);
    rr->mutable_result()->set_kind("file_backup");
    rr->mutable_result()->set_status(v1::CHECK_STATUS_OK);
    rr->mutable_result()->set_started_unix_ns(1'700'000'000'000'000'000 + n);
    rr->mutable_result()->set_message("result " + std::to_string(n));
    PendingRecord pr;
    pr.type = RecordType::kResult;
    rec.SerializeToString(&pr.payload);
    return pr;
  }

  WriteGroup Batch(uint64_t sequence, int results, uint64_t epoch = 7) {
    WriteGroup g;
    g.agent_id = "agent-1";
    g.spool_epoch = epoch;
    g.sequence = sequence;
    for (int i = 0; i < results; ++i) g.records.push_back(Result("check-" + std::to_string(i), i));
    return g;
  }

  void Commit(std::vector<WriteGroup*> groups, absl::Time t = absl::FromUnixSeconds(1'700'000'000)) {
    ASSERT_TRUE(store_->Commit(groups, t).ok());
  }

  v1::ChainVerification Verify() {
    auto v = store_->Verify(nullptr);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : v1::ChainVerification();
  }

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, GroupsAreStoredOnceAndNumberedInOrder) {
  WriteGroup a = Batch(1, 3), b = Batch(2, 2);
  Commit({&a, &b});
  EXPECT_FALSE(a.duplicate);
  EXPECT_EQ(a.first_seq, 1u);
  EXPECT_EQ(b.first_seq, 4u);
  // The same batches again (an agent resending after a reconnect): nothing stored twice.
  WriteGroup a2 = Batch(1, 3), c = Batch(3, 1);
  Commit({&a2, &c});
  EXPECT_TRUE(a2.duplicate);
  EXPECT_FALSE(c.duplicate);
  EXPECT_EQ(c.first_seq, 6u);
  auto stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->head_seq, 6u);
  // A new spool epoch starts sequences anew without colliding.
  WriteGroup fresh = Batch(1, 1, /*epoch=*/8);
  Commit({&fresh});
  EXPECT_FALSE(fresh.duplicate);
}

TEST_P(StoreTest, DeduplicationSurvivesReopening) {
  WriteGroup a = Batch(1, 2);
  Commit({&a});
  store_ = factory_->Make();
  ASSERT_TRUE(store_->Open().ok());
  WriteGroup again = Batch(1, 2);
  Commit({&again});
  EXPECT_TRUE(again.duplicate);
  WriteGroup next = Batch(2, 1);
  Commit({&next});
  EXPECT_EQ(next.first_seq, 3u);
  EXPECT_TRUE(Verify().ok());
}

// The batches stored in sequence ranges (gap reports are checked against them), and the probe.
TEST_P(StoreTest, FindsTheBatchesStoredInSequenceRanges) {
  std::vector<WriteGroup> groups;
  for (uint64_t seq : {3, 4, 5, 9, 12}) groups.push_back(Batch(seq, 2));
  groups.push_back(Batch(4, 1, /*epoch=*/8));  // another epoch: not the same batch
  std::vector<WriteGroup*> ptrs;
  for (WriteGroup& g : groups) ptrs.push_back(&g);
  Commit(ptrs);
  auto found = store_->StoredBatchesIn("agent-1", 7, {{1, 4}, {8, 10}, {13, 20}});
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0], std::make_pair(uint64_t{3}, groups[0].first_seq));
  EXPECT_EQ((*found)[1], std::make_pair(uint64_t{4}, groups[1].first_seq));
  EXPECT_EQ((*found)[2], std::make_pair(uint64_t{9}, groups[3].first_seq));
  auto none = store_->StoredBatchesIn("agent-2", 7, {{1, 100}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(store_->Ping().ok());
}

TEST_P(StoreTest, ReadAndScanReturnWhatWasWritten) {
  WriteGroup a = Batch(1, 5);
  Commit({&a});
  auto recs = store_->Read({2, 4, 99});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  v1::EvidenceRecord r;
  ASSERT_TRUE(r.ParseFromString((*recs)[1].payload));
  EXPECT_EQ(r.result().result().message(), "result 3");
  std::vector<uint64_t> seen;
  ASSERT_TRUE(store_
                  ->Scan(2, 4,
                         [&](const StoredRecord& s) {
                           seen.push_back(s.seq);
                           return true;
                         })
                  .ok());
  EXPECT_THAT(seen, ::testing::ElementsAre(2, 3, 4));
}

TEST_P(StoreTest, ChainVerifiesAndDetectsAnEditedRecord) {
  for (uint64_t s = 1; s <= 5; ++s) {
    WriteGroup g = Batch(s, 4);
    Commit({&g});
  }
  auto v = Verify();
  EXPECT_TRUE(v.ok()) << v.problem();
  EXPECT_EQ(v.records_checked(), 20u);
  factory_->Tamper("UPDATE evidence SET recorded_ns = recorded_ns + 1 WHERE seq = 7");
  v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), 7u);
  EXPECT_THAT(v.problem(), ::testing::HasSubstr("does not match its hash"));
}

TEST_P(StoreTest, ChainDetectsAChangedPayload) {
  WriteGroup g = Batch(1, 5);
  Commit({&g});
  // Rewrite record 3 with a different, well-formed result (status failed -> ok laundering).
  PendingRecord forged = Result("check-2", 999);
  std::string hex;
  for (unsigned char c : forged.payload) {
    static const char* k = "0123456789abcdef";
    hex += k[c >> 4];
    hex += k[c & 15];
  }
  factory_->Tamper(factory_->Name() == "sqlite"
                       ? "UPDATE evidence SET payload = X'" + hex + "' WHERE seq = 3"
                       : "UPDATE evidence SET payload = '\\x" + hex + "'::bytea WHERE seq = 3");
  auto v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), 3u);
}

TEST_P(StoreTest, ChainDetectsADeletedRecord) {
  WriteGroup g = Batch(1, 5);
  Commit({&g});
  factory_->Tamper("DELETE FROM evidence WHERE seq = 2");
  auto v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), 3u);
  EXPECT_THAT(v.problem(), ::testing::HasSubstr("records 2 to 2 are missing"));
}

TEST_P(StoreTest, ChainDetectsSwappedRecords) {
  WriteGroup g = Batch(1, 5);
  Commit({&g});
  // Swap the payloads and hashes of records 2 and 3.
  factory_->Tamper("UPDATE evidence SET seq = -2 WHERE seq = 2");
  factory_->Tamper("UPDATE evidence SET seq = 2 WHERE seq = 3");
  factory_->Tamper("UPDATE evidence SET seq = 3 WHERE seq = -2");
  auto v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad_seq(), 2u);
}

TEST_P(StoreTest, ChainDetectsTruncatedTail) {
  WriteGroup g = Batch(1, 5);
  Commit({&g});
  factory_->Tamper("DELETE FROM evidence WHERE seq >= 4");
  auto v = Verify();
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(v.problem(), ::testing::HasSubstr("records at the end were deleted"));
}

// Long chains are checked in parallel halves (SQLite): a change in either half, or at the seam,
// is still found, and a clean chain counts every record once.
TEST_P(StoreTest, LongChainsVerifyCompletelyInEveryHalf) {
  constexpr int kGroups = 250, kPerGroup = 1000;
  for (int g = 0; g < kGroups; ++g) {
    WriteGroup w;
    w.agent_id = "agent-1";
    w.spool_epoch = 1;
    w.sequence = static_cast<uint64_t>(g + 1);
    for (int i = 0; i < kPerGroup; ++i) {
      PendingRecord pr;
      pr.payload = std::to_string(g * kPerGroup + i);
      w.records.push_back(std::move(pr));
    }
    Commit({&w}, absl::FromUnixSeconds(1'700'000'000 + g));
  }
  auto v = Verify();
  EXPECT_TRUE(v.ok()) << v.problem();
  EXPECT_EQ(v.records_checked(), 250000u);
  EXPECT_EQ(v.first_seq(), 1u);
  EXPECT_EQ(v.last_seq(), 250000u);
  for (uint64_t seq : {200000u, 125000u, 125001u, 17u}) {  // second half, the seam, first half
    factory_->Tamper(absl::StrCat("UPDATE evidence SET recorded_ns = recorded_ns + 1 WHERE seq = ", seq));
    v = Verify();
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.first_bad_seq(), seq);
    factory_->Tamper(absl::StrCat("UPDATE evidence SET recorded_ns = recorded_ns - 1 WHERE seq = ", seq));
  }
  EXPECT_TRUE(Verify().ok());
}

TEST_P(StoreTest, PruningKeepsTheRestVerifiable) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  for (int day = 0; day < 10; ++day) {
    WriteGroup g = Batch(day + 1, 3);
    Commit({&g}, t0 + absl::Hours(24 * day));
  }
  auto removed = store_->Prune(t0 + absl::Hours(24 * 4), t0 + absl::Hours(24 * 10));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 12u);  // days 0..3
  auto v = Verify();
  EXPECT_TRUE(v.ok()) << v.problem();
  EXPECT_EQ(v.first_seq(), 13u);
  EXPECT_EQ(v.records_checked(), 19u);  // 18 kept + the prune record
  auto recs = store_->Read({31});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].type, RecordType::kPrune);
  // Tampering after pruning is still found.
  factory_->Tamper("DELETE FROM evidence WHERE seq = 20");
  EXPECT_FALSE(Verify().ok());
}

TEST_P(StoreTest, FindsTheFirstRecordOfATimeRange) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  for (int i = 0; i < 6; ++i) {
    WriteGroup g = Batch(i + 1, 2);
    Commit({&g}, t0 + absl::Minutes(i));
  }
  EXPECT_EQ(*store_->FirstSeqAtOrAfter(t0 - absl::Hours(1)), 1u);
  EXPECT_EQ(*store_->FirstSeqAtOrAfter(t0 + absl::Minutes(2)), 5u);
  EXPECT_EQ(*store_->FirstSeqAtOrAfter(t0 + absl::Seconds(150)), 7u);
  EXPECT_EQ(*store_->FirstSeqAtOrAfter(t0 + absl::Hours(1)), 13u);
}

TEST_P(StoreTest, RecordedTimeNeverGoesBackwards) {
  WriteGroup a = Batch(1, 1), b = Batch(2, 1);
  Commit({&a}, absl::FromUnixSeconds(2'000'000'000));
  Commit({&b}, absl::FromUnixSeconds(1'000'000'000));  // the clock stepped back
  EXPECT_GE(b.recorded_ns, a.recorded_ns);
  EXPECT_TRUE(Verify().ok());
}

TEST_P(StoreTest, SideTablesFollowTheirRecords) {
  v1::EvidenceRecord ex;
  ex.mutable_exercise()->set_plan_id("brp");
  ex.mutable_exercise()->set_kind("tabletop");
  PendingRecord e;
  e.type = RecordType::kExercise;
  e.plan_id = "brp";
  ex.SerializeToString(&e.payload);
  PendingRecord t;
  t.type = RecordType::kTransition;
  t.plan_id = "brp";
  t.state = v1::PLAN_STATE_NOT_READY;
  t.payload = "x";
  PendingRecord pc;
  pc.type = RecordType::kPlanChange;
  pc.plan_id = "brp";
  pc.sha256 = "abc";
  pc.payload = "y";
  WriteGroup g;
  g.records = {e, t, pc};
  Commit({&g});
  EXPECT_THAT(*store_->ExerciseSeqs(), ::testing::ElementsAre(1));
  auto states = store_->LoadPlanStates();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].state, v1::PLAN_STATE_NOT_READY);
  EXPECT_EQ((*states)[0].seq, 2u);
  auto versions = store_->LoadPlanVersions();
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].second, "abc");
}

TEST_P(StoreTest, HistoryKeepsEachPlansAndSourcesRecordsNewestLast) {
  // A plan's own records go into its history; results only when marked, with the recovery
  // point before them.
  PendingRecord t;
  t.type = RecordType::kTransition;
  t.plan_id = "brp";
  t.payload = "t";
  PendingRecord other = t;
  other.plan_id = "other";
  WriteGroup g = Batch(1, 3);
  g.records[0].history = "agent-1/check-0";
  g.records[0].history_previous_point_ns = 1234;
  g.records[2].history = "agent-1/check-2";
  g.records.push_back(t);
  g.records.push_back(other);
  g.records.push_back(t);
  Commit({&g});
  auto plan = store_->History("brp", 1, 10);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].seq, 4u);
  EXPECT_EQ((*plan)[1].seq, 6u);
  // The newest `limit` of them, still in seq order; and from a seq on.
  EXPECT_EQ((*store_->History("brp", 1, 1))[0].seq, 6u);
  EXPECT_EQ(store_->History("brp", 5, 10)->size(), 1u);
  auto source = store_->History("agent-1/check-0", 0, 10);
  ASSERT_EQ(source->size(), 1u);
  EXPECT_EQ((*source)[0].seq, 1u);
  EXPECT_EQ((*source)[0].previous_point_ns, 1234);
  EXPECT_TRUE(store_->History("agent-1/check-1", 0, 10)->empty());
  // Pruned records leave the history too.
  const absl::Time later = absl::FromUnixSeconds(1'700'000'000) + absl::Hours(48);
  WriteGroup g2 = Batch(2, 1);
  g2.records[0].history = "agent-1/check-0";
  Commit({&g2}, later);
  ASSERT_TRUE(store_->Prune(later - absl::Hours(1), later).ok());
  source = store_->History("agent-1/check-0", 0, 10);
  ASSERT_EQ(source->size(), 1u);
  EXPECT_EQ((*source)[0].seq, 7u);
  EXPECT_TRUE(store_->History("brp", 0, 10)->empty());
}

TEST_P(StoreTest, CheckpointRoundTrips) {
  std::vector<SourceCheckpoint> rows = {{"a/x", 5, 4, 3, 100}, {"b/y", 9, 9, 9, 200}};
  ASSERT_TRUE(store_->SaveCheckpoint(rows, 9).ok());
  ASSERT_TRUE(store_->SaveCheckpoint({{"a/x", 12, 12, 12, 300}}, 12).ok());
  uint64_t through = 0;
  auto loaded = store_->LoadCheckpoint(&through);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(through, 12u);
  ASSERT_EQ(loaded->size(), 2u);
  for (const auto& r : *loaded) {
    if (r.source == "a/x") {
      EXPECT_EQ(r.latest_seq, 12u);
    } else {
      EXPECT_EQ(r.conclusive_seq, 9u);
    }
  }
}

TEST_P(StoreTest, AttachmentsAreStoredByDigest) {
  ASSERT_TRUE(store_->PutAttachment("d1", "report bytes").ok());
  ASSERT_TRUE(store_->PutAttachment("d1", "report bytes").ok());
  EXPECT_EQ(*store_->GetAttachment("d1"), "report bytes");
  EXPECT_EQ(store_->GetAttachment("nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace paraat

#include "tests/unit/store_tree_suite.h"  // IWYU pragma: export

#endif  // PARAAT_TESTS_UNIT_STORE_SUITE_H_
