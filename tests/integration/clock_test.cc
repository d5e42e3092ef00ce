// Time you can trust, against the real processes: a backup dated in the future, agents whose
// clocks run three hours ahead and behind, a collector whose wall clock is stepped back and forward
// while agents stream, and the agent's defaults a minimal config relies on. Clocks are shifted by
// an LD_PRELOAD shim that moves the wall clock only (tests/testlib/clock_shift.cc). libfaketime
// was used here before; it also fakes timed waits, and an agent under it hung at start on a
// loaded machine.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value of one exact series (name and labels as the collector writes them), NaN when absent.
double Sample(const CollectorProcess& c, const std::string& series) {
  auto body = HttpGet(c.metrics_url());
  if (!body.ok()) return NAN;
  for (absl::string_view line : absl::StrSplit(*body, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() || line[series.size()] != ' ') continue;
    double v;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
  }
  return NAN;
}

std::string PlanState(const CollectorProcess& c, const std::string& plan) {
  for (const char* s : {"ready", "at_risk", "unknown", "not_ready"}) {
    if (Sample(c, absl::StrCat("paraat_plan_state{plan=\"", plan, "\",state=\"", s, "\"}")) == 1) return s;
  }
  return "none";
}

bool HasReason(const CollectorProcess& c, const std::string& plan, const std::string& code) {
  return Sample(c, absl::StrCat("paraat_plan_reasons{plan=\"", plan, "\",code=\"", code, "\"}")) >= 1;
}

std::string PlanShow(const CollectorProcess& c, const std::string& plan) {
  RunResult r = RunCommand({CtlBin(), "--collector", c.address(), "plan", "show", plan});
  return r.output;
}

// A plan with one source in `role`.
void WritePlan(const TempDir& dir, const std::string& id, const std::string& role, const std::string& sources,
               const std::string& rpo = "1h") {
  WriteFileOrDie(
      dir / ("plans/" + id + ".yaml"),
      absl::StrCat("id: ", id, "\nname: ", id, "\nobjectives: {rpo: ", rpo,
                   // about clocks, not recovery time
                   ", rto: 1h}\naccept_unevidenced: {rto: \"clock test\"}\nsources:\n  ", role, ": [", sources, "]\n"));
}

std::string AgentYaml(const std::string& id, const CollectorProcess& c, const std::string& checks) {
  return absl::StrCat("agent: {id: ", id, "}\ncollector: {address: \"", c.address(), "\"}\nspool: {dir: spool-", id,
                      "}\nchecks:\n", checks);
}

// Writes the shim's offset in place (the running process has the file mapped).
void SetClockShift(const std::string& path, absl::Duration shift) {
  const int64_t ns = absl::ToInt64Nanoseconds(shift);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::pwrite(fd, &ns, sizeof ns, 0), static_cast<ssize_t>(sizeof ns));
  ::close(fd);
}

// A backup file dated three hours ahead of every clock here must never make a plan fresh: it is
// unusable evidence (recovery_point_in_future, naming the source and the offset), and it does
// not win over the honest source beside it.
TEST(Clock, ABackupDatedInTheFutureIsNeverFresh) {
  TempDir dir;
  WritePlan(dir, "future", "recovery_point", "t1/future-dump, t1/honest-dump");
  WritePlan(dir, "honest", "recovery_point", "t1/honest-dump");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteBackup(dir / "future/db.dump", 4096, false);
  SetMtime(dir / "future/db.dump", absl::Now() + absl::Hours(3));
  WriteBackup(dir / "honest/db.dump", 4096, false);
  SetMtime(dir / "honest/db.dump", absl::Now() - absl::Minutes(20));
  WriteFileOrDie(dir / "agent.yaml",
                 AgentYaml("t1", *collector,
                           absl::StrCat("  - {id: future-dump, kind: file_backup, interval: 1s, path: ", dir.path(),
                                        "/future/*.dump}\n  - {id: honest-dump, kind: file_backup, interval: 1s, "
                                        "path: ",
                                        dir.path(), "/honest/*.dump}\n")));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());

  ASSERT_TRUE(WaitFor([&] { return PlanState(*collector, "honest") == "ready"; }, absl::Seconds(20)))
      << (*agent)->Log() << collector->process->Log();
  ASSERT_TRUE(WaitFor([&] { return HasReason(*collector, "future", "recovery_point_in_future"); }, absl::Seconds(10)))
      << PlanShow(*collector, "future");
  EXPECT_EQ(PlanState(*collector, "future"), "unknown");
  // The honest source still provides the recovery point; the future one does not win over it.
  const double age = Sample(*collector, "paraat_plan_recovery_point_age_seconds{plan=\"future\"}");
  EXPECT_NEAR(age, 20 * 60, 60);
  const std::string show = PlanShow(*collector, "future");
  EXPECT_THAT(show, HasSubstr("t1/future-dump"));
  EXPECT_THAT(show, HasSubstr("ahead of the collector's clock"));
  EXPECT_THAT(show, ::testing::ContainsRegex("2h5[89]m|3h"));
}

