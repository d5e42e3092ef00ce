// Gap reports checked against the batches the store holds (collector/ingest/gap_check.h), on a
// real SQLite store: what the collector stored is never recorded as lost.
#include "collector/ingest/gap_check.h"

#include "collector/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

constexpr uint64_t kEpoch = 42;

// A batch of `results` results of agent t1, as the agent service writes it.
WriteGroup Batch(uint64_t sequence, int results) {
  WriteGroup g;
  g.agent_id = "t1";
  g.spool_epoch = kEpoch;
  g.sequence = sequence;
  for (int i = 0; i < results; ++i) {
    v1::EvidenceRecord rec;
    auto* rr = rec.mutable_result();
    rr->set_agent_id("t1");
    rr->set_spool_epoch(kEpoch);
    rr->set_batch_sequence(sequence);
    rr->mutable_result()->set_check_id("c");
    rr->mutable_result()->set_status(v1::CHECK_STATUS_OK);
    PendingRecord pr;
    pr.type = RecordType::kResult;
    rec.SerializeToString(&pr.payload);
    g.records.push_back(std::move(pr));
  }
  return g;
}

v1::Gap Report(std::vector<std::pair<uint64_t, uint64_t>> ranges, uint64_t batches, uint64_t results) {
  v1::Gap g;
  g.set_first_sequence(ranges.front().first);
  g.set_last_sequence(ranges.back().second);
  g.set_dropped_batches(batches);
  g.set_dropped_results(results);
  g.set_reason("spool full");
  for (auto [first, last] : ranges) {
    auto* r = g.add_dropped_ranges();
    r->set_first(first);
    r->set_last(last);
  }
  return g;
}

class GapCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    // Batches 1-3 delivered; 4 (3 results) stored although its acknowledgement was lost; 7 too
    // (2 results); another agent's batch 5.
    std::vector<WriteGroup> groups = {Batch(1, 1), Batch(2, 1), Batch(3, 1), Batch(4, 3), Batch(7, 2)};
    WriteGroup other = Batch(5, 4);
    other.agent_id = "t2";
    groups.push_back(std::move(other));
    std::vector<WriteGroup*> ptrs;
    for (WriteGroup& g : groups) ptrs.push_back(&g);
    ASSERT_TRUE(store_.Commit(ptrs, absl::FromUnixSeconds(1'800'000'000)).ok());
  }
  testing::TempDir dir_;
  SqliteStore store_{dir_ / "paraat.db"};
};

TEST_F(GapCheckTest, RecordsAsLostOnlyTheSequencesNeverStored) {
  // The agent dropped 4..8 (5 batches, 11 results): 4 and 7 are stored.
  auto checked = CheckGap(&store_, "t1", kEpoch, Report({{4, 8}}, 5, 11));
  ASSERT_TRUE(checked.ok()) << checked.status();
  const v1::Gap& lost = checked->record.gap();
  ASSERT_EQ(lost.dropped_ranges_size(), 2);
  EXPECT_EQ(lost.dropped_ranges(0).first(), 5u);
  EXPECT_EQ(lost.dropped_ranges(0).last(), 6u);
  EXPECT_EQ(lost.dropped_ranges(1).first(), 8u);
  EXPECT_EQ(lost.dropped_ranges(1).last(), 8u);
  EXPECT_EQ(lost.first_sequence(), 5u);
  EXPECT_EQ(lost.last_sequence(), 8u);
  EXPECT_EQ(lost.dropped_batches(), 3u);
  EXPECT_EQ(lost.dropped_results(), 6u);  // 11 less the 3 + 2 stored
  EXPECT_EQ(checked->lost_results, 6u);
  EXPECT_EQ(checked->stored_batches, 2u);
  EXPECT_EQ(checked->record.stored_batches(), 2u);
  EXPECT_EQ(checked->record.reported().dropped_results(), 11u) << "the agent's report stays beside it";
  EXPECT_THAT(checked->description, ::testing::HasSubstr("2 of those batches (5 results) were stored already"));
}

TEST_F(GapCheckTest, AReportOfStoredBatchesOnlyLosesNothing) {
  auto checked = CheckGap(&store_, "t1", kEpoch, Report({{4, 4}, {7, 7}}, 2, 5));
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->record.gap().dropped_results(), 0u);
  EXPECT_EQ(checked->record.gap().dropped_batches(), 0u);
  EXPECT_EQ(checked->record.gap().dropped_ranges_size(), 0);
  EXPECT_EQ(checked->lost_results, 0u);
}

TEST_F(GapCheckTest, OtherAgentsEpochsAndOldReportsAreTakenAsReported) {
  auto other_epoch = CheckGap(&store_, "t1", kEpoch + 1, Report({{4, 8}}, 5, 11));
  ASSERT_TRUE(other_epoch.ok());
  EXPECT_EQ(other_epoch->lost_results, 11u);
  EXPECT_FALSE(other_epoch->record.has_reported());
  v1::Gap old = Report({{4, 8}}, 5, 11);
  old.clear_dropped_ranges();  // an agent from before dropped_ranges: [first, last] may span delivered batches
  auto as_reported = CheckGap(&store_, "t1", kEpoch, old);
  ASSERT_TRUE(as_reported.ok());
  EXPECT_EQ(as_reported->lost_results, 11u);
  auto no_store = CheckGap(nullptr, "t1", kEpoch, Report({{4, 8}}, 5, 11));
  ASSERT_TRUE(no_store.ok());
  EXPECT_EQ(no_store->lost_results, 11u);
}

}  // namespace
}  // namespace paraat
