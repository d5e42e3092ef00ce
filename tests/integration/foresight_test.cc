// Foresight end to end: the real agent runs a restore drill that grows slower each run and a
// file_backup over a series of real backup files; the real collector forecasts the RTO breach
// before any run exceeds the RTO, and finds the backup that is a tenth of its usual size.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/disk_dir.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

struct PlanStatus {
  std::string state;
  std::string codes;
  std::string texts;
};

std::map<std::string, PlanStatus> States(const CollectorProcess& collector) {
  RunResult s = RunCommand({CtlBin(), "--collector", collector.address(), "status", "--json"});
  std::map<std::string, PlanStatus> out;
  auto j = nlohmann::json::parse(s.output, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& p : j["plans"]) {
    PlanStatus st;
    st.state = p["state"];
    for (const auto& r : p["reasons"]) {
      st.codes += r["code"].get<std::string>() + " ";
      st.texts += r.value("text", "") + "\n";
    }
    out[p["plan"]] = st;
  }
  return out;
}

// Agent `id`'s config `name` in `dir`: a restore drill where each run restores one more second of
// data than the one before.
void WriteDrillAgent(const TempDir& dir, const std::string& name, const std::string& id, const std::string& address) {
  WriteFileOrDie(dir / name, absl::StrCat("agent: {id: ", id, "}\ncollector: {address: ", address,
                                          "}\nspool: {dir: spool-", id, R"(}
checks:
  - id: drill
    kind: restore_test
    interval: 24h
    timeout: 1m
    command: [sh, -c, 'n=$(($(cat )",
                                          dir / "runs", R"( 2>/dev/null || echo 0) + 1)); echo $n > )", dir / "runs",
                                          R"(; sleep $n; echo restored > {scratch}/db']
)"));
}

TEST(Foresight, GrowingRestoreDrillTurnsAtRiskBeforeItExceedsTheRto) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/growing.yaml",
                 "id: growing\nname: Growing\nobjectives: {rpo: 1h, rto: 30s}\n"
                 "sources:\n  restore_test: [t1/drill]\n");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteDrillAgent(dir, "agent.yaml", "t1", collector->address());
  double longest = 0;
  std::map<std::string, PlanStatus> s;
  int runs = 0;
  for (; runs < 6; ++runs) {
    RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
    longest = runs + 1;
    // Acknowledged means stored; the evaluation follows a moment later.
    WaitFor(
        [&] {
          s = States(*collector);
          return s["growing"].state == "at_risk" || (s["growing"].state == "ready" && runs < 3);
        },
        absl::Seconds(10));
    if (runs < 3) {
      // Three tests are too few for a trend.
      EXPECT_EQ(s["growing"].state, "ready") << s["growing"].texts;
      EXPECT_THAT(s["growing"].codes, ::testing::Not(HasSubstr("rto_forecast")));
    } else if (s["growing"].state == "at_risk") {
      break;
    }
  }
  ASSERT_EQ(s["growing"].state, "at_risk") << s["growing"].texts;
  EXPECT_EQ(s["growing"].codes, "rto_forecast ");
  EXPECT_THAT(s["growing"].texts, HasSubstr("t1/drill: restore "));
  EXPECT_THAT(s["growing"].texts, HasSubstr("exceeds the RTO of 30s around "));
  EXPECT_LT(longest, 30 * 0.8) << "the forecast must come before the restore is even close to the RTO";
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("paraat_plan_restore_forecast_breach_timestamp_seconds{plan=\"growing\"} "));
}

void WriteBackupAt(const std::string& path, size_t bytes, absl::Time mtime) {
  WriteFileOrDie(path, std::string(bytes, 'b'));
  const struct timespec times[2] = {absl::ToTimespec(mtime), absl::ToTimespec(mtime)};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(Foresight, BackupATenthOfItsUsualSizeIsAnAnomaly) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/files.yaml",
                 "id: files\nname: Files\nobjectives: {rpo: 30d, rto: 4h}\naccept_unevidenced: {rto: \"not what this "
                 "test is about\"}\n"
                 "sources:\n  recovery_point: [t1/dumps]\n");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                  "}\nspool: {dir: spool}\nchecks:\n"
                                                  "  - {id: dumps, kind: file_backup, interval: 1h, path: ",
                                                  dir / "backups", "/*.dump}\n"));
  const absl::Time start = absl::Now() - absl::Hours(24 * 12);
  std::map<std::string, PlanStatus> s;
  // Eleven nightly dumps of about 1 MiB (the agent sees each as the newest), then one of 100 KiB.
  for (int d = 0; d < 12; ++d) {
    const size_t size = d == 11 ? 100 << 10 : (1 << 20) + d * 4096;
    WriteBackupAt(dir / absl::StrCat("backups/db-", d + 10, ".dump"), size, start + d * absl::Hours(24));
    RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
    WaitFor(
        [&] {
          s = States(*collector);
          return d == 11 ? s["files"].state == "at_risk" : s["files"].state == "ready";
        },
        absl::Seconds(10));
    if (d < 11) {
      ASSERT_EQ(s["files"].state, "ready") << d << ": " << s["files"].texts;
    }
  }
  EXPECT_EQ(s["files"].state, "at_risk") << s["files"].texts;
  EXPECT_EQ(s["files"].codes, "backup_size_anomaly ");
  EXPECT_THAT(s["files"].texts, HasSubstr("t1/dumps: newest backup ("));
  EXPECT_THAT(s["files"].texts, HasSubstr(") is 100.0 KiB, 10% of the usual 1.0 MiB"));
}

