#include "agent/spool.h"

#include <filesystem>
#include <map>
#include <set>

#include "common/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

std::vector<v1::Result> Results(int n, int64_t t = 1'700'000'000'000'000'000) {
  std::vector<v1::Result> out(n);
  for (int i = 0; i < n; ++i) {
    out[i].set_check_id("c" + std::to_string(i));
    out[i].set_kind("file_backup");
    out[i].set_status(v1::CHECK_STATUS_OK);
    out[i].set_started_unix_ns(t + i);
    out[i].set_message(std::string(200, 'x'));
  }
  return out;
}

TEST(Spool, AppendNextAck) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  auto s1 = (*spool)->Append(Results(2));
  auto s2 = (*spool)->Append(Results(3));
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_LT(*s1, *s2);
  auto first = (*spool)->Next(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sequence(), *s1);
  EXPECT_EQ(first->results_size(), 2);
  EXPECT_EQ((*spool)->Next(*s1)->sequence(), *s2);
  EXPECT_FALSE((*spool)->Next(*s2));
  (*spool)->Ack(*s1);
  EXPECT_EQ((*spool)->Next(0)->sequence(), *s2);
  EXPECT_EQ((*spool)->stats().results, 3u);
  (*spool)->Ack(*s2);
  EXPECT_TRUE((*spool)->empty());
}

TEST(Spool, SurvivesRestartWithSameEpochAndNewSequences) {
  testing::TempDir dir;
  uint64_t epoch, last;
  {
    auto spool = Spool::Open(dir / "spool", 1 << 20);
    ASSERT_TRUE(spool.ok());
    epoch = (*spool)->epoch();
    (*spool)->Append(Results(1)).IgnoreError();
    last = *(*spool)->Append(Results(1));
    (*spool)->Ack(last);  // acknowledged: gone from disk, but its sequence must not come back
  }
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ((*spool)->epoch(), epoch);
  EXPECT_EQ((*spool)->stats().batches, 1u);  // the unacknowledged one is still there
  auto next = (*spool)->Append(Results(1));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, last);
}

TEST(Spool, NewSpoolDirectoryGetsANewEpoch) {
  testing::TempDir dir;
  auto a = Spool::Open(dir / "a", 1 << 20);
  auto b = Spool::Open(dir / "b", 1 << 20);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->epoch(), (*b)->epoch());
}

TEST(Spool, FullSpoolDropsOldestAndReportsTheGap) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 64 << 10);
  ASSERT_TRUE(spool.ok());
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 40; ++i) seqs.push_back(*(*spool)->Append(Results(10, 1'700'000'000'000'000'000 + i)));
  auto stats = (*spool)->stats();
  EXPECT_LE(stats.bytes, 64u << 10);
  EXPECT_GT(stats.dropped_batches, 0u);
  EXPECT_EQ(stats.dropped_results, stats.dropped_batches * 10);
  // The oldest batches are gone; every dropped batch is covered by a gap report that travels
  // with a batch still in the spool (reports carried by dropped batches are carried forward).
  auto first = (*spool)->Next(0);
  ASSERT_TRUE(first);
  EXPECT_GT(first->sequence(), seqs[0]);
  std::set<uint64_t> covered;
  uint64_t reported_results = 0;
  for (uint64_t after = 0;;) {
    auto b = (*spool)->Next(after);
    if (!b) break;
    after = b->sequence();
    for (const auto& g : b->gaps()) {
      for (uint64_t s = g.first_sequence(); s <= g.last_sequence(); ++s) EXPECT_TRUE(covered.insert(s).second) << s;
      reported_results += g.dropped_results();
      EXPECT_THAT(g.reason(), ::testing::HasSubstr("spool full"));
    }
  }
  std::set<uint64_t> dropped;
  for (uint64_t s : seqs) {
    if (s < first->sequence()) dropped.insert(s);
  }
  EXPECT_EQ(covered, dropped);
  EXPECT_EQ(reported_results, stats.dropped_results);
}

