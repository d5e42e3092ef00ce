// The rotation ledger restic's data subsets and the file verifier share: coverage within the
// window, damage remembered until read back intact, and state saved by earlier versions.
#include "agent/checks/support/rotation_ledger.h"

#include "gtest/gtest.h"

namespace paraat {
namespace {

std::vector<RotationLedger::Item> Subsets(int n) {
  std::vector<RotationLedger::Item> items;
  for (int i = 1; i <= n; ++i) items.push_back({std::to_string(i)});
  return items;
}

TEST(RotationLedger, CoverageCountsWhatWasReadIntactWithinTheWindow) {
  EXPECT_EQ(RotationLedger::WindowFor(0.5), 2);
  EXPECT_EQ(RotationLedger::WindowFor(0.05), 20);
  EXPECT_EQ(RotationLedger::WindowFor(0.3), 4);
  nlohmann::json state;
  for (int run = 1; run <= 4; ++run) {
    RotationLedger ledger(state, "verified", 3);
    EXPECT_EQ(ledger.StartRun(), run);
    ledger.Record(std::to_string((run - 1) % 3 + 1), true);
    const double expected[] = {1.0 / 3, 2.0 / 3, 1.0, 1.0};
    EXPECT_DOUBLE_EQ(ledger.Coverage(Subsets(3)), expected[run - 1]) << run;
    state = ledger.state();
  }
  // Two runs that read nothing later, only subset 1 (read in run 4) is within the last three.
  RotationLedger ledger(state, "verified", 3);
  ledger.StartRun();
  ledger.StartRun();
  EXPECT_TRUE(ledger.IntactWithinWindow("1"));
  EXPECT_FALSE(ledger.IntactWithinWindow("2"));
  EXPECT_FALSE(ledger.IntactWithinWindow("3"));
}

TEST(RotationLedger, DamageStaysUntilReadBackIntactAndChangedItemsDoNotCount) {
  RotationLedger ledger(nlohmann::json(), "files", 1);
  ledger.StartRun();
  ledger.Record("a.dump", false, {{"size", 10}});
  ledger.Record("b.dump", true, {{"size", 30}});
  EXPECT_TRUE(ledger.LastReadDamaged("a.dump"));
  EXPECT_EQ(ledger.Find("a.dump")->value("size", 0), 10);
  EXPECT_DOUBLE_EQ(ledger.Coverage({{"a.dump", 10}, {"b.dump", 30}}), 0.75);
  EXPECT_DOUBLE_EQ(ledger.Coverage({{"a.dump", 10}, {"b.dump", 30, /*current=*/false}}), 0.0);
  ledger.StartRun();
  ledger.Record("a.dump", true);
  EXPECT_FALSE(ledger.LastReadDamaged("a.dump"));
  ledger.Retain({"a.dump"});
  EXPECT_EQ(ledger.Find("b.dump"), nullptr);
  EXPECT_DOUBLE_EQ(ledger.Coverage({}), 1.0);
}

TEST(RotationLedger, ReadsTheStateEarlierVersionsSaved) {
  // restic.json before the ledger: each subset's last intact run as a bare number.
  auto old = nlohmann::json::parse(R"({"next": 3, "subsets": 4, "run": 7, "verified": {"1": 5, "2": 7}})");
  RotationLedger ledger(old, "verified", 4);
  EXPECT_EQ(ledger.run(), 7);
  EXPECT_TRUE(ledger.IntactWithinWindow("1"));
  EXPECT_TRUE(ledger.IntactWithinWindow("2"));
  EXPECT_FALSE(ledger.IntactWithinWindow("3"));
  EXPECT_DOUBLE_EQ(ledger.Coverage(Subsets(4)), 0.5);
  EXPECT_EQ(ledger.state()["next"], 3);  // the kind's own fields stay
  // Anything unreadable starts afresh.
  RotationLedger fresh(nlohmann::json::array(), "verified", 4);
  EXPECT_EQ(fresh.run(), 0);
  EXPECT_DOUBLE_EQ(fresh.Coverage(Subsets(4)), 0.0);
}

}  // namespace
}  // namespace paraat
