// The per-agent token bucket, on a fake clock: bursts, refills, and wall-clock steps that must
// change nothing.
#include "collector/ingest/rate_limiter.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  AgentRateLimiter limiter_{/*per_second=*/10, /*burst=*/20, &clock_};
};

TEST_F(RateLimiterTest, ABurstThenTheRate) {
  EXPECT_TRUE(limiter_.Admit("a", 20));
  EXPECT_FALSE(limiter_.Admit("a", 1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter_.Admit("a", 10));
  EXPECT_FALSE(limiter_.Admit("a", 1));
  // Idle for long, an agent gets its burst back, never more.
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(limiter_.Admit("a", 20));
  EXPECT_FALSE(limiter_.Admit("a", 1));
}

TEST_F(RateLimiterTest, ARefusedRequestTakesNothing) {
  EXPECT_TRUE(limiter_.Admit("a", 15));
  EXPECT_FALSE(limiter_.Admit("a", 10));
  EXPECT_TRUE(limiter_.Admit("a", 5));
}

TEST_F(RateLimiterTest, EachAgentHasItsOwnBucket) {
  EXPECT_TRUE(limiter_.Admit("a", 20));
  EXPECT_FALSE(limiter_.Admit("a", 1));
  EXPECT_TRUE(limiter_.Admit("b", 20));
}

TEST_F(RateLimiterTest, TheWallClockSteppingBackDoesNotStopAnAgent) {
  EXPECT_TRUE(limiter_.Admit("a", 20));
  clock_.SetWall(clock_.Now() - absl::Hours(1));  // NTP, or an operator's date -s
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(limiter_.Admit("a", 10));
}

TEST_F(RateLimiterTest, TheWallClockSteppingForwardGrantsNothing) {
  EXPECT_TRUE(limiter_.Admit("a", 20));
  clock_.SetWall(clock_.Now() + absl::Hours(1));
  EXPECT_FALSE(limiter_.Admit("a", 1));
}

// A connection has its bucket too: however many agent ids (a certificate naming several) or
// streams it carries, it gets one agent's rate.
TEST_F(RateLimiterTest, AConnectionIsLimitedAcrossTheAgentsItSpeaksFor) {
  EXPECT_TRUE(limiter_.Admit("a", "ipv4:10.0.0.5:4000", 15));
  EXPECT_FALSE(limiter_.Admit("b", "ipv4:10.0.0.5:4000", 10)) << "the connection has 5 left";
  EXPECT_TRUE(limiter_.Admit("b", "ipv4:10.0.0.6:4000", 10)) << "b from elsewhere";
  EXPECT_FALSE(limiter_.Admit("a", "ipv4:10.0.0.7:4000", 10)) << "a's own bucket has 5 left";
  EXPECT_TRUE(limiter_.Admit("a", "ipv4:10.0.0.7:4000", 5));
  EXPECT_TRUE(limiter_.Admit("c", "ipv4:10.0.0.5:4000", 5)) << "a refusal took nothing";
}

// Buckets that refilled to the burst are dropped: a flood of connections leaves nothing behind.
TEST_F(RateLimiterTest, FullBucketsAreDropped) {
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(limiter_.Admit(absl::StrCat("agent-", i), absl::StrCat("ipv4:10.0.0.5:", i), 1));
  }
  EXPECT_EQ(limiter_.buckets(), 2000u);
  clock_.Advance(absl::Minutes(2));
  EXPECT_TRUE(limiter_.Admit("b", 1));
  EXPECT_EQ(limiter_.buckets(), 1u);
}

}  // namespace
}  // namespace paraat