// A batch already sent may be stored while its acknowledgement is on the way; if a full spool
// dropped it, the gap would report as lost a result the collector holds.
TEST(Spool, ABatchAlreadySentIsNotDroppedWhenTheSpoolFills) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 64 << 10);
  ASSERT_TRUE(spool.ok());
  const uint64_t first = *(*spool)->Append(Results(10, 1'700'000'000'000'000'000));
  auto sent = (*spool)->Next(0);
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->sequence(), first);
  for (int i = 1; i < 40; ++i) ASSERT_TRUE((*spool)->Append(Results(10, 1'700'000'000'000'000'000 + i)).ok());
  auto stats = (*spool)->stats();
  EXPECT_GT(stats.dropped_batches, 0u);
  // Still there, and still first in line; the drops were of later, unsent batches.
  auto again = (*spool)->Next(0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sequence(), first);
  auto next = (*spool)->Next(first);
  ASSERT_TRUE(next);
  EXPECT_GT(next->sequence(), first + 1);
  // Acknowledged, it goes; the spool stays within its bound.
  (*spool)->Ack(first);
  EXPECT_LE((*spool)->stats().bytes, 64u << 10);
}

std::string BatchFile(const testing::TempDir& dir, uint64_t seq) {
  char name[32];
  snprintf(name, sizeof name, "%020lu.pb", static_cast<unsigned long>(seq));
  return dir / ("spool/batches/" + std::string(name));
}

// The gap reports of every batch left in the spool.
std::vector<v1::Gap> ReportedGaps(Spool& spool) {
  std::vector<v1::Gap> gaps;
  for (uint64_t after = 0;;) {
    auto b = spool.Next(after);
    if (!b) return gaps;
    after = b->sequence();
    gaps.insert(gaps.end(), b->gaps().begin(), b->gaps().end());
  }
}

// A Latin-1 file name in one result of a batch: protobuf would refuse to parse the batch back,
// losing every result in it. Escaped at the spool, all of them come back, the name exactly.
TEST(Spool, ResultsWithBytesThatAreNotUtf8AreReadBackBesideTheOthers) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  std::vector<v1::Result> results = Results(2);
  results[0].set_message("newest backup caf\xe9.dump");
  auto* d = results[0].add_details();
  d->set_key("file");
  d->set_value("/backups/caf\xe9.dump");
  results[0].set_output_tail(std::string(5000, 'x') + "\xc3\xa9");  // cut to 4096 would halve the é
  ASSERT_TRUE((*spool)->Append(std::move(results)).ok());
  auto batch = (*spool)->Next(0);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->results_size(), 2);
  EXPECT_EQ(batch->results(0).message(), "newest backup caf\\xE9.dump");
  EXPECT_EQ(UnescapeUtf8(batch->results(0).details(0).value()), "/backups/caf\xe9.dump");
  EXPECT_EQ(batch->results(1).check_id(), "c1");
  EXPECT_EQ((*spool)->stats().dropped_batches, 0u);
}

// Truncated on disk (a crash, a full disk): counted and reported as a gap, never silently.
TEST(Spool, AnUnreadableBatchBecomesAGap) {
  testing::TempDir dir;
  uint64_t seq;
  {
    auto spool = Spool::Open(dir / "spool", 1 << 20);
    seq = *(*spool)->Append(Results(3));
  }
  const std::string bytes = testing::ReadFileOrDie(BatchFile(dir, seq));
  testing::WriteFileOrDie(BatchFile(dir, seq), bytes.substr(0, bytes.size() - 100));  // the third result cut
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  EXPECT_TRUE((*spool)->empty());
  EXPECT_EQ((*spool)->stats().dropped_batches, 1u);
  EXPECT_EQ((*spool)->stats().dropped_results, 3u);
  // The report survives another restart, and travels with the next batch.
  spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  auto next = (*spool)->Append(Results(1));
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, seq);
  std::vector<v1::Gap> gaps = ReportedGaps(**spool);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].reason(), Spool::kUnreadableBatch);
  EXPECT_EQ(gaps[0].first_sequence(), seq);
  EXPECT_EQ(gaps[0].last_sequence(), seq);
  EXPECT_EQ(gaps[0].dropped_batches(), 1u);
  EXPECT_EQ(gaps[0].dropped_results(), 3u);
  EXPECT_GT(gaps[0].newest_unix_ns(), 0);
}

