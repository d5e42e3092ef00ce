// The per-agent token bucket, on a fake clock: bursts, refills, and wall-clock steps that must
// change nothing.
#include "collector/ingest/rate_limiter.h"

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

}  // namespace
}  // namespace paraat
