#include "agent/spool.h"

#include <filesystem>
#include <set>

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

// Each gap report names exactly the sequences dropped (Gap.dropped_ranges). A batch sent before a
// restart is not known as sent after it: it may be dropped and reported; the collector checks the
// report against what it stored (collector/ingest/gap_check.h).
TEST(Spool, GapReportsNameExactlyTheDroppedSequences) {
  testing::TempDir dir;
  uint64_t sent = 0;
  {
    auto spool = Spool::Open(dir / "spool", 64 << 10);
    ASSERT_TRUE(spool.ok());
    sent = *(*spool)->Append(Results(10, 1'700'000'000'000'000'000));
    ASSERT_TRUE((*spool)->Next(0));  // sent; the acknowledgement never comes
  }
  auto spool = Spool::Open(dir / "spool", 64 << 10);
  ASSERT_TRUE(spool.ok());
  std::vector<uint64_t> seqs = {sent};
  for (int i = 1; i < 40; ++i) seqs.push_back(*(*spool)->Append(Results(10, 1'700'000'000'000'000'000 + i)));
  std::set<uint64_t> in_spool, reported;
  for (uint64_t after = 0;;) {
    auto b = (*spool)->Next(after);
    if (!b) break;
    after = b->sequence();
    in_spool.insert(after);
    for (const auto& g : b->gaps()) {
      ASSERT_GT(g.dropped_ranges_size(), 0);
      uint64_t batches = 0;
      for (const auto& r : g.dropped_ranges()) {
        ASSERT_LE(r.first(), r.last());
        for (uint64_t s = r.first(); s <= r.last(); ++s, ++batches) EXPECT_TRUE(reported.insert(s).second) << s;
      }
      EXPECT_EQ(batches, g.dropped_batches());
    }
  }
  std::set<uint64_t> dropped;
  for (uint64_t s : seqs) {
    if (!in_spool.count(s)) dropped.insert(s);
  }
  EXPECT_EQ(reported, dropped);
  EXPECT_TRUE(reported.count(sent)) << "sent before the restart, dropped after it: reported";
}

TEST(Spool, UnreadableBatchIsDroppedNotFatal) {
  testing::TempDir dir;
  uint64_t seq;
  {
    auto spool = Spool::Open(dir / "spool", 1 << 20);
    seq = *(*spool)->Append(Results(1));
  }
  char name[32];
  snprintf(name, sizeof name, "%020lu.pb", static_cast<unsigned long>(seq));
  testing::WriteFileOrDie(dir / ("spool/batches/" + std::string(name)), "\xff\xff\xff garbage");
  auto spool = Spool::Open(dir / "spool", 1 << 20);
  ASSERT_TRUE(spool.ok());
  EXPECT_TRUE((*spool)->empty());
}

}  // namespace
}  // namespace paraat