// A collector restart forgets nothing of the foresight: the history each source's baseline and
// forecast stand on is rebuilt from the stored results. Restore drills grow until the forecast
// turns the plan at_risk, eleven nightly dumps build a baseline; after a restart the forecast
// stands at once, and the twelfth dump, a tenth of the usual size, is an anomaly.
TEST(Foresight, BaselinesAndForecastsSurviveACollectorRestart) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/growing.yaml",
                 "id: growing\nname: Growing\nobjectives: {rpo: 1h, rto: 30s}\nsources:\n  restore_test: [t2/drill]\n");
  WriteFileOrDie(dir / "plans/files.yaml",
                 "id: files\nname: Files\nobjectives: {rpo: 30d, rto: 4h}\naccept_unevidenced: {rto: \"not what this "
                 "test is about\"}\nsources:\n  recovery_point: [t1/dumps]\n");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  auto dumps_agent = [&] {
    WriteFileOrDie(dir / "dumps.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                    "}\nspool: {dir: spool-t1}\nchecks:\n"
                                                    "  - {id: dumps, kind: file_backup, interval: 1h, path: ",
                                                    dir / "backups", "/*.dump}\n"));
  };
  auto run = [&](const std::string& config) {
    RunResult once = RunCommand({AgentBin(), "--config", dir / config, "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
  };
  dumps_agent();
  const absl::Time start = absl::Now() - absl::Hours(24 * 12);
  for (int d = 0; d < 11; ++d) {
    WriteBackupAt(dir / absl::StrCat("backups/db-", d + 10, ".dump"), (1 << 20) + d * 4096,
                  start + d * absl::Hours(24));
    run("dumps.yaml");
  }
  WriteDrillAgent(dir, "drill.yaml", "t2", collector->address());
  std::map<std::string, PlanStatus> s;
  auto wait_at_risk = [&](const std::string& plan, absl::Duration timeout) {
    WaitFor(
        [&] {
          s = States(*collector);
          return s[plan].state == "at_risk";
        },
        timeout);
  };
  int drills = 0;
  for (; drills < 6 && s["growing"].state != "at_risk"; ++drills) {
    run("drill.yaml");
    wait_at_risk("growing", absl::Seconds(drills < 3 ? 2 : 10));
  }
  ASSERT_EQ(s["growing"].state, "at_risk") << s["growing"].texts;
  ASSERT_EQ(s["files"].state, "ready") << s["files"].texts;

  collector->process->Signal(SIGTERM);
  ASSERT_EQ(collector->process->Wait(absl::Seconds(30)), 0);
  collector = StartCollector(dir.path(), dir / "plans", "", 0, "collector-2.log");
  ASSERT_TRUE(collector.ok()) << collector.status();
  EXPECT_THAT(collector->process->WaitForLog("backups and restore tests in their histories", absl::Seconds(20)),
              HasSubstr(absl::StrCat("(0 results after the checkpoint, ", 11 + drills,
                                     " backups and restore tests in their histories)")));
  // No new run: the forecast stands on the restored history.
  wait_at_risk("growing", absl::Seconds(10));
  EXPECT_EQ(s["growing"].state, "at_risk") << s["growing"].texts;
  EXPECT_EQ(s["growing"].codes, "rto_forecast ");
  // The twelfth dump, held against the eleven received before the restart.
  dumps_agent();
  WriteBackupAt(dir / "backups/db-21.dump", 100 << 10, start + 11 * absl::Hours(24));
  run("dumps.yaml");
  wait_at_risk("files", absl::Seconds(10));
  EXPECT_EQ(s["files"].state, "at_risk") << s["files"].texts;
  EXPECT_EQ(s["files"].codes, "backup_size_anomaly ");
  EXPECT_THAT(s["files"].texts, HasSubstr(") is 100.0 KiB, 10% of the usual 1.0 MiB"));
}

// Nightly dumps of compressible text, then one encrypted by the real openssl before it was backed
// up (same size, so only its content tells): the plan turns at_risk, backup_entropy_anomaly.
TEST(Foresight, ADumpEncryptedBeforeItWasBackedUpIsAnEntropyAnomaly) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/files.yaml",
                 "id: files\nname: Files\nobjectives: {rpo: 30d, rto: 4h}\naccept_unevidenced: {rto: \"not what this "
                 "test is about\"}\nsources:\n  recovery_point: [t1/dumps]\n");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                  "}\nspool: {dir: spool}\nchecks:\n"
                                                  "  - {id: dumps, kind: file_backup, interval: 1h, path: ",
                                                  dir / "backups", "/*.dump}\n"));
  const absl::Time start = absl::Now() - absl::Hours(24 * 7);
  std::map<std::string, PlanStatus> s;
  for (int d = 0; d < 6; ++d) {
    std::string dump;
    for (int i = 0; dump.size() < (1 << 20); ++i) {
      absl::StrAppend(&dump, "INSERT INTO orders VALUES (", d * 100000 + i, ", 'customer ", i % 977, "', ",
                      i * 7 % 1000, ");\n");
    }
    const std::string path = dir / absl::StrCat("backups/db-", d + 10, ".dump");
    if (d < 5) {
      WriteFileOrDie(path, dump);
    } else {
      WriteFileOrDie(dir / "plain", dump);
      RunResult enc = RunCommand(
          {"openssl", "enc", "-aes-256-ctr", "-pbkdf2", "-pass", "pass:ransom", "-in", dir / "plain", "-out", path});
      ASSERT_EQ(enc.exit_code, 0) << enc.output;
    }
    const struct timespec times[2] = {absl::ToTimespec(start + d * absl::Hours(24)),
                                      absl::ToTimespec(start + d * absl::Hours(24))};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
    WaitFor(
        [&] {
          s = States(*collector);
          return d == 5 ? s["files"].state == "at_risk" : s["files"].state == "ready";
        },
        absl::Seconds(20));
    if (d < 5) {
      ASSERT_EQ(s["files"].state, "ready") << d << ": " << s["files"].texts;
    }
  }
  EXPECT_EQ(s["files"].state, "at_risk") << s["files"].texts;
  EXPECT_EQ(s["files"].codes, "backup_entropy_anomaly ");
  EXPECT_THAT(s["files"].texts, HasSubstr("t1/dumps: newest backup ("));
  EXPECT_THAT(s["files"].texts, HasSubstr(") looks encrypted: 8.00 bits per byte, where its earlier backups had "));
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics,
              HasSubstr("paraat_check_backup_entropy{agent=\"t1\",check=\"dumps\",kind=\"file_backup\"} 7.99"));
}

