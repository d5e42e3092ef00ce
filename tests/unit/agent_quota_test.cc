// The bound on agents and their checks, on wall times passed in: hellos within and beyond the
// limits, checks and agents that fall silent for longer than the retention, the restored state.
#include "collector/ingest/agent_quota.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(prefix, i));
  return out;
}

class AgentQuotaTest : public ::testing::Test {
 protected:
  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
  AgentQuota quota_{AgentQuotaOptions{/*max_agents=*/3, /*max_checks=*/10, /*retention=*/absl::Hours(24)}};
};

TEST_F(AgentQuotaTest, AnAgentsChecksAreThoseItsHellosListed) {
  EXPECT_TRUE(quota_.Admit("db-01", Ids("c", 10), t0_).ok());
  EXPECT_TRUE(quota_.Admit("db-01", Ids("c", 10), t0_ + absl::Minutes(1)).ok()) << "the same again";
  // One more, within the retention: 11.
  absl::Status st = quota_.Admit("db-01", {"new"}, t0_ + absl::Minutes(2));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(st.message(), HasSubstr("agent db-01 would have 11 checks"));
  EXPECT_THAT(st.message(), HasSubstr("at most 10 checks per agent"));
  // Checks not listed for longer than the retention no longer count.
  EXPECT_TRUE(quota_.Admit("db-01", Ids("d", 10), t0_ + absl::Hours(25)).ok());
  EXPECT_FALSE(quota_.Admit("db-01", Ids("c", 1), t0_ + absl::Hours(25)).ok()) << "c0 is gone, d0..d9 count";
  // A hello with more than the maximum on its own.
  EXPECT_FALSE(quota_.Admit("db-02", Ids("x", 11), t0_).ok());
}

TEST_F(AgentQuotaTest, AgentsBeyondTheMaximumAreRefusedUntilOneFallsSilent) {
  bool full = false;
  for (const char* a : {"a1", "a2", "a3"}) EXPECT_TRUE(quota_.Admit(a, {"c"}, t0_, &full).ok()) << a;
  EXPECT_FALSE(full);
  absl::Status st = quota_.Admit("a4", {"c"}, t0_, &full);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(full);
  EXPECT_THAT(st.message(), HasSubstr("raise limits.max_agents"));
  EXPECT_TRUE(quota_.Admit("a1", {"c"}, t0_ + absl::Hours(2)).ok()) << "a known agent still gets in";
  // a1 keeps reporting, a2 and a3 fall silent for longer than the retention.
  quota_.Seen("a1", t0_ + absl::Hours(20));
  EXPECT_TRUE(quota_.Admit("a4", {"c"}, t0_ + absl::Hours(25)).ok());
  EXPECT_EQ(quota_.agents(), 2u);
}

TEST_F(AgentQuotaTest, TheRestoredStateCounts) {
  for (const std::string& c : Ids("r", 8)) quota_.Restore("db-01", c, t0_);
  EXPECT_TRUE(quota_.Admit("db-01", Ids("r", 8), t0_ + absl::Hours(1)).ok());
  EXPECT_FALSE(quota_.Admit("db-01", Ids("n", 3), t0_ + absl::Hours(1)).ok()) << "8 restored + 3 new";
  quota_.Restore("old", "c", t0_ - absl::Hours(48));  // silent for longer than the retention
  quota_.Restore("a2", "c", t0_);
  // Full: swept again at most once a second.
  EXPECT_TRUE(quota_.Admit("a3", {"c"}, t0_ + absl::Hours(1) + absl::Seconds(2)).ok())
      << "the silent one does not count";
}

}  // namespace
}  // namespace paraat
