// Driving code that waits on a FakeClock: wait (in real time) until it waits, then move the fake
// clock exactly to its deadline. Header-only, for unit tests.
#ifndef PARAAT_TESTS_TESTLIB_FAKE_CLOCK_DRIVER_H_
#define PARAAT_TESTS_TESTLIB_FAKE_CLOCK_DRIVER_H_

#include <functional>
#include <optional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace paraat::testing {

// How long the soonest wait in progress on `clock` still has to go, once some code waits on it
// with a deadline in the fake future; nullopt if none does within `patience` of real time.
inline std::optional<absl::Duration> NextWait(const FakeClock& clock, absl::Duration patience = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + patience;
  while (absl::Now() < give_up) {
    const absl::Duration now = clock.Monotonic();
    for (absl::Duration deadline : clock.PendingDeadlines()) {
      if (deadline > now) return deadline - now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::nullopt;
}

// Moves `clock` from one wait's deadline to the next until `done()`; false if the code stops
// waiting (or `done` stays false) for `patience` of real time.
inline bool AdvanceUntil(FakeClock& clock, const std::function<bool()>& done,
                         absl::Duration patience = absl::Seconds(10)) {
  while (!done()) {
    const absl::Time give_up = absl::Now() + patience;
    std::optional<absl::Duration> wait;
    while (!done() && !(wait = NextWait(clock, absl::Milliseconds(5))) && absl::Now() < give_up) {
    }
    if (done()) return true;
    if (!wait) return false;
    clock.Advance(*wait);
  }
  return true;
}

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_FAKE_CLOCK_DRIVER_H_
