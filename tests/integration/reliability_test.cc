// Acknowledged means durable, proven with faults against the real processes: the collector is
// killed with SIGKILL mid-stream and restarted, the agent is stopped and restarted, the
// collector stays away for a while. Every check run is counted independently of Paraat (the
// check itself appends to a file); in the end each run is stored exactly once.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

// A check that counts its own runs: it appends its run number to <name>.log and prints RUN-<n>
// (and, with `padding`, that many more bytes of output, to make each result larger). Its timeout
// is ten times its interval (the most a check may have), so that a loaded machine does not end
// runs half-way; and a run ended half-way never restarts the count: the count is replaced by a
// rename, and a failed read of it ends the run.
std::string CounterCheck(const TempDir& dir, const std::string& name, int interval_ms, int padding = 0) {
  const std::string count = dir / (name + ".count"), log = dir / (name + ".log");
  WriteFileOrDie(count, "0\n");
  return absl::StrCat("  - id: ", name, "\n    kind: command\n    interval: ", interval_ms,
                      "ms\n    timeout: ", interval_ms * 10, "ms\n    command: [sh, -c, 'c=$(cat ", count,
                      ") || exit 3; n=$((c + 1)); echo $n > ", count, ".new && mv ", count, ".new ", count,
                      " && echo $n >> ", log, " && echo RUN-$n",
                      padding ? absl::StrCat("; head -c ", padding, " /dev/zero | tr \\\\0 x") : "", "']\n");
}

std::multiset<int> RunsOnDisk(const TempDir& dir, const std::string& name) {
  std::multiset<int> runs;
  for (absl::string_view line : absl::StrSplit(ReadFileOrDie(dir / (name + ".log")), '\n', absl::SkipEmpty())) {
    int n;
    if (absl::SimpleAtoi(line, &n)) runs.insert(n);
  }
  return runs;
}

// The runs of each counter check as Paraat stored them, from its own evidence export of `plan`.
std::map<std::string, std::multiset<int>> StoredRuns(const TempDir& dir, const CollectorProcess& collector,
                                                     const std::string& plan) {
  std::map<std::string, std::multiset<int>> stored;
  RunResult exp = RunCommand({CtlBin(), "--collector", collector.address(), "evidence", "export", "--plan", plan,
                              "--since", "1h", "--format", "json", "-o", dir / "e.json"});
  EXPECT_EQ(exp.exit_code, 0) << exp.output;
  if (exp.exit_code != 0) return stored;
  auto j = nlohmann::json::parse(ReadFileOrDie(dir / "e.json"));
  for (const auto& rec : j["records"]) {
    if (rec["type"] != "result") continue;
    int n;
    std::string msg = rec["message"];
    EXPECT_TRUE(absl::SimpleAtoi(msg.substr(4), &n)) << msg;
    stored[rec["check"]].insert(n);
  }
  return stored;
}

// Waits until check `name` has run `n` more times than it had when called.
bool RunsMore(const TempDir& dir, const std::string& name, size_t n) {
  const size_t target = RunsOnDisk(dir, name).size() + n;
  return WaitFor([&] { return RunsOnDisk(dir, name).size() >= target; }, absl::Seconds(30));
}

// Waits until `log` (an agent's) holds `line` at least `times` times.
bool LogSays(const Process& agent, const std::string& line, int times) {
  return WaitFor(
      [&] {
        const std::string log = agent.Log();
        int n = 0;
        for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++n;
        return n >= times;
      },
      absl::Seconds(30));
}

