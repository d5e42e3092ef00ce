#include "common/clock.h"

#include <algorithm>
#include <chrono>

namespace paraat {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  absl::Duration Monotonic() const override {
    return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
  bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
               const std::function<bool()>& done) const override {
    if (timeout == absl::InfiniteDuration()) {
      cv.wait(lock, done);
      return true;
    }
    // condition_variable::wait_for measures the steady clock (libstdc++ since GCC 10).
    return cv.wait_for(lock, absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())), done);
  }
};

}  // namespace

bool Clock::WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
                    const std::function<bool()>& done) const {
  const absl::Duration deadline = Monotonic() + timeout;
  while (!done()) {
    const absl::Duration left = deadline - Monotonic();
    if (left <= absl::ZeroDuration()) return false;
    cv.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Milliseconds(1))));
  }
  return true;
}

void Clock::SleepFor(absl::Duration d) const {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  WaitFor(cv, lock, d, [] { return false; });
}

bool FakeClock::WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, absl::Duration timeout,
                        const std::function<bool()>& done) const {
  const absl::Duration deadline = timeout == absl::InfiniteDuration() ? timeout : Monotonic() + timeout;
  std::multiset<absl::Duration>::iterator listed;
  if (deadline != absl::InfiniteDuration()) {
    std::lock_guard<std::mutex> waits_lock(waits_mu_);
    listed = waits_.insert(deadline);
  }
  bool finished = true;
  while (!done()) {
    if (Monotonic() >= deadline) {
      finished = false;
      break;
    }
    cv.wait_for(lock, std::chrono::milliseconds(1));  // fake time moves on another thread
  }
  if (deadline != absl::InfiniteDuration()) {
    std::lock_guard<std::mutex> waits_lock(waits_mu_);
    waits_.erase(listed);
  }
  return finished;
}

std::vector<absl::Duration> FakeClock::PendingDeadlines() const {
  std::lock_guard<std::mutex> lock(waits_mu_);
  return std::vector<absl::Duration>(waits_.begin(), waits_.end());
}

const Clock* Clock::Real() {
  static const RealClock* clock = new RealClock();
  return clock;
}

}  // namespace paraat
