// Time sources. Domain code takes a Clock so that tests can inject time; only main() and the
// real clock read the system time (Envoy's TimeSource is the model).
//
// Two kinds of time, never mixed:
//   Now()        wall-clock time, for timestamps people and evidence read. It may step (NTP,
//                an operator's `date -s`), so it never measures how long something took.
//   Monotonic()  time since an arbitrary origin that never steps: every elapsed-time
//                computation (timeouts, backoff, rate limits, staleness windows, leases) uses it.
//
// Thread-safety: every method may be called from any thread.
#ifndef PARAAT_COMMON_CLOCK_H_
#define PARAAT_COMMON_CLOCK_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace paraat {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time.
  virtual absl::Time Now() const = 0;
  // Monotonic time: the duration since an arbitrary, fixed origin. Never decreases.
  virtual absl::Duration Monotonic() const = 0;
  // Waits on `cv` (whose mutex `lock` holds) until `done()` is true or `timeout` of this clock's
  // monotonic time has passed; returns done(). Spurious wake-ups are handled. Use it for every
  // timed wait, so that a fake clock drives the waits too.
  virtual bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
                       const std::function<bool()>& done) const;
  // Sleeps for `d` of this clock's monotonic time.
  void SleepFor(absl::Duration d) const;

  // The process-wide real clock.
  static const Clock* Real();
};

// A clock that stands still until told to move. Advance() moves wall and monotonic time
// together; SetWall() steps the wall clock alone, as NTP or an operator would, and leaves
// monotonic time where it is. Waits in WaitFor() end once enough fake time has passed: they
// poll the fake time every millisecond of real time. PendingDeadlines() shows the waits in
// progress, so a test can wait until the code under test waits, then advance exactly to its
// deadline. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : wall_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(wall_ns_.load()); }
  absl::Duration Monotonic() const override { return absl::Nanoseconds(mono_ns_.load()); }
  bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
               const std::function<bool()>& done) const override;

  void Advance(absl::Duration d) {
    wall_ns_ += absl::ToInt64Nanoseconds(d);
    mono_ns_ += absl::ToInt64Nanoseconds(d);
  }
  // Steps the wall clock only (monotonic time is unchanged).
  void SetWall(absl::Time t) { wall_ns_ = absl::ToUnixNanos(t); }

  // The monotonic deadlines of the timed waits (WaitFor, SleepFor) in progress now, soonest
  // first. Waits without a timeout are not listed.
  std::vector<absl::Duration> PendingDeadlines() const;

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_{1'000'000'000};  // nonzero, so 0 can mean "never"
  mutable std::mutex waits_mu_;
  mutable std::multiset<absl::Duration> waits_;
};

// A wall clock that does not follow steps of the system clock at once: between steps it is the
// wall time of `base` when this clock was made, moved on by `base`'s monotonic time. A step of
// `base`'s wall clock (an operator's `date -s`, NTP correcting a clock that ran far off) of more
// than a second is logged and followed only once it has lasted `follow_after`; meanwhile this
// clock goes on as before, so timestamps, staleness windows and verdicts do not jump with the
// step. Smaller differences (a leap second) are followed at once, never backwards. Monotonic
// time and waits are `base`'s. The collector keeps its time with one (collector.cc).
//
// Thread-safety: every method may be called from any thread.
class SteadyWallClock : public Clock {
 public:
  explicit SteadyWallClock(const Clock* base, absl::Duration follow_after = absl::Minutes(10));
  absl::Time Now() const override;
  absl::Duration Monotonic() const override { return base_->Monotonic(); }
  bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
               const std::function<bool()>& done) const override {
    return base_->WaitFor(cv, lock, timeout, done);
  }
  // How far `base`'s wall clock is from this clock (positive: stepped forward), while a step is
  // not followed yet; zero otherwise.
  absl::Duration Step() const;

 private:
  const Clock* const base_;
  const absl::Duration follow_after_;
  mutable std::mutex mu_;
  mutable absl::Time anchor_wall_;  // this clock's time at anchor_mono_
  mutable absl::Duration anchor_mono_;
  mutable absl::Time last_;           // never returns less than this (between followed steps)
  mutable absl::Duration step_;       // the step not followed yet; zero when none
  mutable absl::Duration step_seen_;  // monotonic time it was first seen
};

}  // namespace paraat

#endif  // PARAAT_COMMON_CLOCK_H_