int SpooledBatches(const TempDir& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir / "spool/batches", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

TEST(Reliability, EveryRunIsStoredExactlyOnceThroughCrashesAndRestarts) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/p.yaml",
                 "id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n"
                 "  failover: [t1/counter-a, t1/counter-b]\n");
  const int port = FreePort();
  int collector_starts = 0;
  auto start_collector = [&]() {
    auto c =
        StartCollector(dir.path(), dir / "plans", "", port, absl::StrCat("collector-", ++collector_starts, ".log"));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : CollectorProcess();
  };
  CollectorProcess collector = start_collector();
  WriteFileOrDie(
      dir / "agent.yaml",
      absl::StrCat("agent: {id: t1}\ncollector: {address: 127.0.0.1:", port, "}\nspool: {dir: spool}\nchecks:\n",
                   CounterCheck(dir, "counter-a", 200), CounterCheck(dir, "counter-b", 300)));
  int agent_starts = 0;
  auto start_agent = [&]() {
    return *Process::Start({AgentBin(), "--config", dir / "agent.yaml"},
                           dir / absl::StrCat("agent-", ++agent_starts, ".log"));
  };
  auto agent = start_agent();
  const std::string kConnected = "connected to collector";
  // Connected, and results flowing.
  ASSERT_TRUE(LogSays(*agent, kConnected, 1)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));

  // 1. The collector dies mid-stream; the agent keeps spooling; the collector comes back.
  collector.process->Signal(SIGKILL);
  collector.process->Wait(absl::Seconds(10));
  ASSERT_TRUE(LogSays(*agent, "stream to collector ended", 1)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));
  collector = start_collector();
  ASSERT_TRUE(LogSays(*agent, kConnected, 2)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));

  // 2. The agent is stopped and started again.
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->Wait(absl::Seconds(20)), 0) << agent->Log();
  agent = start_agent();
  ASSERT_TRUE(LogSays(*agent, kConnected, 1)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));

  // 3. The collector stops and stays away for a while: the agent backs off, and its spool fills.
  collector.process->Signal(SIGTERM);
  EXPECT_EQ(collector.process->Wait(absl::Seconds(20)), 0);
  ASSERT_TRUE(LogSays(*agent, "unreachable", 1)) << agent->Log();
  ASSERT_TRUE(WaitFor([&] { return SpooledBatches(dir) >= 15; }, absl::Seconds(30)));
  collector = start_collector();
  ASSERT_TRUE(LogSays(*agent, kConnected, 2)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 3));

  // 4. Killed again, right away restarted.
  collector.process->Signal(SIGKILL);
  collector.process->Wait(absl::Seconds(10));
  collector = start_collector();
  ASSERT_TRUE(LogSays(*agent, kConnected, 3)) << agent->Log();
  ASSERT_TRUE(RunsMore(dir, "counter-a", 3));

  // Stop the agent, then deliver what its spool still holds: one more run of each check with
  // --once waits until the collector has acknowledged everything.
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->Wait(absl::Seconds(20)), 0);
  RunResult once =
      RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once", "--flush-timeout", "60s"}, absl::Seconds(90));
  EXPECT_EQ(once.exit_code, 0) << once.output;
  EXPECT_EQ(SpooledBatches(dir), 0);

  // What Paraat stored, from its own evidence export.
  std::map<std::string, std::multiset<int>> stored = StoredRuns(dir, collector, "p");
  for (const std::string name : {"counter-a", "counter-b"}) {
    std::multiset<int> ran = RunsOnDisk(dir, name);
    ASSERT_FALSE(ran.empty());
    // Every run the check counted, each stored exactly once: nothing lost, nothing twice.
    EXPECT_EQ(stored[name], ran) << name << ": " << ran.size() << " runs, " << stored[name].size() << " stored";
    std::set<int> unique(stored[name].begin(), stored[name].end());
    EXPECT_EQ(unique.size(), stored[name].size()) << name << " has duplicates";
    EXPECT_EQ(*ran.rbegin(), static_cast<int>(ran.size())) << "runs are numbered 1..n";
  }
  RunResult verify = RunCommand({CtlBin(), "--collector", collector.address(), "evidence", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(Reliability, AFullSpoolDropsOldestAndTheGapBecomesEvidence) {
  TempDir dir;
  WriteFileOrDie(dir / "plans/p.yaml",
                 "id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n"
                 "  failover: [t1/counter-a]\n");
  const int port = FreePort();
  // The collector is away while the agent fills a tiny spool.
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: 127.0.0.1:", port,
                                                  "}\nspool: {dir: spool, max_size: 64KiB}\nchecks:\n",
                                                  CounterCheck(dir, "counter-a", 100, 3000)));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  // Each result carries about 3 KiB of output: 64 KiB holds about 20.
  ASSERT_TRUE(WaitFor([&] { return RunsOnDisk(dir, "counter-a").size() > 60; }, absl::Seconds(60)));
  auto collector = StartCollector(dir.path(), dir / "plans", "", port);
  ASSERT_TRUE(collector.ok()) << collector.status();
  ASSERT_TRUE(WaitFor([&] { return SpooledBatches(dir) < 3; }, absl::Seconds(60)));
  (*agent)->Signal(SIGTERM);
  (*agent)->Wait(absl::Seconds(20));
  RunResult exp = RunCommand({CtlBin(), "--collector", collector->address(), "evidence", "export", "--plan", "p",
                              "--since", "1h", "--format", "json", "-o", dir / "e.json"});
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  auto j = nlohmann::json::parse(ReadFileOrDie(dir / "e.json"));
  uint64_t dropped = 0, stored = 0;
  for (const auto& rec : j["records"]) {
    if (rec["type"] == "gap") dropped += rec["gap"]["dropped_results"].get<uint64_t>();
    // A run the check counted printed its number; any other result (a run ended by its timeout
    // on a loaded machine) is not one of the counted runs.
    if (rec["type"] == "result" && absl::StartsWith(rec["message"].get<std::string>(), "RUN-")) ++stored;
  }
  EXPECT_GT(dropped, 0u) << "the hole must be on record";
  // Every run is accounted for: stored, reported dropped, or still spooled/unsent at the stop.
  const uint64_t ran = RunsOnDisk(dir, "counter-a").size();
  EXPECT_LE(stored + dropped, ran);
  EXPECT_GE(stored + dropped + 10, ran);
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(*metrics, HasSubstr("paraat_collector_agent_dropped_results_total "));
  EXPECT_THAT(*metrics, ::testing::Not(HasSubstr("paraat_collector_agent_dropped_results_total 0\n")));
  EXPECT_THAT(*metrics, HasSubstr("paraat_agent_spool_max_bytes{agent=\"t1\"} 65536"));
}

