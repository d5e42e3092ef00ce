// Outages the operator can see, and gaps that are exactly true, against the real processes and a
// real PostgreSQL: the store stopped under load (`pg_ctl stop -m immediate`), a leader frozen by
// SIGSTOP, and a batch stored just before an agent restart that the agent's full spool later
// drops.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "paraat/v1/evidence.pb.h"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

bool Exports(const CollectorProcess& c, const std::string& text) {
  auto body = HttpGet(c.metrics_url());
  return body.ok() && absl::StrContains(*body, text);
}

int HttpStatus(const CollectorProcess& c, const std::string& path) {
  int status = 0;
  auto r = HttpGet(absl::StrCat("http://127.0.0.1:", c.metrics_port, path), &status);
  return r.ok() ? status : -1;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Storage(const PgCluster& pg) {
  return absl::StrCat("storage: \"postgresql:///paraat?host=", pg.socket_dir(), "&port=", pg.port(),
                      "&user=postgres\"\n");
}

// A check that prints RUN-<n>, counting its runs in <name>.count, with `padding` bytes more output.
std::string CounterCheck(const TempDir& dir, const std::string& name, const std::string& interval, int padding = 0) {
  const std::string count = dir / (name + ".count");
  return absl::StrCat("  - id: ", name, "\n    kind: command\n    interval: ", interval,
                      "\n    command: [sh, -c, 'n=$(( $(cat ", count, " 2>/dev/null || echo 0) + 1 )); echo $n > ",
                      count, "; echo RUN-$n",
                      padding ? absl::StrCat("; head -c ", padding, " /dev/zero | tr \\\\0 x") : "", "']\n");
}

std::set<uint64_t> SpooledSequences(const std::string& spool) {
  std::set<uint64_t> seqs;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(spool + "/batches", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    uint64_t s;
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, ".pb") && absl::SimpleAtoi(name.substr(0, name.size() - 3), &s)) seqs.insert(s);
  }
  return seqs;
}

// The log's lines from `from` on.
std::string LogSince(const Process& p, size_t from) {
  const std::string log = p.Log();
  return from < log.size() ? log.substr(from) : "";
}

