// The scheduler on a fake clock: runs come an interval plus jitter apart, a check that outlives
// its timeout is cancelled and reported as timed out and runs again at once, and a wall clock
// that steps moves no check (only the results' timestamps).
#include "agent/scheduler.h"

#include <mutex>
#include <set>
#include <vector>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/fake_clock_driver.h"

namespace paraat {
namespace {

using testing::AdvanceUntil;

// A check whose Run is a function; it records the monotonic time each run started.
class FakeCheck : public Check {
 public:
  explicit FakeCheck(std::function<void(const CheckContext&, v1::Result*)> body) : body_(std::move(body)) {}
  void Run(const CheckContext& ctx, v1::Result* r) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      starts_.push_back(ctx.clock->Monotonic());
    }
    body_(ctx, r);
  }
  std::vector<absl::Duration> starts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return starts_;
  }

 private:
  std::function<void(const CheckContext&, v1::Result*)> body_;
  mutable std::mutex mu_;
  std::vector<absl::Duration> starts_;
};

struct Harness {
  explicit Harness(std::shared_ptr<FakeCheck> check, absl::Duration interval, absl::Duration timeout) {
    CheckSpec spec;
    spec.id = "c1";
    spec.kind = "fake";
    spec.interval = interval;
    spec.timeout = timeout;
    spec.check = check;
    specs.push_back(spec);
    scheduler = std::make_unique<Scheduler>(&specs, 1, "", &clock, [this](v1::Result r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
    });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return results.size();
  }
  v1::Result result(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    return results.at(i);
  }

  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  std::vector<CheckSpec> specs;
  std::mutex mu;
  std::vector<v1::Result> results;
  std::unique_ptr<Scheduler> scheduler;
};

void Succeed(const CheckContext&, v1::Result* r) { Ok(r, "fine"); }

TEST(Scheduler, RunsComeAnIntervalPlusJitterApart) {
  auto check = std::make_shared<FakeCheck>(&Succeed);
  Harness h(check, absl::Seconds(10), absl::Seconds(10));
  const absl::Duration t0 = h.clock.Monotonic();
  h.scheduler->Start();
  ASSERT_TRUE(AdvanceUntil(h.clock, [&] { return h.count() >= 25; }));
  h.scheduler->Stop();
  const std::vector<absl::Duration> starts = check->starts();
  // The first run within the first five seconds, so agents started together spread out.
  EXPECT_GE(starts[0], t0);
  EXPECT_LE(starts[0], t0 + absl::Seconds(5));
  std::set<absl::Duration> gaps;
  for (size_t i = 1; i < starts.size(); ++i) {
    const absl::Duration gap = starts[i] - starts[i - 1];
    // An interval after the last run started, plus up to a tenth of it.
    EXPECT_GE(gap, absl::Seconds(10)) << i;
    EXPECT_LE(gap, absl::Seconds(11)) << i;
    gaps.insert(gap);
  }
  EXPECT_GT(gaps.size(), 1u) << "no jitter: agents would run in lock-step";
  EXPECT_EQ(h.result(0).interval_ns(), absl::ToInt64Nanoseconds(absl::Seconds(10)));
}

TEST(Scheduler, ACheckPastItsTimeoutIsCancelledReportedAndRunsAgainAtOnce) {
  std::atomic<int> runs{0};
  auto check = std::make_shared<FakeCheck>([&](const CheckContext& ctx, v1::Result* r) {
    if (runs++ > 0) return Ok(r, "fine");
    // A long verification that polls for cancellation, as the real ones do.
    while (!ctx.cancelled()) ctx.clock->SleepFor(absl::Seconds(1));
    Error(r, "");
  });
  Harness h(check, absl::Seconds(2), absl::Seconds(5));
  h.scheduler->Start();
  ASSERT_TRUE(AdvanceUntil(h.clock, [&] { return h.count() >= 2; }));
  h.scheduler->Stop();
  const v1::Result first = h.result(0);
  EXPECT_EQ(first.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(first.message(), "timed out after 5s");
  EXPECT_EQ(first.duration_ns(), absl::ToInt64Nanoseconds(absl::Seconds(5)));
  // It overran its 2s interval: the next run starts as soon as it ended, not later, and once.
  const std::vector<absl::Duration> starts = check->starts();
  EXPECT_EQ(starts[1] - starts[0], absl::Seconds(5));
  EXPECT_EQ(h.result(1).status(), v1::CHECK_STATUS_OK);
}

TEST(Scheduler, AWallClockStepMovesNoCheck) {
  auto check = std::make_shared<FakeCheck>(&Succeed);
  Harness h(check, absl::Seconds(60), absl::Seconds(60));
  h.scheduler->Start();
  ASSERT_TRUE(AdvanceUntil(h.clock, [&] { return h.count() >= 1; }));
  // NTP (or an operator) sets the wall clock back an hour.
  const absl::Time before = h.clock.Now();
  h.clock.SetWall(before - absl::Hours(1));
  ASSERT_TRUE(AdvanceUntil(h.clock, [&] { return h.count() >= 2; }));
  h.scheduler->Stop();
  const std::vector<absl::Duration> starts = check->starts();
  EXPECT_GE(starts[1] - starts[0], absl::Seconds(60));
  EXPECT_LE(starts[1] - starts[0], absl::Seconds(66));
  // The result carries the wall time the run started at, stepped as it was.
  const absl::Time second = absl::FromUnixNanos(h.result(1).started_unix_ns());
  EXPECT_LT(second, before);
  EXPECT_GT(second, before - absl::Hours(1));
}

}  // namespace
}  // namespace paraat
