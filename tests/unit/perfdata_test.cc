#include "agent/perfdata.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

TEST(Perfdata, ParsesTheMonitoringPluginsFormat) {
  std::vector<std::string> problems;
  auto v = ParsePerfdata("time=0.002012s;;;0.000000;10.000000 'free space'=512MB;1024;256;0;2048 load1=0.5 cnt=12c",
                         &problems);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].label, "time");
  EXPECT_DOUBLE_EQ(v[0].value, 0.002012);
  EXPECT_EQ(v[0].unit, "s");
  EXPECT_FALSE(v[0].warn);
  EXPECT_DOUBLE_EQ(*v[0].max, 10.0);
  EXPECT_EQ(v[1].label, "free space");
  EXPECT_DOUBLE_EQ(v[1].value, 512.0 * 1024 * 1024);
  EXPECT_EQ(v[1].unit, "B");
  EXPECT_DOUBLE_EQ(*v[1].warn, 1024.0 * 1024 * 1024);
  EXPECT_EQ(v[2].unit, "");
  EXPECT_EQ(v[3].unit, "c");
  EXPECT_TRUE(problems.empty());
}

TEST(Perfdata, QuotedLabelsAndRanges) {
  auto v = ParsePerfdata("'it''s /var'=5%;80:90;@95;0;100 ms=250ms");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].label, "it's /var");
  EXPECT_FALSE(v[0].warn);  // ranges are not single thresholds
  EXPECT_FALSE(v[0].crit);
  EXPECT_DOUBLE_EQ(*v[0].max, 100);
  EXPECT_DOUBLE_EQ(v[1].value, 0.25);
}

TEST(Perfdata, GarbageIsSkippedNotFatal) {
  std::vector<std::string> problems;
  auto v = ParsePerfdata("novalue= =5 x=abc y=U 'unterminated=3", &problems);
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(problems.empty());
  EXPECT_TRUE(ParsePerfdata("").empty());
  EXPECT_TRUE(ParsePerfdata("    ").empty());
}

TEST(Perfdata, SplitsPluginOutput) {
  std::string msg, perf;
  SplitPluginOutput("DISK OK - free space: / 3326 MB | /=2643MB;5948;5958;0;5968\nlong text | extra=1\n", &msg, &perf);
  EXPECT_EQ(msg, "DISK OK - free space: / 3326 MB");
  EXPECT_EQ(perf, "/=2643MB;5948;5958;0;5968 extra=1");
}

}  // namespace
}  // namespace paraat
