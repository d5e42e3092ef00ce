// SteadyWallClock on a fake clock: steps of the wall clock are not followed until they last.
#include "common/clock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(SteadyWallClock, GoesOnThroughStepsOfTheWallClock) {
  FakeClock base(kStart);
  SteadyWallClock clock(&base, absl::Minutes(10));
  EXPECT_EQ(clock.Now(), kStart);
  base.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(5));
  EXPECT_EQ(clock.Step(), absl::ZeroDuration());

  // Stepped back two hours: this clock goes on, and says how far the wall clock is off.
  base.SetWall(base.Now() - absl::Hours(2));
  base.Advance(absl::Seconds(1));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(6));
  EXPECT_EQ(clock.Step(), -absl::Hours(2));
  // Forward two hours instead: the same.
  base.SetWall(base.Now() + absl::Hours(4));
  base.Advance(absl::Seconds(1));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(7));
  EXPECT_EQ(clock.Step(), absl::Hours(2));
  // Back in step.
  base.SetWall(base.Now() - absl::Hours(2));
  EXPECT_EQ(clock.Now(), kStart + absl::Seconds(7));
  EXPECT_EQ(clock.Step(), absl::ZeroDuration());
  EXPECT_EQ(clock.Monotonic(), base.Monotonic());
}

TEST(SteadyWallClock, FollowsAStepThatLastsAndSmallDifferencesAtOnceNeverBackwards) {
  FakeClock base(kStart);
  SteadyWallClock clock(&base, absl::Minutes(10));
  // A leap second (wall one second back): followed, but never backwards.
  base.SetWall(base.Now() - absl::Milliseconds(900));
  EXPECT_EQ(clock.Now(), kStart);
  base.Advance(absl::Seconds(2));
  EXPECT_EQ(clock.Now(), kStart + absl::Milliseconds(1100));

  // NTP corrects a clock that was an hour behind: followed once it has lasted ten minutes.
  const absl::Time before = clock.Now();
  base.SetWall(base.Now() + absl::Hours(1));
  EXPECT_EQ(clock.Now(), before);
  base.Advance(absl::Minutes(9));
  EXPECT_EQ(clock.Now(), before + absl::Minutes(9));
  base.Advance(absl::Minutes(1));
  EXPECT_EQ(clock.Now(), base.Now());
  EXPECT_EQ(clock.Step(), absl::ZeroDuration());
}

}  // namespace
}  // namespace paraat
