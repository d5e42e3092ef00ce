// The check-kind toolkit's tool steps, with shell one-liners standing in for backup tools: what
// a result says when the tool cannot start, fails, finds damage, finds its repository locked,
// runs out of time, or (in a restore drill) does not finish in time; a drill's throw-away server
// that starts, that never gets ready and that dies; findings that make one verdict.
#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "agent/checks/support/findings.h"
#include "agent/checks/support/tool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

ToolWording Wording() {
  return ToolWording{
      ContainsAny({"repository is already locked"}),
      ContainsAny({"is damaged"}),
      [](const std::string& out) {
        return absl::StrContains(out, "wrong password") ? std::string("wrong password for the repository") : "";
      },
  };
}

std::vector<std::string> Sh(const std::string& script) { return {"sh", "-c", script}; }
ToolRun Step(const std::string& script) { return ToolRun{Sh(script), {}, {}, "", false}; }

TEST(ToolSession, DamageTheToolFoundIsACorruptFailure) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r, Wording());
  EXPECT_FALSE(tool.Verify(Sh("echo 'pack 1f2e is damaged' >&2; exit 1"), "fake check", "/srv/repo", "3 snapshots"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_EQ(r.message(), "fake check found errors in /srv/repo: pack 1f2e is damaged");
  EXPECT_THAT(r.output_tail(), HasSubstr("pack 1f2e is damaged"));
}

TEST(ToolSession, AnExplainedFailureIsAnErrorNeverDamage) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r, Wording());
  EXPECT_FALSE(tool.Verify(Sh("echo 'wrong password; pack is damaged?' >&2; exit 1"), "fake check", "/srv/repo", ""));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNSPECIFIED);
  EXPECT_EQ(r.message(), "fake check failed: wrong password for the repository");
}

TEST(ToolSession, ALockedRepositoryIsAWarningThatTheCheckWasSkipped) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r, Wording());
  EXPECT_FALSE(tool.Verify(Sh("echo 'repository is already locked by PID 42' >&2; exit 1"), "fake check", "/srv/repo",
                           "3 snapshots"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING);
  EXPECT_EQ(r.message(), "3 snapshots; integrity check skipped: the repository is locked by a running backup");
  // A listing step that finds the lock says so.
  v1::Result listed;
  ToolSession list(ctx, &listed, Wording());
  EXPECT_FALSE(list.Read(Sh("echo 'repository is already locked' >&2; exit 1"), "fake list"));
  EXPECT_EQ(listed.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(listed.message(), "fake list: the repository is locked by another process (a running backup?)");
}

TEST(ToolSession, ReadAndVersionSucceedOrSayWhyNot) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r, Wording());
  ASSERT_TRUE(tool.Version(Sh("echo 'faketool 1.2.3'; echo 'built with go'")));
  auto listed = tool.Read(Sh("echo '[1,2]'"), "fake list");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->out, "[1,2]\n");
  EXPECT_EQ(r.details(0).key(), "tool_version");
  EXPECT_EQ(r.details(0).value(), "faketool 1.2.3");
  EXPECT_FALSE(tool.Read(Sh("echo 'Fatal: config file missing' >&2; exit 2"), "fake list"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(r.message(), "fake list failed: Fatal: config file missing");

  v1::Result missing;
  ToolSession absent(ctx, &missing);
  EXPECT_FALSE(absent.Version({"/nonexistent/faketool", "version"}));
  EXPECT_EQ(missing.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(missing.message(), "/nonexistent/faketool not found: is it installed and on PATH?");
}

TEST(ToolSession, SecretsNeverReachTheResult) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r, Wording());
  tool.SetEnvironment({{"FAKE_PASSWORD", "hunter2hunter2"}}, {"hunter2hunter2"});
  EXPECT_FALSE(tool.Verify(Sh("echo \"using $FAKE_PASSWORD\" >&2; exit 1"), "fake check", "/srv/repo", ""));
  EXPECT_THAT(r.message() + r.output_tail(), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.output_tail(), HasSubstr("[REDACTED]"));
}

