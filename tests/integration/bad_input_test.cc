// Bad config, bad plans and bad usage, against the real binaries: exit code 2 and
// `file:line: key: problem`, both at start-up and with --check-config; runtime failures exit 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBadPlan[] =
    "id: brp\nname: BRP\nobjectives:\n  rpo: fifteen\n  rto: 4h\nsources: {recovery_point: [a/b]}\n";
constexpr char kGoodPlan[] = "id: brp\nname: BRP\nobjectives: {rpo: 15m, rto: 4h}\nsources: {recovery_point: [a/b]}\n";

void WriteCollectorConfig(const TempDir& dir) {
  WriteFileOrDie(dir / "collector.yaml",
                 "listen: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nstorage: sqlite://paraat.db\nplans_dir: plans\n");
}

TEST(BadInput, CollectorRefusesABadPlanAtStartAndInCheckConfig) {
  TempDir dir;
  WriteCollectorConfig(dir);
  WriteFileOrDie(dir / "plans/brp.yaml", kBadPlan);
  const std::string expected = absl::StrCat(
      dir / "plans/brp.yaml", ":4: objectives.rpo: \"fifteen\" is not a duration (use e.g. 30s, 15m, 4h, 7d)");
  RunResult check = RunCommand({CollectorBin(), "--config", dir / "collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_THAT(check.output, HasSubstr(expected));
  RunResult start = RunCommand({CollectorBin(), "--config", dir / "collector.yaml"});
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_THAT(start.output, HasSubstr(expected));

  WriteFileOrDie(dir / "plans/brp.yaml", kGoodPlan);
  check = RunCommand({CollectorBin(), "--config", dir / "collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("OK (1 plan in"));
}

TEST(BadInput, CollectorRefusesABadConfig) {
  TempDir dir;
  WriteFileOrDie(dir / "collector.yaml",
                 "listen: 127.0.0.1:7443\nstorage: sqlite://x.db\nplans_dir: plans\nretension: 30d\n");
  RunResult r = RunCommand({CollectorBin(), "--config", dir / "collector.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(dir / "collector.yaml",
                                               ":4: retension: unknown key (did you mean \"retention\"?)")));
  r = RunCommand({CollectorBin()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--config is required"));
  r = RunCommand({CollectorBin(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("Usage: paraat-collector"));
}

TEST(BadInput, CheckConfigFailsOnAMissingFileTheConfigNames) {
  TempDir dir;
  WriteFileOrDie(dir / "collector.yaml",
                 "listen: 127.0.0.1:0\nstorage: sqlite://x.db\nplans_dir: plans\n"
                 "tls: {ca: ca.pem, cert: collector.pem, key: collector.key}\n");
  WriteFileOrDie(dir / "plans/brp.yaml", kGoodPlan);
  RunResult check = RunCommand({CollectorBin(), "--config", dir / "collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 2) << check.output;
  EXPECT_THAT(check.output, HasSubstr(absl::StrCat(dir / "collector.yaml", ":4: tls.cert: ", dir / "collector.pem",
                                                   " does not exist")));
  // A config written for another machine: the files are there, not here.
  check = RunCommand({CollectorBin(), "--config", dir / "collector.yaml", "--check-config", "--ignore-missing-files"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("OK (1 plan in"));
  EXPECT_THAT(check.output, HasSubstr("tls.key: " + (dir / "collector.key") + " does not exist"));
}

TEST(BadInput, SighupWithABadPlanKeepsTheLastGoodPlans) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/brp.yaml", kGoodPlan);
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "plans/brp.yaml", kBadPlan);
  collector->process->Signal(SIGHUP);
  EXPECT_FALSE(
      collector->process->WaitForLog("plans not reloaded; the last good plans stay in use", absl::Seconds(10)).empty());
  EXPECT_THAT(collector->process->Log(), HasSubstr("brp.yaml:4: objectives.rpo:"));
  EXPECT_TRUE(collector->process->Running());
  RunResult status = RunCommand({CtlBin(), "--collector", collector->address(), "status"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THAT(status.output, HasSubstr("brp"));
  // A good plan added on the next reload is taken.
  WriteFileOrDie(dir / "plans/brp.yaml", kGoodPlan);
  WriteFileOrDie(dir / "plans/zaak.yaml",
                 "id: zaak\nname: Z\nobjectives: {rpo: 1h, rto: 8h}\nsources: {recovery_point: [a/c]}\n");
  RunResult reload = RunCommand({CtlBin(), "--collector", collector->address(), "reload"});
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_THAT(reload.output, HasSubstr("2 plans"));
}

TEST(BadInput, AgentRefusesABadConfig) {
  TempDir dir;
  WriteFileOrDie(dir / "agent.yaml", R"(collector: {address: 127.0.0.1:7443}
spool: {dir: spool}
checks:
  - id: dump
    kind: file_backup
    interval: 15m
    path: /b/*.dump
    min_size: lots
)");
  const std::string expected =
      absl::StrCat(dir / "agent.yaml", ":8: checks[0].min_size: \"lots\" is not a size (use e.g. 512KiB, 1MiB, 10GB)");
  RunResult r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(expected));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(expected));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown option --bogus"));
}

// --check-config also requires what the checks will need: a missing password file, TLS file or
// restore program is a config problem (exit 2, file:line: key: problem), not a surprise at the
// first run. Starting the agent does not require them: the check reports it when it runs.
TEST(BadInput, AgentCheckConfigRequiresTheFilesTheConfigNames) {
  TempDir dir;
  WriteFileOrDie(dir / "ca.pem", "");
  WriteFileOrDie(dir / "agent.key", "");
  WriteFileOrDie(dir / "agent.yaml", R"(agent: {id: a1}
collector:
  address: 127.0.0.1:7443
  tls: {ca: ca.pem, cert: agent.pem, key: agent.key}
spool: {dir: spool}
checks:
  - id: offsite
    kind: restic
    interval: 1h
    repository: /srv/restic
    password_file: restic.pass
  - id: drill
    kind: restore_test
    interval: 24h
    command: [/nonexistent/restore-drill, "{scratch}"]
)");
  RunResult r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  const std::string f = dir / "agent.yaml";
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(f, ":4: collector.tls.cert: ", dir / "agent.pem", " does not exist")));
  EXPECT_THAT(r.output,
              HasSubstr(absl::StrCat(f, ":11: checks[0].password_file: ", dir / "restic.pass", " does not exist")));
  EXPECT_THAT(r.output, HasSubstr(f + ":15: checks[1].command: /nonexistent/restore-drill does not exist"));
  EXPECT_THAT(r.output, Not(HasSubstr("ca.pem")));
  // For a config written for another machine, the files need not be here.
  RunResult elsewhere =
      RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--check-config", "--ignore-missing-files"});
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.output;

  // With the files in place it passes.
  WriteFileOrDie(dir / "agent.pem", "");
  WriteFileOrDie(dir / "restic.pass", "secret\n");
  ::chmod((dir / "restic.pass").c_str(), 0600);
  WriteFileOrDie(dir / "agent.yaml",
                 absl::StrReplaceAll(ReadFileOrDie(dir / "agent.yaml"), {{"/nonexistent/restore-drill", "true"}}));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("OK (agent a1, 2 checks"));
}

TEST(BadInput, AgentRunCheckAndOnce) {
  TempDir dir;
  WriteBackup(dir / "b/x.dump", 4096, true);
  WriteFileOrDie(dir / "agent.yaml", R"(agent: {id: a1}
collector: {address: 127.0.0.1:1}
spool: {dir: spool}
checks:
  - {id: dump, kind: file_backup, interval: 1m, path: b/*.dump, checksum: sidecar}
  - {id: gone, kind: file_backup, interval: 1m, path: nothing/*.dump}
)");
  RunResult r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "run-check", "dump"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("dump (file_backup): OK"));
  EXPECT_THAT(r.output, HasSubstr("integrity verified"));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "run-check", "gone"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("gone (file_backup): FAILED"));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "run-check", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no check \"nope\""));
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once", "--no-send"});
  EXPECT_EQ(r.exit_code, 1);  // one check failed
  EXPECT_THAT(r.output, HasSubstr("dump (file_backup): OK"));
  // Delivery to a collector that is not there: results stay in the spool, exit 1.
  r = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once", "--flush-timeout", "2s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("stay in the spool"));
}

TEST(BadInput, CtlUsageAndUnreachableCollector) {
  RunResult r = RunCommand({CtlBin(), "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown command"));
  r = RunCommand({CtlBin()});
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand({CtlBin(), "--collector", absl::StrCat("127.0.0.1:", FreePort()), "status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cannot reach the collector"));
  r = RunCommand({CtlBin(), "--collector", "collector.example.org:7443", "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("refusing plaintext"));
  r = RunCommand({CtlBin(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("evidence export"));
}

TEST(BadInput, CtlUnknownPlanAndBadTimes) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/brp.yaml", kGoodPlan);
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  RunResult r = RunCommand({CtlBin(), "--collector", collector->address(), "plan", "show", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no plan with id \"nope\""));
  r = RunCommand({CtlBin(), "--collector", collector->address(), "evidence", "export", "--plan", "brp", "--since",
                  "last tuesday", "--format", "csv", "-o", dir / "x.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--since: \"last tuesday\" is not a time"));
  r = RunCommand({CtlBin(), "--collector", collector->address(), "exercise", "record", "--plan", "nope", "--kind",
                  "tabletop", "--date", "2026-01-01", "--outcome", "passed"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no plan with id \"nope\""));
}

// A fleet holds thousands of connections open: descriptor numbers far above select()'s
// FD_SETSIZE (1024). The metrics endpoint must still accept a scrape then.
TEST(BadInput, ThousandsOfOpenConnectionsDoNotStopTheMetricsEndpoint) {
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_max < 2000) GTEST_SKIP() << "the open-file limit (" << rl.rlim_max << ") is too low to test this";
  rl.rlim_cur = rl.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  TempDir dir;
  WriteFileOrDie(dir / "plans/p.yaml",
                 "id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n"
                 "  recovery_point: [a/b]\n");
  auto c = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<int> fds;
  for (int i = 0; i < 1200; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(c->grpc_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    fds.push_back(fd);
  }
  // The collector has accepted them all (its descriptors are now above 1024) ...
  ASSERT_TRUE(WaitFor(
      [&] {
        return std::distance(std::filesystem::directory_iterator(absl::StrCat("/proc/", c->process->pid(), "/fd")),
                             std::filesystem::directory_iterator()) > 1200;
      },
      absl::Seconds(30)));
  // ... and still serves /metrics.
  int status = 0;
  auto body = HttpGet(c->metrics_url(), &status);
  EXPECT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(status, 200);
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace paraat::testing
