// Time sources. Domain code takes a Clock (or a plain absl::Time) so that tests can
// inject time; only main() and the real clock read the system time.
#ifndef PARAAT_COMMON_CLOCK_H_
#define PARAAT_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace paraat {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // The process-wide real clock.
  static const Clock* Real();
};

// A clock that stands still until told to move. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(ns_.load()); }
  void Set(absl::Time t) { ns_ = absl::ToUnixNanos(t); }
  void Advance(absl::Duration d) { ns_ += absl::ToInt64Nanoseconds(d); }

 private:
  std::atomic<int64_t> ns_;
};

}  // namespace paraat

#endif  // PARAAT_COMMON_CLOCK_H_