// Agents whose clocks run three hours ahead and behind: the collector measures both offsets,
// judges freshness by when it received their results, never reads the ahead agent's results as
// fresh evidence, and reads the behind agent's plan as ready like its honest twin's. Stopped,
// all three go stale together, on the collector's clock.
TEST(Clock, AgentClocksAheadAndBehindAreJudgedByTheCollectorsClock) {
  TempDir dir;
  for (const std::string id : {"ahead", "behind", "honest"}) WritePlan(dir, "p-" + id, "failover", id + "/up");
  auto collector = StartCollector(dir.path(), dir / "plans", "min_stale: 5s\n");
  ASSERT_TRUE(collector.ok()) << collector.status();
  std::map<std::string, std::unique_ptr<Process>> agents;
  for (const auto& [id, offset] : std::map<std::string, absl::Duration>{
           {"ahead", absl::Hours(3)}, {"behind", -absl::Hours(3)}, {"honest", absl::ZeroDuration()}}) {
    WriteFileOrDie(dir / (id + ".yaml"),
                   AgentYaml(id, *collector, "  - {id: up, kind: command, interval: 1s, command: [\"true\"]}\n"));
    std::map<std::string, std::string> env;
    if (offset != absl::ZeroDuration()) {
      const std::string shift = dir / (id + ".shift");
      SetClockShift(shift, offset);
      env = {{"LD_PRELOAD", ClockShiftLib()}, {"PARAAT_CLOCK_SHIFT_FILE", shift}};
    }
    auto p = Process::Start({AgentBin(), "--config", dir / (id + ".yaml")}, dir / (id + ".log"), env);
    ASSERT_TRUE(p.ok());
    agents[id] = *std::move(p);
  }
  ASSERT_TRUE(WaitFor([&] { return PlanState(*collector, "p-honest") == "ready"; }, absl::Seconds(20)))
      << agents["honest"]->Log();
  ASSERT_TRUE(WaitFor([&] { return PlanState(*collector, "p-behind") == "ready"; }, absl::Seconds(10)))
      << PlanShow(*collector, "p-behind") << agents["behind"]->Log();
  ASSERT_TRUE(WaitFor([&] { return HasReason(*collector, "p-ahead", "recovery_point_in_future"); }, absl::Seconds(10)))
      << PlanShow(*collector, "p-ahead") << agents["ahead"]->Log();
  EXPECT_EQ(PlanState(*collector, "p-ahead"), "unknown");
  EXPECT_THAT(PlanShow(*collector, "p-ahead"), HasSubstr("ahead/up"));

  // The offsets, measured by the collector.
  EXPECT_NEAR(Sample(*collector, "paraat_agent_clock_offset_seconds{agent=\"ahead\"}"), 3 * 3600, 5);
  EXPECT_NEAR(Sample(*collector, "paraat_agent_clock_offset_seconds{agent=\"behind\"}"), -3 * 3600, 5);
  EXPECT_NEAR(Sample(*collector, "paraat_agent_clock_offset_seconds{agent=\"honest\"}"), 0, 1);
  EXPECT_THAT(collector->process->Log(), ::testing::ContainsRegex("agent ahead's clock is (3h|2h59m)"));
  EXPECT_THAT(collector->process->Log(), ::testing::ContainsRegex("agent behind's clock is (3h|2h59m)"));

  // Stopped together: every plan goes stale on the collector's clock, within the same second or two.
  for (auto& [id, p] : agents) p->Signal(SIGKILL);
  const absl::Time stopped = absl::Now();
  std::map<std::string, absl::Duration> stale_after;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string id : {"ahead", "behind", "honest"}) {
          if (!stale_after.count(id) && HasReason(*collector, "p-" + id, "source_stale")) {
            stale_after[id] = absl::Now() - stopped;
          }
        }
        return stale_after.size() == 3;
      },
      absl::Seconds(20)))
      << PlanShow(*collector, "p-ahead");
  for (const auto& [id, after] : stale_after) {
    std::cerr << id << " stale " << absl::FormatDuration(after) << " after the stop\n";
    EXPECT_GE(after, absl::Seconds(3)) << id;
    EXPECT_LE(after, absl::Seconds(9)) << id;
    EXPECT_EQ(PlanState(*collector, "p-" + id), "unknown") << id;
  }
}

