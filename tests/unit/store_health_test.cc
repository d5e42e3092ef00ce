// The collector's view of its store (StoreHealth) and of its agents' clocks (ClockOffset), on a
// fake clock.
#include "collector/ingest/store_health.h"

#include "collector/ingest/clock_offset.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace paraat {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(StoreHealth, FollowsFailuresAndSuccessesAndTellsOncePerChange) {
  FakeClock clock(kStart);
  prometheus::Registry registry;
  prometheus::Gauge& up = prometheus::BuildGauge().Name("up").Register(registry).Add({});
  StoreHealth health("postgresql://db/paraat", &clock, &up);
  std::vector<bool> changes;
  health.OnChange([&](bool now_up) { changes.push_back(now_up); });
  EXPECT_TRUE(health.up());
  EXPECT_EQ(up.Value(), 1);

  health.Failed("commit of 3 records", absl::UnavailableError("server closed the connection\n\tunexpectedly\n"));
  health.Failed("probing the store", absl::UnavailableError("cannot connect"));
  EXPECT_FALSE(health.up());
  EXPECT_EQ(up.Value(), 0);
  StoreHealth::State s = health.state();
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.down_since, kStart);
  EXPECT_EQ(s.error, "probing the store: cannot connect") << "the last failure, one line";

  clock.Advance(absl::Seconds(90));
  health.Tick();  // logs "still unavailable"; changes nothing
  health.Succeeded();
  health.Succeeded();
  EXPECT_TRUE(health.up());
  EXPECT_EQ(up.Value(), 1);
  EXPECT_EQ(changes, (std::vector<bool>{false, true}));
}

TEST(StoreHealth, MessagesAreJoinedIntoOneLine) {
  EXPECT_EQ(JoinLines("  could not connect:\n\tIs the server running locally\r\n  and accepting connections?\n"),
            "could not connect: Is the server running locally and accepting connections?");
}

}  // namespace
}  // namespace paraat
