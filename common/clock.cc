#include "common/clock.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/units.h"

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

SteadyWallClock::SteadyWallClock(const Clock* base, absl::Duration follow_after)
    : base_(base),
      follow_after_(follow_after),
      anchor_wall_(base->Now()),
      anchor_mono_(base->Monotonic()),
      last_(anchor_wall_),
      step_(absl::ZeroDuration()),
      step_seen_(absl::ZeroDuration()) {}

namespace {

// Differences up to this are followed at once (a leap second, scheduling jitter between the two
// clock reads); above it, a difference is a step.
constexpr absl::Duration kStep = absl::Seconds(1);

std::string Signed(absl::Duration d) { return absl::StrCat(d < absl::ZeroDuration() ? "" : "+", HumanDuration(d)); }

}  // namespace

absl::Time SteadyWallClock::Now() const {
  const absl::Duration mono = base_->Monotonic();
  const absl::Time wall = base_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time ours = anchor_wall_ + (mono - anchor_mono_);
  const absl::Duration diff = wall - ours;
  if (absl::AbsDuration(diff) <= kStep) {
    if (step_ != absl::ZeroDuration()) {
      LogInfo("the wall clock is back in step with the collector's time");
      step_ = absl::ZeroDuration();
    }
    anchor_wall_ = wall;
    anchor_mono_ = mono;
    last_ = std::max(last_, wall);
    return last_;
  }
  // A step: keep going on monotonic time until it has lasted follow_after_.
  if (step_ == absl::ZeroDuration() || absl::AbsDuration(diff - step_) > kStep) {
    LogWarning("the wall clock stepped by ", Signed(diff),
               " against the collector's time; the collector keeps its own time and follows the step only if it "
               "lasts ",
               HumanDuration(follow_after_));
    step_seen_ = mono;
  }
  step_ = diff;
  if (mono - step_seen_ < follow_after_) {
    last_ = std::max(last_, ours);
    return last_;
  }
  LogWarning("the wall clock has been ", Signed(diff), " off the collector's time for ", HumanDuration(follow_after_),
             ": following it now");
  anchor_wall_ = wall;
  anchor_mono_ = mono;
  step_ = absl::ZeroDuration();
  last_ = wall;
  return wall;
}

absl::Duration SteadyWallClock::Step() const {
  Now();  // notices a step even when nothing else asked for the time
  std::lock_guard<std::mutex> lock(mu_);
  return step_;
}

const Clock* Clock::Real() {
  static const RealClock* clock = new RealClock();
  return clock;
}

}  // namespace paraat