// PostgreSQL stopped under load: the collector says so everywhere an operator looks — /readyz
// fails (while /healthz, the liveness probe, answers), paraat_collector_store_up is 0, plan series
// stay with their last verdict marked stale, paraatctl status says so, and the log has one line per
// change of state — while the agent backs off further each time it is refused and logs why. Once
// the store is back, the backlog drains.
TEST(Outage, PostgresqlStoppedUnderLoadIsShownAsAnOutage) {
  ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  TempDir dir;
  auto pg = PgCluster::Create(dir / "pg");
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_EQ((*pg)->Sql("CREATE DATABASE paraat").exit_code, 0);
  WriteFileOrDie(dir / "plans/p.yaml",
                 "id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  failover: [t1/counter-a]\n");
  auto collector = StartCollector(dir.path(), dir / "plans", Storage(**pg));
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml",
                 absl::StrCat("agent: {id: t1}\ncollector: {address: \"", collector->address(),
                              "\"}\nspool: {dir: spool}\nchecks:\n", CounterCheck(dir, "counter-a", "100ms"),
                              CounterCheck(dir, "counter-b", "100ms")));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitFor([&] { return Sample(*collector, "paraat_plan_ready{plan=\"p\"}") == 1; }, absl::Seconds(20)))
      << collector->process->Log();
  EXPECT_EQ(HttpStatus(*collector, "/readyz"), 200);
  EXPECT_EQ(Sample(*collector, "paraat_collector_store_up"), 1);
  // On PostgreSQL without signing_key nothing is signed, and the metric says so (ParaatEvidenceUnsigned).
  EXPECT_EQ(Sample(*collector, "paraat_evidence_signing_enabled"), 0);

  const size_t log_from = collector->process->Log().size(), agent_from = (*agent)->Log().size();
  const std::string refused = "paraat_collector_results_rejected_total{reason=\"store_error\"}";
  const double refused_before = Sample(*collector, refused);
  (*pg)->Stop("immediate");
  const absl::Time down = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(*collector, "/readyz") == 503; }, absl::Seconds(10)))
      << LogSince(*collector->process, log_from);
  std::cerr << "outage seen by /readyz after " << absl::FormatDuration(absl::Now() - down) << "\n";
  EXPECT_EQ(HttpStatus(*collector, "/healthz"), 200) << "liveness: the process is fine";
  EXPECT_EQ(Sample(*collector, "paraat_collector_store_up"), 0);
  EXPECT_EQ(Sample(*collector, "paraat_plan_ready{plan=\"p\"}"), 1) << "the last verdict stays";
  EXPECT_EQ(Sample(*collector, "paraat_plan_verdict_stale{plan=\"p\"}"), 1);
  RunResult status = RunCommand({CtlBin(), "--collector", collector->address(), "status"});
  EXPECT_THAT(status.output, HasSubstr("evidence store unavailable")) << status.output;

  // Keep it down for twelve seconds: long enough for the agent to be refused a few times.
  ASSERT_FALSE(WaitFor([&] { return !(*agent)->Running(); }, absl::Seconds(12)));
  const std::string during = LogSince(*collector->process, log_from);
  const std::string agent_during = LogSince(**agent, agent_from);
  EXPECT_THAT(during, Not(HasSubstr("another collector")));
  EXPECT_LE(Count(during, "evidence store"), 2) << during;
  for (absl::string_view line : absl::StrSplit(during, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "20")) << "a log line without a timestamp: " << line;
  }
  // The agent is refused with the collector's reason, and backs off further each time.
  EXPECT_THAT(agent_during, HasSubstr("evidence store")) << agent_during;
  EXPECT_THAT(agent_during, Not(HasSubstr("CANCELLED")));
  // Backoff 1, 2, 4, 8 s, each drawn from [d/2, d]: at most six attempts in twelve seconds.
  const double attempts = Sample(*collector, refused) - refused_before;
  std::cerr << "agent attempts in 12 s of outage: " << attempts << "\n";
  EXPECT_GE(attempts, 1);
  EXPECT_LE(attempts, 6) << agent_during;

  ASSERT_TRUE((*pg)->Start().ok());
  const absl::Time up = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return HttpStatus(*collector, "/readyz") == 200; }, absl::Seconds(15)));
  EXPECT_EQ(Sample(*collector, "paraat_collector_store_up"), 1);
  EXPECT_EQ(Sample(*collector, "paraat_plan_verdict_stale{plan=\"p\"}"), 0);
  std::cerr << "store seen back after " << absl::FormatDuration(absl::Now() - up) << "\n";
  // The agent comes back when its backoff (at most a minute; here a few seconds) is over, then
  // delivers its backlog.
  const int connects = Count(LogSince(**agent, agent_from), "connected to collector");
  ASSERT_TRUE(WaitFor([&] { return Count(LogSince(**agent, agent_from), "connected to collector") > connects; },
                      absl::Seconds(70)));
  const absl::Time reconnected = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return SpooledSequences(dir / "spool").size() <= 2; }, absl::Seconds(60)))
      << LogSince(**agent, agent_from);
  std::cerr << "agent back " << absl::FormatDuration(reconnected - up) << " after the store; backlog drained "
            << absl::FormatDuration(absl::Now() - reconnected) << " after that\n";
  EXPECT_LT(absl::Now() - reconnected, absl::Seconds(5));
  const std::string after = LogSince(*collector->process, log_from);
  EXPECT_THAT(after, HasSubstr("evidence store available again"));
  EXPECT_EQ(Count(after, "evidence store unavailable"), 1) << after;
}