// Damaged while queued, with a spool-full gap report of its own: both holes are reported, each
// under its own reason. (Damaged before a restart, the reports it carried are lost with it:
// only the batch itself is known then, AnUnreadableBatchBecomesAGap.)
TEST(Spool, ABatchDamagedWhileQueuedBecomesAGapAndKeepsTheGapItCarried) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 64 << 10);
  ASSERT_TRUE(spool.ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE((*spool)->Append(Results(10, 1'700'000'000'000'000'000 + i)).ok());
  const uint64_t full_drops = (*spool)->stats().dropped_results;
  ASSERT_GT(full_drops, 0u);
  // Damage the batch that carries the spool-full report.
  std::optional<v1::ResultBatch> first;
  for (uint64_t after = 0; !first || first->gaps_size() == 0; after = first->sequence()) {
    first = (*spool)->Next(after);
    ASSERT_TRUE(first) << "no batch carries the gap report";
  }
  testing::WriteFileOrDie(BatchFile(dir, first->sequence()), "\xff\xff\xff garbage");
  // Read again (a reconnect resends everything): dropped, and its reports kept.
  auto& reopened = spool;
  ReportedGaps(**reopened);
  ASSERT_TRUE((*reopened)->Append(Results(1, 1'800'000'000'000'000'000)).ok());
  // Every hole is still reported: the spool-full drops in full, and the damaged batch.
  std::map<std::string, uint64_t> batches, results;
  for (const auto& g : ReportedGaps(**reopened)) {
    const std::string reason = g.reason() == Spool::kUnreadableBatch ? g.reason() : g.reason().substr(0, 10);
    batches[reason] += g.dropped_batches();
    results[reason] += g.dropped_results();
  }
  EXPECT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[Spool::kUnreadableBatch], 1u);
  EXPECT_EQ(results[Spool::kUnreadableBatch], 10u);
  EXPECT_EQ(results["spool full"], full_drops);
}

TEST(Spool, ABatchDamagedAfterItWasReadIsAGapWhenReadAgain) {
  testing::TempDir dir;
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  const uint64_t seq = *(*spool)->Append(Results(2));
  testing::WriteFileOrDie(BatchFile(dir, seq), "\x12\x05short");
  EXPECT_FALSE((*spool)->Next(0));
  EXPECT_EQ((*spool)->stats().dropped_results, 2u);
  ASSERT_TRUE((*spool)->Append(Results(1)).ok());
  std::vector<v1::Gap> gaps = ReportedGaps(**spool);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].reason(), Spool::kUnreadableBatch);
  EXPECT_EQ(gaps[0].dropped_results(), 2u);
}

// What an agent before this version wrote: a Latin-1 string in a proto3 string field. Read back
// with the bytes escaped and sent, not dropped.
TEST(Spool, ABatchAnOlderAgentWroteWithBytesThatAreNotUtf8IsSent) {
  testing::TempDir dir;
  { ASSERT_TRUE(Spool::Open(dir / "spool", 1 << 20).ok()); }
  v1::ResultBatch old;
  old.set_sequence(77);
  *old.add_results() = Results(1)[0];
  old.mutable_results(0)->set_message("caf\xe9");
  {
    google::protobuf::LogSilencer quiet;
    testing::WriteFileOrDie(BatchFile(dir, 77), old.SerializeAsString());
  }
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  auto batch = (*spool)->Next(0);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->sequence(), 77u);
  EXPECT_EQ(batch->results(0).message(), "caf\\xE9");
  EXPECT_EQ((*spool)->stats().dropped_batches, 0u);
}

}  // namespace
}  // namespace paraat