TEST(ToolSession, ChecksOfOneAgentTakeTurnsOnARepository) {
  CheckContext ctx;
  v1::Result first_result;
  ToolSession first(ctx, &first_result);
  ASSERT_TRUE(first.TakeTurn("fake:/srv/repo"));
  // A second check on the same repository waits; cancelled (its deadline), it gives up.
  std::atomic<bool> cancel{false};
  CheckContext second_ctx;
  second_ctx.cancelled = [&] { return cancel.load(); };
  v1::Result second_result;
  std::atomic<bool> done{false};
  bool held = true;
  std::thread second([&] {
    ToolSession s(second_ctx, &second_result);
    held = s.TakeTurn("fake:/srv/repo");
    done = true;
  });
  EXPECT_FALSE(done.load());
  cancel = true;
  second.join();
  EXPECT_FALSE(held);
  EXPECT_EQ(second_result.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(second_result.message(), "timed out waiting for another check of this agent on the same repository");
  // Another repository is free.
  v1::Result other_result;
  ToolSession other(ctx, &other_result);
  EXPECT_TRUE(other.TakeTurn("fake:/srv/other"));
}

TEST(RunDrillStep, ATestStepFailsTheTestASetupStepCannotRunIt) {
  CheckContext ctx;
  ctx.timeout = absl::Seconds(60);
  std::string log;
  v1::Result test;
  EXPECT_FALSE(RunDrillStep(ctx, Step("echo restoring; exit 1"), "the restore", DrillStep::kTest, &test, &log));
  EXPECT_EQ(test.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(test.message(), "the restore failed (exit code 1): restoring");
  EXPECT_THAT(log, HasSubstr("$ sh -c echo restoring; exit 1\nrestoring"));
  v1::Result setup;
  EXPECT_FALSE(RunDrillStep(ctx, Step("exit 1"), "creating the scratch database", DrillStep::kSetup, &setup, &log));
  EXPECT_EQ(setup.status(), v1::CHECK_STATUS_ERROR);
  ProcessResult out;
  v1::Result ok;
  EXPECT_TRUE(RunDrillStep(ctx, Step("echo 42"), "the query", DrillStep::kTest, &ok, &log, &out));
  EXPECT_EQ(out.out, "42\n");
}

TEST(RunDrillStep, NotFinishingInTimeFailsTheTest) {
  CheckContext ctx;
  ctx.timeout = absl::Milliseconds(300);
  ctx.deadline = ctx.clock->Monotonic() + ctx.timeout;
  std::string log;
  v1::Result r;
  EXPECT_FALSE(RunDrillStep(ctx, Step("exec sleep 30"), "the restore", DrillStep::kTest, &r, &log));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.message(), "the restore did not finish within the timeout (300ms)");
}

TEST(ToolSession, AStepReadsItsCommandsFromStandardInput) {
  v1::Result r;
  CheckContext ctx;
  ToolSession tool(ctx, &r);
  auto res = tool.Read(Sh("read a; read b; echo \"$b $a\""), "fake console", "first\nsecond\n");
  ASSERT_TRUE(res.has_value()) << r.message();
  EXPECT_EQ(res->out, "second first\n");
}

TEST(ToolSession, AToolThatRunsOutOfTimeSaysWhyWhenItCan) {
  // A console retrying a server that does not answer, killed at the check's deadline.
  v1::Result r;
  CheckContext ctx;
  ctx.deadline = ctx.clock->Monotonic() + absl::Milliseconds(300);
  ToolSession tool(ctx, &r, ToolWording{nullptr, nullptr, [](const std::string& out) {
                                          return absl::StrContains(out, "Connecting to")
                                                     ? std::string("the server is not answering")
                                                     : "";
                                        }});
  EXPECT_FALSE(tool.Read(Sh("echo 'Connecting to 127.0.0.1:9'; exec sleep 30"), "fake console").has_value());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("fake console timed out after"));
  EXPECT_THAT(r.message(), HasSubstr(": the server is not answering"));
}

TEST(DrillServer, AServerThatGetsReadyIsLoggedAndStopped) {
  CheckContext ctx;
  ctx.timeout = absl::Seconds(30);
  ctx.deadline = ctx.clock->Monotonic() + ctx.timeout;
  std::string log;
  v1::Result r;
  std::atomic<int> pings{0};
  {
    DrillServer server(ctx, Step("echo listening >&2; exec sleep 30"));
    EXPECT_TRUE(server.WaitReady([&] { return ++pings >= 3; }, "the fake server", &r, &log));
    const absl::Duration before = ctx.clock->Monotonic();
    server.Stop(&log);
    EXPECT_LT(ctx.clock->Monotonic() - before, absl::Seconds(5)) << "SIGTERM ends it";
  }
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_UNSPECIFIED);
  EXPECT_THAT(log, HasSubstr("$ sh -c echo listening >&2; exec sleep 30 &\n"));
  EXPECT_THAT(log, HasSubstr("[server stopped, its last lines]\nlistening"));
}

TEST(DrillServer, AServerThatDiesOrNeverGetsReadyFailsTheTest) {
  CheckContext ctx;
  ctx.timeout = absl::Seconds(30);
  ctx.deadline = ctx.clock->Monotonic() + ctx.timeout;
  std::string log;
  v1::Result died;
  DrillServer server(ctx, Step("echo 'FATAL: could not open configuration file' >&2; exit 1"));
  EXPECT_FALSE(server.WaitReady([] { return false; }, "the fake server", &died, &log));
  EXPECT_EQ(died.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(died.message(), "the fake server did not start (exit code 1): FATAL: could not open configuration file");

  ctx.timeout = absl::Milliseconds(300);
  ctx.deadline = ctx.clock->Monotonic() + ctx.timeout;
  v1::Result slow;
  DrillServer never(ctx, Step("exec sleep 30"));
  EXPECT_FALSE(never.WaitReady([] { return false; }, "the fake server", &slow, &log));
  EXPECT_EQ(slow.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(slow.message(), "the fake server was not ready within the timeout (300ms)");

  v1::Result missing;
  DrillServer absent(ctx, ToolRun({"/nonexistent/mariadbd"}));
  EXPECT_FALSE(absent.WaitReady([] { return false; }, "the fake server", &missing, &log));
  EXPECT_EQ(missing.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(missing.message(), HasSubstr("/nonexistent/mariadbd not found"));
}

TEST(Findings, TheWorstStatusWinsAndEveryClauseIsSaid) {
  v1::Result r;
  Findings f;
  f.Add(v1::CHECK_STATUS_OK, "newest backup job 12");
  f.Add(v1::CHECK_STATUS_WARNING, "it completed with 1 warnings");
  f.Add(v1::CHECK_STATUS_OK, "");
  f.Apply(&r);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING);
  EXPECT_EQ(r.message(), "newest backup job 12; it completed with 1 warnings");
  f.Add(v1::CHECK_STATUS_FAILED, "verify job 13 found differences");
  f.Apply(&r);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
}

}  // namespace
}  // namespace paraat