// One tree, one signer: a follower's export (collector `b`) proves itself against the leader's (`a`)
// checkpoint, with the leader's key, and does not offer its own key for it. Each keeps its key in
// its directory under `d`.
void FollowerExportsProveThemselvesWithTheLeadersKey(const std::filesystem::path& d, const CollectorProcess& a,
                                                     const CollectorProcess& b) {
  auto ctl = [&](const CollectorProcess& c, std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", c.address()});
    return RunCommand(args);
  };
  ASSERT_EQ(ctl(a, {"evidence", "export", "--all", "--format", "json", "-o", d / "a.json"}).exit_code, 0);
  RunResult exported = ctl(b, {"evidence", "export", "--all", "--format", "json", "-o", d / "b.json"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  RunResult offline =
      RunCommand({CtlBin(), "evidence", "verify", "--export", d / "b.json", "--trust", d / "a/key.pem.pub"});
  EXPECT_EQ(offline.exit_code, 0) << offline.output;
  offline = RunCommand({CtlBin(), "evidence", "verify", "--export", d / "b.json", "--trust", d / "b/key.pem.pub"});
  EXPECT_EQ(offline.exit_code, 1) << offline.output;
  ASSERT_EQ(ctl(b, {"evidence", "export", "--plan", "shared", "--format", "oscal", "-o", d / "b.oscal.json"}).exit_code,
            0);
  ASSERT_EQ(ctl(a, {"evidence", "export", "--plan", "shared", "--format", "oscal", "-o", d / "a.oscal.json"}).exit_code,
            0);
  // The leader offers its key with the checkpoint it signed; the follower not its own.
  EXPECT_TRUE(absl::StrContains(ReadFileOrDie(d / "a.oscal.json"), Base64Encode(ReadFileOrDie(d / "a/key.pem.pub"))));
  EXPECT_FALSE(absl::StrContains(ReadFileOrDie(d / "b.oscal.json"), Base64Encode(ReadFileOrDie(d / "b/key.pem.pub"))))
      << "the follower offers its own key for the leader's checkpoint";
}

// Scale-out: two collectors on one PostgreSQL database, agents on both. The leading collector is
// killed with SIGKILL; the other takes over evaluation and plan metrics, the agent that was on
// the dead one fails over to it, and every check run is stored exactly once, in one chain.
TEST(Reliability, TwoCollectorsOnPostgresqlSurviveTheLeaderBeingKilled) {
  ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  TempDir dir;
  auto pg = PgCluster::Create(dir / "pg");
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_EQ((*pg)->Sql("CREATE DATABASE paraat").exit_code, 0);
  const std::string storage = absl::StrCat("storage: \"postgresql:///paraat?host=", (*pg)->socket_dir(),
                                           "&port=", (*pg)->port(), "&user=postgres\"\n");
  WriteFileOrDie(dir / "plans/shared.yaml",
                 "id: shared\nname: Shared\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n"
                 "  failover: [t1/counter-a, t2/counter-b]\n");
  const int port_a = FreePort(), port_b = FreePort();
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  // Each has its own signing key (on PostgreSQL there is no default); only the leader signs.
  auto a = StartCollector(dir / "a", dir / "plans", storage + "signing_key: key.pem\n", port_a);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartCollector(dir / "b", dir / "plans", storage + "signing_key: key.pem\n", port_b);
  ASSERT_TRUE(b.ok()) << b.status();
  auto metric = [](const CollectorProcess& c, const std::string& series) {
    auto body = HttpGet(c.metrics_url());
    return body.ok() && absl::StrContains(*body, series);
  };
  const std::string ready = "paraat_plan_ready{plan=\"shared\"} 1";

  // Each agent lists both collectors, its own first (pick_first: it uses the first that answers).
  for (const auto& [id, check, first, second] :
       {std::tuple<std::string, std::string, int, int>{"t1", "counter-a", port_a, port_b},
        std::tuple<std::string, std::string, int, int>{"t2", "counter-b", port_b, port_a}}) {
    WriteFileOrDie(dir / (id + ".yaml"),
                   absl::StrCat("agent: {id: ", id, "}\ncollector: {address: \"ipv4:127.0.0.1:", first, ",127.0.0.1:",
                                second, "\"}\nspool: {dir: spool-", id, "}\nchecks:\n", CounterCheck(dir, check, 200)));
  }
  auto t1 = Process::Start({AgentBin(), "--config", dir / "t1.yaml"}, dir / "t1.log");
  auto t2 = Process::Start({AgentBin(), "--config", dir / "t2.yaml"}, dir / "t2.log");
  ASSERT_TRUE(t1.ok() && t2.ok());

  // A leads: its plan sees both agents' results, including t2's, which B stored.
  ASSERT_TRUE(WaitFor([&] { return metric(*a, ready); }, absl::Seconds(30))) << a->process->Log();
  EXPECT_TRUE(metric(*a, "paraat_agent_connected{agent=\"t1\"} 1"));
  EXPECT_TRUE(metric(*b, "paraat_agent_connected{agent=\"t2\"} 1"));
  // B follows: it knows both checks, and publishes no plan series to contradict A's.
  ASSERT_TRUE(
      WaitFor([&] { return metric(*b, "paraat_check_up{agent=\"t1\",check=\"counter-a\""); }, absl::Seconds(10)));
  EXPECT_FALSE(metric(*b, "paraat_plan_ready{"));
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));
  ASSERT_TRUE(RunsMore(dir, "counter-b", 5));

  FollowerExportsProveThemselvesWithTheLeadersKey(dir.path(), *a, *b);

  a->process->Signal(SIGKILL);
  a->process->Wait(absl::Seconds(10));
  const absl::Time killed = absl::Now();
  // B takes over within seconds, and t1 fails over to B.
  ASSERT_TRUE(WaitFor([&] { return metric(*b, ready); }, absl::Seconds(15))) << b->process->Log();
  const absl::Duration takeover = absl::Now() - killed;
  EXPECT_LT(takeover, absl::Seconds(10));
  EXPECT_THAT(b->process->Log(), HasSubstr("this collector now leads"));
  ASSERT_TRUE(WaitFor([&] { return metric(*b, "paraat_agent_connected{agent=\"t1\"} 1"); }, absl::Seconds(60)))
      << ReadFileOrDie(dir / "t1.log");
  ASSERT_TRUE(RunsMore(dir, "counter-a", 5));  // results of t1 flowing through B

  // Stop both agents and deliver what their spools still hold (--once waits for the acks).
  for (auto* agent : {&*t1, &*t2}) {
    (*agent)->Signal(SIGTERM);
    EXPECT_EQ((*agent)->Wait(absl::Seconds(20)), 0);
  }
  for (const std::string id : {"t1", "t2"}) {
    RunResult once = RunCommand({AgentBin(), "--config", dir / (id + ".yaml"), "--once", "--flush-timeout", "60s"},
                                absl::Seconds(90));
    EXPECT_EQ(once.exit_code, 0) << once.output;
  }

  std::map<std::string, std::multiset<int>> stored = StoredRuns(dir, *b, "shared");
  for (const std::string name : {"counter-a", "counter-b"}) {
    std::multiset<int> ran = RunsOnDisk(dir, name);
    ASSERT_FALSE(ran.empty());
    EXPECT_EQ(stored[name], ran) << name << ": " << ran.size() << " runs, " << stored[name].size() << " stored";
  }
  RunResult verify = RunCommand({CtlBin(), "--collector", b->address(), "evidence", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  std::cerr << "takeover after SIGKILL: " << absl::FormatDuration(takeover) << "\n";
}

}  // namespace
}  // namespace paraat::testing
