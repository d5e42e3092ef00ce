// The walking skeleton, end to end with real processes: a real agent verifies a real backup
// file and streams the result over gRPC to a real collector, which evaluates the plan and
// exports its verdict; a real Prometheus scrapes it.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

void WriteAgentConfig(const TempDir& dir, const std::string& collector, const std::string& interval = "1s") {
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat(R"(agent: {id: itest-01}
collector: {address: )",
                                                  collector, R"(}
spool: {dir: spool}
checks:
  - id: db-dump
    kind: file_backup
    interval: )",
                                                  interval, R"(
    path: backups/*.dump
    min_size: 1MiB
    checksum: sidecar
)"));
}

void WritePlan(const TempDir& dir) {
  WriteFileOrDie(dir / "plans/brp.yaml", R"(id: brp
name: Basisregistratie Personen
objectives: {rpo: 15m, rto: 4h, mtpd: 24h}
accept_unevidenced: {rto: "the skeleton follows the backup; restore drills have their own tests"}
sources:
  recovery_point: [itest-01/db-dump]
  integrity: [itest-01/db-dump]
controls: [bio2:8.13.01]
)");
}

TEST(WalkingSkeleton, BackupBecomesPlanVerdictInPrometheus) {
  ASSERT_TRUE(HaveProgram("prometheus") && HaveProgram("promtool"))
      << "Debian's prometheus package is needed: scripts/setup.sh --tests installs it";
  TempDir dir;
  WriteBackup(dir / "backups/db-1.dump", 2 << 20, true);
  WritePlan(dir);
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteAgentConfig(dir, collector->address());
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  auto prom = StartPrometheus(dir.path(), {absl::StrCat("127.0.0.1:", collector->metrics_port)});
  ASSERT_TRUE(prom.ok()) << prom.status();

  // The fresh, verified backup makes the plan ready, as Prometheus sees it.
  EXPECT_TRUE(WaitFor([&] { return PromQuery(prom->port, R"(paraat_plan_state{plan="brp",state="ready"})") == 1; },
                      absl::Seconds(60)))
      << "collector log:\n"
      << collector->process->Log() << "\nagent log:\n"
      << (*agent)->Log();
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_plan_ready{plan="brp"})"), 1);
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_check_up{agent="itest-01",check="db-dump",kind="file_backup"})"), 1);
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_plan_rpo_target_seconds{plan="brp"})"), 900);
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_check_verified_bytes{check="db-dump"})"), 2 << 20);
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_agent_connected{agent="itest-01"})"), 1);
  EXPECT_LT(PromQuery(prom->port, R"(paraat_plan_recovery_point_age_seconds{plan="brp"})"), 120);
  // The backup's bytes were read back and checked: the RPO is verified (assurance.h).
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_plan_assurance_level{plan="brp",objective="rpo"})"), 2);

  // The backup's modification time moves past the RPO: the plan is no longer ready.
  SetMtime(dir / "backups/db-1.dump", absl::Now() - absl::Hours(1));
  EXPECT_TRUE(WaitFor([&] { return PromQuery(prom->port, R"(paraat_plan_state{plan="brp",state="not_ready"})") == 1; },
                      absl::Seconds(60)));
  EXPECT_EQ(PromQuery(prom->port, R"(paraat_plan_ready{plan="brp"})"), 0);
  double age = PromQuery(prom->port, R"(paraat_plan_recovery_point_age_seconds{plan="brp"})");
  EXPECT_NEAR(age, 3600, 120);

  // Prometheus' own linter accepts the exposition.
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok());
  RunResult lint = RunCommand({"promtool", "check", "metrics"}, absl::Seconds(30), *metrics);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;

  // paraatctl says the same, with the reason.
  RunResult status = RunCommand({CtlBin(), "--collector", collector->address(), "status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("brp"));
  EXPECT_THAT(status.output, HasSubstr("not_ready"));
  EXPECT_THAT(status.output, HasSubstr("achieved RPO 1h exceeds the target 15m"));

  // A new backup brings it back.
  WriteBackup(dir / "backups/db-2.dump", 2 << 20, true);
  EXPECT_TRUE(WaitFor([&] { return PromQuery(prom->port, R"(paraat_plan_state{plan="brp",state="ready"})") == 1; },
                      absl::Seconds(60)));
}

TEST(WalkingSkeleton, CorruptBackupMakesThePlanNotReady) {
  TempDir dir;
  WriteBackup(dir / "backups/db-1.dump", 2 << 20, true);
  std::string data = ReadFileOrDie(dir / "backups/db-1.dump");
  data[12345] ^= 0x40;
  WriteFileOrDie(dir / "backups/db-1.dump", data);
  WritePlan(dir);
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteAgentConfig(dir, collector->address());
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  std::string out;
  EXPECT_TRUE(WaitFor(
      [&] {
        out = RunCommand({CtlBin(), "--collector", collector->address(), "status", "--json"}).output;
        return out.find("\"integrity_corrupt\"") != std::string::npos;
      },
      absl::Seconds(30)))
      << out;
  EXPECT_THAT(out, HasSubstr("\"state\": \"not_ready\""));
}

TEST(WalkingSkeleton, CollectorRestartKeepsStateAndEvidence) {
  TempDir dir;
  WriteBackup(dir / "backups/db-1.dump", 2 << 20, true);
  WritePlan(dir);
  const int port = FreePort();
  auto collector = StartCollector(dir.path(), dir / "plans", "checkpoint_interval: 1s\n", port);
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteAgentConfig(dir, collector->address(), "1s");
  RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.output;
  EXPECT_THAT(once.output, HasSubstr("db-dump (file_backup): OK"));
  ASSERT_TRUE(WaitFor(
      [&] {
        return RunCommand({CtlBin(), "--collector", collector->address(), "status"}).output.find("ready ") !=
               std::string::npos;
      },
      absl::Seconds(10)));

  collector->process->Signal(SIGTERM);
  EXPECT_EQ(collector->process->Wait(absl::Seconds(20)), 0);
  auto again = StartCollector(dir.path(), dir / "plans", "checkpoint_interval: 1s\n", port, "collector2.log");
  ASSERT_TRUE(again.ok()) << again.status();
  // Ready straight away, from the stored evidence, without the agent sending anything new.
  RunResult status = RunCommand({CtlBin(), "--collector", again->address(), "status", "--json"});
  EXPECT_THAT(status.output, HasSubstr("\"state\": \"ready\""));
  RunResult verify = RunCommand({CtlBin(), "--collector", again->address(), "evidence", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("evidence chain OK"));
  // A restart with unchanged plans records no plan change and no transition.
  EXPECT_THAT(again->process->Log(), ::testing::Not(HasSubstr("plan brp added")));
  EXPECT_THAT(again->process->Log(), ::testing::Not(HasSubstr("plan brp: ")));
}

}  // namespace
}  // namespace paraat::testing