// Two collectors; the leader is frozen with SIGSTOP. Its lease runs out (5 s) and the standby
// leads within the documented bound; thawed, the old leader steps down.
TEST(Outage, AFrozenLeaderLosesTheLeadToTheStandby) {
  ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  TempDir dir;
  auto pg = PgCluster::Create(dir / "pg");
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_EQ((*pg)->Sql("CREATE DATABASE paraat").exit_code, 0);
  WriteFileOrDie(dir / "plans/shared.yaml",
                 "id: shared\nname: Shared\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  failover: [t2/counter-b]\n");
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  auto a = StartCollector(dir / "a", dir / "plans", Storage(**pg));
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartCollector(dir / "b", dir / "plans", Storage(**pg));
  ASSERT_TRUE(b.ok()) << b.status();
  WriteFileOrDie(dir / "t2.yaml",
                 absl::StrCat("agent: {id: t2}\ncollector: {address: \"", b->address(),
                              "\"}\nspool: {dir: spool}\nchecks:\n", CounterCheck(dir, "counter-b", "200ms")));
  auto agent = Process::Start({AgentBin(), "--config", dir / "t2.yaml"}, dir / "t2.log");
  ASSERT_TRUE(agent.ok());
  const std::string ready = "paraat_plan_ready{plan=\"shared\"} 1";
  ASSERT_TRUE(WaitFor([&] { return Exports(*a, ready); }, absl::Seconds(30))) << a->process->Log();
  EXPECT_FALSE(Exports(*b, "paraat_plan_ready{"));

  a->process->Signal(SIGSTOP);
  const absl::Time frozen = absl::Now();
  ASSERT_TRUE(WaitFor([&] { return Exports(*b, ready); }, absl::Seconds(20))) << b->process->Log();
  const absl::Duration takeover = absl::Now() - frozen;
  std::cerr << "takeover after SIGSTOP: " << absl::FormatDuration(takeover) << "\n";
  EXPECT_LT(takeover, absl::Seconds(8)) << "documented: the lease (5 s) plus a second, and the takeover";
  EXPECT_THAT(b->process->Log(), HasSubstr("this collector now leads"));

  a->process->Signal(SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(a->process->Log(), "no longer leads"); }, absl::Seconds(10)))
      << a->process->Log();
  EXPECT_TRUE(WaitFor([&] { return !Exports(*a, "paraat_plan_ready{"); }, absl::Seconds(5)));
  EXPECT_TRUE(Exports(*b, ready));
}

// The evidence records of a PostgreSQL store, parsed.
std::vector<paraat::v1::EvidenceRecord> StoredRecords(const PgCluster& pg) {
  std::vector<paraat::v1::EvidenceRecord> out;
  RunResult r = pg.Sql("SELECT encode(payload, 'hex') FROM evidence ORDER BY seq", "paraat");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
    paraat::v1::EvidenceRecord rec;
    EXPECT_TRUE(rec.ParseFromString(absl::HexStringToBytes(line)));
    out.push_back(std::move(rec));
  }
  return out;
}

// The sequences a gap says are lost.
std::set<uint64_t> GapSequences(const paraat::v1::Gap& g) {
  std::set<uint64_t> seqs;
  if (g.dropped_ranges_size() == 0) {
    for (uint64_t s = g.first_sequence(); s <= g.last_sequence(); ++s) seqs.insert(s);
  }
  for (const auto& r : g.dropped_ranges()) {
    for (uint64_t s = r.first(); s <= r.last(); ++s) seqs.insert(s);
  }
  return seqs;
}