// The plan asks for an immutable copy; nothing but what the agent finds on the file system makes
// one: first an ordinary dump (not_ready, copies_insufficient), then the same dump made
// immutable with the real chattr (ready), then a dump on a read-only bind mount (ready).
TEST(Foresight, AnImmutableCopyIsCountedOnlyWhenTheAgentFindsIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "chattr +i and mount need root (CI runs the tests as root)";
  TempDir dir;
  DiskTempDir disk;  // the backups: attributes need a disk file system, /tmp may be tmpfs
  WriteFileOrDie(dir / "plans/vault.yaml",
                 "id: vault\nname: Vault\nobjectives: {rpo: 30d, rto: 4h}\naccept_unevidenced: {rto: \"not what this "
                 "test is about\"}\ncopies: {min: 1, immutable: 1}\nsources:\n  recovery_point: [t1/dumps]\n");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  auto run_agent = [&](const std::string& pattern) {
    WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                    "}\nspool: {dir: spool}\nchecks:\n"
                                                    "  - {id: dumps, kind: file_backup, interval: 1h, path: ",
                                                    pattern, "}\n"));
    RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
  };
  std::map<std::string, PlanStatus> s;
  auto wait_state = [&](const std::string& want) {
    WaitFor(
        [&] {
          s = States(*collector);
          return s["vault"].state == want;
        },
        absl::Seconds(20));
  };
  WriteBackupAt(disk / "dumps/db.dump", 64 << 10, absl::Now() - absl::Hours(1));
  run_agent(disk / "dumps/*.dump");
  wait_state("not_ready");
  ASSERT_EQ(s["vault"].state, "not_ready") << s["vault"].texts;
  EXPECT_EQ(s["vault"].codes, "copies_insufficient ");
  EXPECT_THAT(s["vault"].texts, HasSubstr("0 immutable (need 1)"));

  absl::Status chattr = disk.Chattr("+i", disk / "dumps/db.dump");
  if (!chattr.ok()) GTEST_SKIP() << chattr.message();
  run_agent(disk / "dumps/*.dump");
  wait_state("ready");
  EXPECT_EQ(s["vault"].state, "ready") << s["vault"].texts;
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("paraat_plan_copies{plan=\"vault\",kind=\"immutable\"} 1"));

  // A new, ordinary dump is the newest: the plan falls short again.
  WriteBackupAt(disk / "dumps/db2.dump", 64 << 10, absl::Now());
  run_agent(disk / "dumps/*.dump");
  wait_state("not_ready");
  EXPECT_EQ(s["vault"].state, "not_ready") << s["vault"].texts;

  // A copy on a read-only bind mount counts.
  WriteBackupAt(disk / "archive/db.dump", 64 << 10, absl::Now());
  absl::Status ro = disk.BindReadOnly(disk / "archive");
  if (!ro.ok()) GTEST_SKIP() << ro.message();
  run_agent(disk / "archive/*.dump");
  wait_state("ready");
  EXPECT_EQ(s["vault"].state, "ready") << s["vault"].texts;
}

}  // namespace
}  // namespace paraat::testing
