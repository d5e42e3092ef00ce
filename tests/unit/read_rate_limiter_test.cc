// The read-rate limiter (a token bucket) on a fake clock: reads beyond the rate wait for the
// clock, a burst is capped at a tenth of a second's worth, and cancellation ends a wait.
#include <atomic>
#include <thread>

#include "agent/file_hasher.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "tests/testlib/fake_clock_driver.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

TEST(RateLimiter, ReadsWaitForTheClockAtTheConfiguredRate) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(1000, &clock);  // bytes per second
  std::atomic<int> granted{0};
  std::thread reader([&] {
    for (int i = 0; i < 10; ++i) {
      limiter.Acquire(100, nullptr);
      ++granted;
    }
  });
  const absl::Duration start = clock.Monotonic();
  ASSERT_TRUE(testing::AdvanceUntil(clock, [&] { return granted == 10; }));
  reader.join();
  // 1000 bytes at 1000 bytes/s: a second of the clock's time, give or take a wait's granularity.
  const absl::Duration took = clock.Monotonic() - start;
  EXPECT_GE(took, absl::Milliseconds(1000));
  EXPECT_LE(took, absl::Milliseconds(1100));
}

TEST(RateLimiter, IdleTimeBuysOnlyATenthOfASecondOfBurst) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(1000, &clock);
  clock.Advance(absl::Hours(1));  // idle for an hour
  std::atomic<int> granted{0};
  std::thread reader([&] {
    for (int i = 0; i < 3; ++i) {
      limiter.Acquire(50, nullptr);
      ++granted;
    }
  });
  // 100 bytes (a tenth of a second's worth) pass at once; the third read waits for the clock.
  ASSERT_TRUE(testing::WaitFor([&] { return granted == 2; }, absl::Seconds(10)));
  ASSERT_TRUE(testing::NextWait(clock).has_value());
  EXPECT_EQ(granted, 2);
  ASSERT_TRUE(testing::AdvanceUntil(clock, [&] { return granted == 3; }));
  reader.join();
}

TEST(RateLimiter, CancellationEndsTheWait) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  RateLimiter limiter(10, &clock);
  std::atomic<bool> cancel{false}, returned{false};
  std::thread reader([&] {
    limiter.Acquire(1'000'000, [&] { return cancel.load(); });  // a day at this rate
    returned = true;
  });
  ASSERT_TRUE(testing::NextWait(clock).has_value());
  cancel = true;
  ASSERT_TRUE(testing::AdvanceUntil(clock, [&] { return returned.load(); }));
  reader.join();
}

}  // namespace
}  // namespace paraat