// A batch the collector stored while its acknowledgement never reached the agent (the commit was
// held up by a lock, the agent killed meanwhile); after the restart the agent's full spool drops
// it and reports it. The collector checks the report against what it stored: the gap it records
// holds only sequences it never stored.
TEST(Gaps, ABatchStoredBeforeAnAgentRestartIsNotReportedLost) {
  ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  TempDir dir;
  auto pg = PgCluster::Create(dir / "pg");
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_EQ((*pg)->Sql("CREATE DATABASE paraat").exit_code, 0);
  WriteFileOrDie(dir / "plans/p.yaml",
                 "id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  failover: [t1/counter-a]\n");
  const int port = FreePort();
  auto collector = StartCollector(dir.path(), dir / "plans", Storage(**pg), port);
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: 127.0.0.1:", port,
                                                  "}\nspool: {dir: spool, max_size: 64KiB}\nchecks:\n",
                                                  CounterCheck(dir, "counter-a", "200ms", 3000)));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent-1.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(
      WaitFor([&] { return Sample(*collector, "paraat_collector_results_received_total") >= 5; }, absl::Seconds(20)));

  // Hold every commit up for four seconds; once the collector waits on the lock, kill the agent:
  // the batches in flight are stored after it died, their acknowledgements never read.
  std::vector<std::string> psql = AsPostgres();
  psql.insert(psql.end(), {PgBinDir() + "/psql", "-X", "-h", (*pg)->socket_dir(), "-p", std::to_string((*pg)->port()),
                           "-U", "postgres", "-d", "paraat", "-c",
                           "BEGIN; LOCK TABLE chain IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;"});
  auto lock = Process::Start(psql, dir / "lock.log");
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        RunResult r = (*pg)->Sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query NOT LIKE '%LOCK TABLE%'");
        return absl::StripAsciiWhitespace(r.output) != "0";
      },
      absl::Seconds(10)));
  const double stored_before = Sample(*collector, "paraat_collector_results_received_total");  // commits wait
  ASSERT_TRUE(WaitFor([&] { return !SpooledSequences(dir / "spool").empty(); }, absl::Seconds(5)));
  (*agent)->Signal(SIGKILL);
  (*agent)->Wait(absl::Seconds(10));
  const std::set<uint64_t> unacknowledged = SpooledSequences(dir / "spool");
  EXPECT_EQ((*lock)->Wait(absl::Seconds(20)), 0) << (*lock)->Log();
  ASSERT_TRUE(WaitFor([&] { return Sample(*collector, "paraat_collector_results_received_total") > stored_before; },
                      absl::Seconds(10)))
      << "the held-up batch is committed";
  collector->process->Signal(SIGTERM);
  ASSERT_EQ(collector->process->Wait(absl::Seconds(20)), 0);

  // The agent starts again with the collector away: its spool fills and drops the oldest batches,
  // the unacknowledged ones first.
  agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent-2.log");
  ASSERT_TRUE(agent.ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::set<uint64_t> now = SpooledSequences(dir / "spool");
        for (uint64_t s : unacknowledged) {
          if (now.count(s)) return false;
        }
        return true;
      },
      absl::Seconds(60)));
  collector = StartCollector(dir.path(), dir / "plans", Storage(**pg), port, "collector-2.log");
  ASSERT_TRUE(collector.ok()) << collector.status();
  ASSERT_TRUE(WaitFor([&] { return SpooledSequences(dir / "spool").size() <= 2; }, absl::Seconds(60)));
  (*agent)->Signal(SIGTERM);
  (*agent)->Wait(absl::Seconds(20));

  std::set<uint64_t> stored;
  std::vector<paraat::v1::GapRecord> gaps;
  for (const auto& rec : StoredRecords(**pg)) {
    if (rec.has_result()) stored.insert(rec.result().batch_sequence());
    if (rec.has_gap()) gaps.push_back(rec.gap());
  }
  std::set<uint64_t> held_up;  // stored, yet still in the agent's spool when it was killed
  for (uint64_t s : unacknowledged) {
    if (stored.count(s)) held_up.insert(s);
  }
  ASSERT_FALSE(held_up.empty()) << "the scenario needs a batch stored but not acknowledged";
  ASSERT_FALSE(gaps.empty()) << "the agent dropped batches and reported them";
  bool reported = false;
  for (const auto& g : gaps) {
    for (uint64_t s : GapSequences(g.gap())) {
      EXPECT_FALSE(stored.count(s)) << "batch " << s << " is stored, yet recorded as lost: " << g.DebugString();
    }
    for (uint64_t s : GapSequences(g.has_reported() ? g.reported() : g.gap())) reported = reported || held_up.count(s);
  }
  EXPECT_TRUE(reported) << "the agent's report named a batch the collector held";
  EXPECT_THAT(collector->process->Log(), HasSubstr("stored already"));
}

}  // namespace
}  // namespace paraat::testing