// The collector's wall clock stepped back two hours and forward two hours while an agent streams:
// ingest goes on (no refusals), no plan changes state (nothing goes stale, no RPO is breached),
// and no record is dated in the future.
TEST(Clock, CollectorClockStepsChangeNeitherIngestNorVerdicts) {
  TempDir dir;
  const std::string shift = dir / "clock.shift";
  SetClockShift(shift, absl::ZeroDuration());
  WritePlan(dir, "up", "failover", "t1/up");
  WritePlan(dir, "rp", "recovery_point", "t1/dump", "1h");
  WriteBackup(dir / "backups/db.dump", 4096, false);
  SetMtime(dir / "backups/db.dump", absl::Now() - absl::Minutes(10));
  auto collector = StartCollector(dir.path(), dir / "plans", "min_stale: 2s\n", 0, "collector.log",
                                  {{"LD_PRELOAD", ClockShiftLib()}, {"PARAAT_CLOCK_SHIFT_FILE", shift}});
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml",
                 AgentYaml("t1", *collector,
                           absl::StrCat("  - {id: up, kind: command, interval: 100ms, command: [\"true\"]}\n"
                                        "  - {id: dump, kind: file_backup, interval: 1s, path: ",
                                        dir.path(), "/backups/*.dump}\n")));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitFor([&] { return PlanState(*collector, "up") == "ready" && PlanState(*collector, "rp") == "ready"; },
                      absl::Seconds(20)))
      << collector->process->Log();
  const double transitions = Sample(*collector, "paraat_collector_plan_transitions_total");
  auto received = [&] { return Sample(*collector, "paraat_collector_results_received_total"); };

  for (absl::Duration step : {absl::Hours(-2), absl::Hours(2), absl::ZeroDuration()}) {
    SetClockShift(shift, step);
    // Long enough (3 s) for the 2 s staleness window to pass, had the step been followed.
    const double before = received();
    ASSERT_TRUE(WaitFor([&] { return received() >= before + 30; }, absl::Seconds(20)))
        << "ingest stalled after a step of " << step << "\n"
        << collector->process->Log();
    EXPECT_EQ(PlanState(*collector, "up"), "ready") << step << PlanShow(*collector, "up");
    EXPECT_EQ(PlanState(*collector, "rp"), "ready") << step << PlanShow(*collector, "rp");
    EXPECT_EQ(Sample(*collector, "paraat_collector_plan_transitions_total"), transitions) << step;
    EXPECT_NEAR(Sample(*collector, "paraat_collector_clock_step_seconds"), absl::ToDoubleSeconds(step), 2) << step;
    EXPECT_EQ(Sample(*collector, "paraat_collector_results_rejected_total{reason=\"rate_limited\"}"), 0);
  }
  EXPECT_THAT((*agent)->Log(), Not(HasSubstr("stream to collector ended")));
  EXPECT_THAT(collector->process->Log(), HasSubstr("wall clock stepped"));

  // No record is dated in the future: every one was recorded before now, by the real clock.
  RunResult exp = RunCommand({CtlBin(), "--collector", collector->address(), "evidence", "export", "--all", "--since",
                              "1h", "--format", "json", "-o", dir / "e.json"});
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  auto j = nlohmann::json::parse(ReadFileOrDie(dir / "e.json"));
  ASSERT_FALSE(j["records"].empty());
  const std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now() + absl::Seconds(2), absl::UTCTimeZone());
  int transition_records = 0;
  for (const auto& rec : j["records"]) {
    EXPECT_LE(rec["recorded_at"].get<std::string>(), now) << rec.dump();
    if (rec["type"] == "transition") ++transition_records;
  }
  EXPECT_EQ(transition_records, transitions) << "none but those before the steps";
}

// An agent config without `spool:` runs: the spool goes to the agent's state folder
// ($STATE_DIRECTORY under systemd).
TEST(Defaults, AnAgentWithoutASpoolSectionSpoolsInItsStateFolder) {
  TempDir dir;
  WritePlan(dir, "up", "failover", "t1/up");
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: \"", collector->address(),
                                                  "\"}\nchecks:\n  - {id: up, kind: command, interval: 1m, "
                                                  "command: [\"true\"]}\n"));
  std::filesystem::create_directories(dir / "state");
  RunResult check = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--check-config"}, absl::Seconds(30), "",
                               {{"STATE_DIRECTORY", dir / "state"}});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(60), "",
                              {{"STATE_DIRECTORY", dir / "state"}});
  EXPECT_EQ(once.exit_code, 0) << once.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "state/spool/spool.state")) << once.output;
  EXPECT_TRUE(WaitFor([&] { return PlanState(*collector, "up") == "ready"; }, absl::Seconds(10)));
}

}  // namespace
}  // namespace paraat::testing
