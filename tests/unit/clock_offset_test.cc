// Agents' clock offsets as the collector measures them on a stream (ClockOffset).
#include "collector/ingest/clock_offset.h"

#include "gtest/gtest.h"

namespace paraat {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ClockOffset, MeasuresTheRoundTripThenEachBatch) {
  ClockOffset offset(absl::Minutes(5));
  const absl::Duration ahead = absl::Hours(3), wire = absl::Milliseconds(40);  // each way
  const absl::Time t0_real = kStart;
  // Hello sent at t0 (agent clock: 3 h ahead), received 40 ms later.
  auto o = offset.Hello("a", absl::ToUnixNanos(t0_real + ahead), t0_real + wire);
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, ahead - wire) << "one-way, before the round trip is known";
  // Welcomed 10 ms after that; the agent receives it 40 ms later and says so in its first batch.
  const absl::Time welcomed = t0_real + wire + absl::Milliseconds(10);
  offset.Welcomed(welcomed);
  const absl::Time t3_real = welcomed + wire;
  const absl::Time batch_real = t3_real + absl::Seconds(1);
  o = offset.Batch(absl::ToUnixNanos(batch_real + ahead), absl::ToUnixNanos(t3_real + ahead), batch_real + wire);
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, ahead) << "corrected by half the round trip's time on the wire";
  // The agent's clock steps back to the right time while the stream is open: seen at once.
  o = offset.Batch(absl::ToUnixNanos(batch_real + absl::Seconds(5)), absl::ToUnixNanos(t3_real + ahead),
                   batch_real + absl::Seconds(5) + wire);
  EXPECT_EQ(*o, absl::ZeroDuration());
  // An agent that sends no times has no offset.
  ClockOffset old;
  EXPECT_FALSE(old.Hello("b", 0, kStart));
  EXPECT_FALSE(old.Batch(0, 0, kStart));
}

}  // namespace
}  // namespace paraat
