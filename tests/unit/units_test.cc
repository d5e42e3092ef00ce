#include "common/units.h"

#include "common/time_util.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

TEST(ParseDuration, AcceptsTheUnitsUsersWrite) {
  EXPECT_EQ(*ParseDuration("200ms"), absl::Milliseconds(200));
  EXPECT_EQ(*ParseDuration("30s"), absl::Seconds(30));
  EXPECT_EQ(*ParseDuration("15m"), absl::Minutes(15));
  EXPECT_EQ(*ParseDuration("4h"), absl::Hours(4));
  EXPECT_EQ(*ParseDuration("7d"), absl::Hours(24 * 7));
  EXPECT_EQ(*ParseDuration("52w"), absl::Hours(24 * 7 * 52));
  EXPECT_EQ(*ParseDuration("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseDuration(" 10s "), absl::Seconds(10));
}

TEST(ParseDuration, RejectsWithAMessageThatSaysWhy) {
  auto r = ParseDuration("fifteen");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "\"fifteen\" is not a duration (use e.g. 30s, 15m, 4h, 7d)");
  EXPECT_EQ(ParseDuration("15").status().message(), "\"15\" has no unit (use e.g. 30s, 15m, 4h, 7d)");
  EXPECT_EQ(ParseDuration("15y").status().message(), "\"15y\" has unknown unit \"y\" (use ms, s, m, h, d or w)");
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("-5m").ok());
  EXPECT_FALSE(ParseDuration("5 m").ok());
  EXPECT_FALSE(ParseDuration("99999999999d").ok());
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseSize("512KiB"), 512u * 1024);
  EXPECT_EQ(*ParseSize("1MiB"), 1024u * 1024);
  EXPECT_EQ(*ParseSize("10GB"), 10'000'000'000u);
  EXPECT_EQ(*ParseSize("500GB"), 500'000'000'000u);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("1.5GiB"), 1610612736u);
  EXPECT_EQ(*ParseSize("2 MiB"), 2u << 20);
}

TEST(ParseSize, RejectsGarbage) {
  EXPECT_EQ(ParseSize("big").status().message(), "\"big\" is not a size (use e.g. 512KiB, 1MiB, 10GB)");
  EXPECT_EQ(ParseSize("10XB").status().message(),
            "\"10XB\" has unknown unit \"XB\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)");
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("-1MiB").ok());
  EXPECT_FALSE(ParseSize("1MiB extra").ok());
  EXPECT_FALSE(ParseSize("99999999TiB").ok());
}

TEST(ParseRate, NeedsPerSecond) {
  EXPECT_EQ(*ParseRate("200MB/s"), 200'000'000u);
  EXPECT_FALSE(ParseRate("200MB").ok());
  EXPECT_FALSE(ParseRate("0MB/s").ok());
}

TEST(ParsePercent, GivesAFraction) {
  EXPECT_DOUBLE_EQ(*ParsePercent("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*ParsePercent("100%"), 1.0);
  EXPECT_FALSE(ParsePercent("0%").ok());
  EXPECT_FALSE(ParsePercent("101%").ok());
  EXPECT_FALSE(ParsePercent("5").ok());
}

TEST(HumanDuration, KeepsTheTwoLargestUnits) {
  EXPECT_EQ(HumanDuration(absl::Milliseconds(350)), "350ms");
  EXPECT_EQ(HumanDuration(absl::Seconds(30)), "30s");
  EXPECT_EQ(HumanDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(HumanDuration(absl::Minutes(15)), "15m");
  EXPECT_EQ(HumanDuration(absl::Minutes(90)), "1h30m");
  EXPECT_EQ(HumanDuration(absl::Hours(26) + absl::Minutes(5)), "1d2h");
  // Non-adjacent units are not shown: 1 day and 5 minutes reads as 1d.
  EXPECT_EQ(HumanDuration(absl::Hours(24) + absl::Minutes(5)), "1d");
  EXPECT_EQ(HumanDuration(-absl::Seconds(5)), "-5s");
}

TEST(HumanSize, UsesBinaryUnits) {
  EXPECT_EQ(HumanSize(512), "512 B");
  EXPECT_EQ(HumanSize(1536), "1.5 KiB");
  EXPECT_EQ(HumanSize(10ull << 30), "10.0 GiB");
}

TEST(FormatTimeUtc, MatchesRfc3339ForEveryKindOfDate) {
  for (int64_t s : {int64_t{0}, int64_t{951782400} /* 2000-02-29 */, int64_t{1795960926}, int64_t{-86401},
                    int64_t{253402300799} /* 9999-12-31T23:59:59 */}) {
    const absl::Time t = absl::FromUnixSeconds(s) + absl::Milliseconds(999);
    EXPECT_EQ(FormatTimeUtc(t), absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone())) << s;
  }
  EXPECT_EQ(FormatTimeUtc(absl::FromUnixSeconds(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatUnixNs(0), "never");
}

}  // namespace
}  // namespace paraat
