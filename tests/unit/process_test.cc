// The process runner's timeout and kill grace are measured on its injected clock: a child is
// ended when the fake clock says its time is up, not before, however long it really ran.
#include "common/process.h"

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

// Runs `o` on another thread; started() once the child has written its first stderr line.
class Runner {
 public:
  explicit Runner(ProcessOptions o) : options_(std::move(o)) {
    options_.on_stderr_line = [this](const std::string&) { started_ = true; };
    thread_ = std::thread([this] {
      result_ = RunProcess(options_);
      done_ = true;
    });
  }
  ~Runner() { thread_.join(); }
  // Waits up to `d` of real time for `flag`.
  static bool Within(const std::atomic<bool>& flag, absl::Duration d) {
    const absl::Time until = absl::Now() + d;
    while (!flag && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
    return flag;
  }
  bool started(absl::Duration d = absl::Seconds(10)) const { return Within(started_, d); }
  bool done(absl::Duration d) const { return Within(done_, d); }
  const absl::StatusOr<ProcessResult>& result() const { return result_; }

 private:
  ProcessOptions options_;
  std::atomic<bool> started_{false}, done_{false};
  absl::StatusOr<ProcessResult> result_;
  std::thread thread_;
};

TEST(RunProcess, TheTimeoutIsMeasuredOnTheInjectedClock) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo started >&2; exec sleep 30"};
  o.timeout = absl::Seconds(5);
  o.clock = &clock;
  const absl::Time real_start = absl::Now();
  Runner run(o);
  ASSERT_TRUE(run.started());
  clock.Advance(absl::Seconds(4));
  // Four seconds of the clock's time: not yet up, however long this takes in real time.
  EXPECT_FALSE(run.done(absl::Milliseconds(300)));
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(run.done(absl::Seconds(10)));
  ASSERT_TRUE(run.result().ok()) << run.result().status();
  EXPECT_TRUE(run.result()->timed_out);
  EXPECT_FALSE(run.result()->exited);
  EXPECT_EQ(run.result()->duration, absl::Seconds(5));
  EXPECT_THAT(run.result()->Describe(), HasSubstr("timed out after 5s"));
  EXPECT_LT(absl::Now() - real_start, absl::Seconds(10));  // sleep 30 was not waited for
}

TEST(RunProcess, AChildThatIgnoresSigtermIsKilledAfterTheGraceOnTheSameClock) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  ProcessOptions o;
  o.argv = {"sh", "-c", "trap '' TERM; echo started >&2; sleep 30; echo survived"};
  o.timeout = absl::Seconds(1);
  o.kill_grace = absl::Seconds(5);
  o.clock = &clock;
  Runner run(o);
  ASSERT_TRUE(run.started());
  clock.Advance(absl::Seconds(1));  // SIGTERM, which the shell and its sleep ignore
  EXPECT_FALSE(run.done(absl::Milliseconds(300)));
  clock.Advance(absl::Seconds(4));
  EXPECT_FALSE(run.done(absl::Milliseconds(300)));
  clock.Advance(absl::Seconds(1));  // the grace is over: SIGKILL to the group
  ASSERT_TRUE(run.done(absl::Seconds(10)));
  ASSERT_TRUE(run.result().ok()) << run.result().status();
  EXPECT_TRUE(run.result()->timed_out);
  EXPECT_EQ(run.result()->term_signal, SIGKILL);
  EXPECT_THAT(run.result()->out, ::testing::Not(HasSubstr("survived")));
}

TEST(RunProcess, CancellationEndsTheChild) {
  std::atomic<bool> cancel{false};
  ProcessOptions o;
  o.argv = {"sh", "-c", "echo started >&2; exec sleep 30"};
  o.cancelled = [&] { return cancel.load(); };
  Runner run(o);
  ASSERT_TRUE(run.started());
  cancel = true;
  ASSERT_TRUE(run.done(absl::Seconds(10)));
  ASSERT_TRUE(run.result().ok());
  EXPECT_TRUE(run.result()->cancelled);
  EXPECT_FALSE(run.result()->timed_out);
  EXPECT_EQ(run.result()->Describe(), "cancelled");
}

TEST(RunProcess, OutputStdinAndExitCode) {
  ProcessOptions o;
  o.argv = {"sh", "-c", "cat; echo err >&2; exit 3"};
  o.stdin_data = "hello\n";
  auto r = RunProcess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->exited);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->Describe(), "exit code 3");
  ProcessOptions absent;
  absent.argv = {"/nonexistent/paraat-tool"};
  auto missing = RunProcess(absent);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace paraat
