// Hostile inputs that must neither grow the collector without bound nor leak nor hang (issue 13):
// an agent stream inventing check ids, many agent ids on one plaintext connection, a plan that
// is a symlink to /etc/shadow, a 50 MiB plan, /dev/zero and a FIFO as attachments, a secret
// printed by another check, an agent config with more checks than the collector accepts. The
// attacks are raw gRPC clients against a real collector; the rest runs the real binaries.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "paraat/v1/agent.grpc.pb.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

#ifdef PARAAT_SANITIZED
constexpr bool kSanitized = true;  // ASan's shadow and quarantine make resident memory no measure
#else
constexpr bool kSanitized = false;
#endif

constexpr char kPlan[] =
    "id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\nsources:\n  recovery_point: [db-01/dump]\n";

// The value of a series in a Prometheus exposition (-1 when absent).
double MetricValue(const std::string& metrics, const std::string& series) {
  size_t pos = metrics.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(metrics.substr(pos + series.size() + 2));
}

size_t CountLines(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) n += absl::StartsWith(line, prefix) ? 1 : 0;
  return n;
}

// "VmHWM" (peak) or "VmRSS" (now) of a process, in KiB.
int64_t MemoryKib(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field + ":")) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// One plaintext HTTP/2 connection to the collector: every stream opened on it shares it.
std::shared_ptr<grpc::Channel> Connection(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a channel of its own, not a shared one
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// A raw agent stream, for what no real agent sends.
class RawStream {
 public:
  explicit RawStream(const std::shared_ptr<grpc::Channel>& channel) : stub_(v1::AgentService::NewStub(channel)) {
    stream_ = stub_->Stream(&ctx_);
  }
  bool Send(const v1::AgentMessage& m) { return stream_->Write(m); }
  bool Receive(v1::CollectorMessage* m) { return stream_->Read(m); }
  // Says hello; true when welcomed.
  bool Hello(const std::string& agent, const std::vector<std::string>& checks) {
    v1::AgentMessage m;
    m.mutable_hello()->set_agent_id(agent);
    m.mutable_hello()->set_spool_epoch(42);
    for (const std::string& c : checks) {
      auto* ci = m.mutable_hello()->add_checks();
      ci->set_id(c);
      ci->set_kind("file_backup");
      ci->set_interval_ns(60'000'000'000);
    }
    v1::CollectorMessage reply;
    return Send(m) && Receive(&reply) && reply.has_welcome();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    v1::CollectorMessage m;
    while (stream_->Read(&m)) {
    }
    return stream_->Finish();
  }
  static v1::AgentMessage Batch(uint64_t seq, const std::vector<std::string>& checks) {
    v1::AgentMessage m;
    m.mutable_batch()->set_sequence(seq);
    for (const std::string& c : checks) {
      auto* r = m.mutable_batch()->add_results();
      r->set_check_id(c);
      r->set_kind("file_backup");
      r->set_status(v1::CHECK_STATUS_OK);
      r->set_started_unix_ns(absl::ToUnixNanos(absl::Now()));
      r->set_message("a made-up result with a bit of text in it, as real ones have");
      auto* d = r->add_details();
      d->set_key("file");
      d->set_value("/srv/backup/db-01/pg_dump-2026-12-01.dump");
    }
    return m;
  }

 private:
  std::unique_ptr<v1::AgentService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>> stream_;
};

std::vector<std::string> Ids(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(absl::StrCat(prefix, i));
  return out;
}

class BoundsTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra_yaml) {
    WriteFileOrDie(dir_ / "plans/brp.yaml", kPlan);
    auto c = StartCollector(dir_.path(), dir_ / "plans", extra_yaml);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  std::string Metrics() { return HttpGet(collector_.metrics_url()).value_or(""); }
  RunResult Ctl(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address()});
    return RunCommand(args, timeout);
  }

  TempDir dir_;
  CollectorProcess collector_;
};

// One stream names 100 checks in its hello, then sends results for 200,000 distinct check ids:
// only the 100 become sources and series; the rest are refused and counted. A later hello may
// not add checks beyond the per-agent maximum (10,000), and agents beyond `max_agents` are
// refused.
TEST_F(BoundsTest, TwoHundredThousandCheckIdsFromOneStream) {
  // No rate limit to speak of: the bound on checks is what must hold.
  Start("limits: {agent_results_per_second: 100000000, agent_results_burst: 1000000000, max_agents: 3}\n");
  const pid_t pid = collector_.process->pid();
  const int64_t before_kib = MemoryKib(pid, "VmRSS");
  const absl::Time start = absl::Now();
  auto connection = Connection(collector_.address());
  {
    RawStream s(connection);
    ASSERT_TRUE(s.Hello("junk", Ids("c", 0, 100)));
    for (int b = 0; b < 20; ++b) ASSERT_TRUE(s.Send(RawStream::Batch(b + 1, Ids("c", b * 10000, (b + 1) * 10000))));
    int acks = 0;
    v1::CollectorMessage reply;
    while (acks < 20 && s.Receive(&reply)) acks += reply.has_ack() ? 1 : 0;
    EXPECT_EQ(acks, 20) << "every batch is acknowledged, its unknown checks refused";
    EXPECT_TRUE(s.Finish().ok());
  }
  const absl::Duration took = absl::Now() - start;
  std::string m = Metrics();
  const int64_t peak_kib = MemoryKib(pid, "VmHWM");
  std::cout << "200,000 check ids from one stream: " << took << ", /metrics " << m.size() << " bytes, "
            << CountLines(m, "paraat_check_up{") << " check_up series, collector resident " << before_kib / 1024
            << " MiB before, peak " << peak_kib / 1024 << " MiB\n";
  EXPECT_EQ(CountLines(m, "paraat_check_up{agent=\"junk\""), 100u);
  EXPECT_EQ(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"unknown_check\"}"), 199900);
  EXPECT_EQ(MetricValue(m, "paraat_collector_results_received_total"), 100);
  EXPECT_LT(m.size(), 256u << 10) << "/metrics stays small";
  if (!kSanitized) {
    EXPECT_LT(peak_kib - before_kib, 100 << 10) << "peak resident growth in KiB";
  }

  {  // A second hello adding 10,000 new checks: over the per-agent maximum of 10,000.
    RawStream s(connection);
    EXPECT_FALSE(s.Hello("junk", Ids("d", 0, 10000)));
    grpc::Status st = s.Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr("10000 checks"));
  }
  // max_agents: 3. Each agent on a connection of its own; the fourth is refused.
  for (const std::string agent : {"a1", "a2"}) {
    RawStream s(Connection(collector_.address()));
    EXPECT_TRUE(s.Hello(agent, {"dump"})) << agent;
    EXPECT_TRUE(s.Finish().ok());
  }
  RawStream s(Connection(collector_.address()));
  EXPECT_FALSE(s.Hello("a3", {"dump"}));
  grpc::Status st = s.Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("max_agents"));
  m = Metrics();
  EXPECT_EQ(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"too_many_checks\"}"), 1);
  EXPECT_EQ(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"too_many_agents\"}"), 1);
}

// Twenty agent ids on one plaintext connection: the first speaks for the connection, the other
// nineteen hellos are refused; what gets in is held to one agent's rate limit (5,000/s, a burst
// of 50,000: the defaults).
TEST_F(BoundsTest, TwentyAgentIdsOnOnePlaintextConnection) {
  Start("");
  const pid_t pid = collector_.process->pid();
  const int64_t before_kib = MemoryKib(pid, "VmRSS");
  auto connection = Connection(collector_.address());
  std::vector<std::unique_ptr<RawStream>> welcomed;
  int refused = 0;
  for (int a = 0; a < 20; ++a) {
    auto s = std::make_unique<RawStream>(connection);
    if (s->Hello(absl::StrCat("agent-", a), Ids("c", 0, 10000))) {
      welcomed.push_back(std::move(s));
    } else {
      grpc::Status st = s->Finish();
      EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
      EXPECT_THAT(st.error_message(), HasSubstr("already speaks for agent agent-0"));
      ++refused;
    }
  }
  EXPECT_EQ(welcomed.size(), 1u);
  EXPECT_EQ(refused, 19);
  // Each welcomed stream sends for three seconds as fast as it is let.
  const absl::Time start = absl::Now();
  uint64_t seq = 0;
  for (auto& s : welcomed) {
    for (int b = 0; b < 30 && absl::Now() - start < absl::Seconds(3); ++b) {
      if (!s->Send(RawStream::Batch(++seq, Ids("c", 0, 5000)))) break;
      v1::CollectorMessage reply;
      if (!s->Receive(&reply)) break;
    }
    s->Finish();
  }
  const absl::Duration took = absl::Now() - start;
  std::string m = Metrics();
  const double stored = MetricValue(m, "paraat_collector_results_received_total");
  const int64_t peak_kib = MemoryKib(pid, "VmHWM");
  std::cout << "20 agent ids on one connection: " << stored << " results stored in " << took << ", /metrics "
            << m.size() << " bytes, collector resident " << before_kib / 1024 << " MiB before, peak " << peak_kib / 1024
            << " MiB\n";
  EXPECT_LE(stored, 50000 + 5000 * absl::ToDoubleSeconds(took) + 5000);
  EXPECT_LE(CountLines(m, "paraat_agent_connected{"), 1u);
  EXPECT_LT(m.size(), 8u << 20) << "one agent's 10,000 checks at most";
  if (!kSanitized) {
    EXPECT_LT(peak_kib - before_kib, 200 << 10) << "peak resident growth in KiB";
  }
}

// Series of an agent silent longer than agent_retention leave /metrics; its evidence stays.
TEST_F(BoundsTest, SilentAgentsLeaveMetricsAfterTheRetention) {
  Start("agent_retention: 6s\n");
  {
    RawStream s(Connection(collector_.address()));
    ASSERT_TRUE(s.Hello("db-01", {"dump"}));
    ASSERT_TRUE(s.Send(RawStream::Batch(1, {"dump"})));
    v1::CollectorMessage reply;
    ASSERT_TRUE(s.Receive(&reply));
    EXPECT_TRUE(s.Finish().ok());
  }
  std::string m;
  EXPECT_TRUE(WaitFor(
      [&] {
        m = Metrics();
        return absl::StrContains(m, "paraat_check_up{agent=\"db-01\",check=\"dump\"");
      },
      absl::Seconds(5)))
      << m;
  EXPECT_THAT(m, HasSubstr("paraat_agent_last_seen_timestamp_seconds{agent=\"db-01\"}"));
  // Both its check series and its agent series leave (they are swept one after the other).
  EXPECT_TRUE(WaitFor(
      [&] {
        m = Metrics();
        return !absl::StrContains(m, "paraat_check_up{agent=\"db-01\"") &&
               !absl::StrContains(m, "paraat_agent_last_seen_timestamp_seconds{agent=\"db-01\"}");
      },
      absl::Seconds(40)))
      << m;
  EXPECT_THAT(m, HasSubstr("paraat_plan_source{plan=\"brp\""));  // the plan still names it
  RunResult show = Ctl({"plan", "show", "brp"});
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_THAT(show.output, HasSubstr("db-01/dump")) << "the evidence stays";
}

// A plan that is a symlink out of plans_dir (to /etc/shadow, or to any file outside) is refused
// at start-up, by --check-config and on reload, and nothing of its content appears in the
// problems, the log or paraatctl's reply. A symlink inside the folder (a ConfigMap) is followed.
TEST_F(BoundsTest, APlanThatIsASymlinkToShadowLeaksNothing) {
  Start("");
  WriteFileOrDie(dir_ / "outside/shadow",
                 "root:$y$j9T$canaryHASHcanary:20228:0:99999:7:::\n"
                 "canary-user:$6$saltsalt$secondCANARYhash:20228:0:99999:7:::\n");
  const std::vector<std::string> canaries = {"canaryHASHcanary", "secondCANARYhash", "canary-user"};
  std::vector<std::string> shadow_lines;
  std::ifstream shadow("/etc/shadow");
  for (std::string line; std::getline(shadow, line);) {
    if (line.size() >= 8) shadow_lines.push_back(line.substr(0, line.find_last_not_of(':') + 1));
  }
  auto leaks = [&](const std::string& text) {
    for (const std::string& c : canaries) {
      if (absl::StrContains(text, c)) return c;
    }
    for (const std::string& l : shadow_lines) {
      if (absl::StrContains(text, l)) return l;
    }
    return std::string();
  };
  for (const std::string& target : std::vector<std::string>{"/etc/shadow", dir_ / "outside/shadow"}) {
    SCOPED_TRACE(target);
    ::unlink((dir_ / "plans/evil.yaml").c_str());
    ASSERT_EQ(::symlink(target.c_str(), (dir_ / "plans/evil.yaml").c_str()), 0);
    RunResult reload = Ctl({"reload"});
    EXPECT_NE(reload.exit_code, 0) << reload.output;
    EXPECT_THAT(reload.output, HasSubstr("evil.yaml"));
    EXPECT_THAT(reload.output, HasSubstr("outside"));
    EXPECT_EQ(leaks(reload.output), "") << reload.output;
    RunResult check = RunCommand({CollectorBin(), "--config", dir_ / "collector.yaml", "--check-config"});
    EXPECT_EQ(check.exit_code, 2) << check.output;
    EXPECT_EQ(leaks(check.output), "") << check.output;
  }
  EXPECT_EQ(leaks(collector_.process->Log()), "");
  EXPECT_TRUE(collector_.process->Running());

  // Symlinks that stay inside plans_dir, as a Kubernetes ConfigMap lays them out, are followed.
  ::unlink((dir_ / "plans/evil.yaml").c_str());
  WriteFileOrDie(dir_ / "plans/..data/zaak.yaml",
                 "id: zaak\nname: Z\nobjectives: {rpo: 1h, rto: 8h}\nsources: {recovery_point: [a/c]}\n");
  ASSERT_EQ(::symlink("..data/zaak.yaml", (dir_ / "plans/zaak.yaml").c_str()), 0);
  RunResult reload = Ctl({"reload"});
  EXPECT_EQ(reload.exit_code, 0) << reload.output;
  EXPECT_THAT(reload.output, HasSubstr("2 plans"));
}

// A 50 MiB plan (its name 50 MiB long) is refused with a message of one short line; so is a
// collector config over the limit. Values quoted in problems are short excerpts.
TEST_F(BoundsTest, AFiftyMebibytePlanIsRefusedBriefly) {
  WriteFileOrDie(dir_ / "collector.yaml",
                 "listen: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nstorage: sqlite://paraat.db\nplans_dir: plans\n");
  WriteFileOrDie(dir_ / "plans/big.yaml",
                 absl::StrCat("id: big\nname: ", std::string(50 << 20, 'x'),
                              "\nobjectives: {rpo: 1h, rto: 4h}\nsources: {recovery_point: [a/b]}\n"));
  RunResult check = RunCommand({CollectorBin(), "--config", dir_ / "collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_LT(check.output.size(), 1024u) << check.output.substr(0, 2048);
  EXPECT_THAT(check.output, HasSubstr("big.yaml: larger than 1 MiB"));

  // Under the limit but with a long, hostile value: the problem quotes a short, one-line excerpt.
  WriteFileOrDie(dir_ / "plans/big.yaml",
                 absl::StrCat("id: big\nname: B\nobjectives: {rpo: \"", std::string(100000, 'y'),
                              "\\e[2J\", rto: 4h}\n", "sources: {recovery_point: [a/b]}\n"));
  check = RunCommand({CollectorBin(), "--config", dir_ / "collector.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_LT(check.output.size(), 1024u) << check.output.substr(0, 2048);
  EXPECT_THAT(check.output, HasSubstr("objectives.rpo: \"yyyy"));
  EXPECT_THAT(check.output, Not(HasSubstr("\x1b")));
}

// --attachment /dev/zero and a FIFO are refused at once (no hang, no growth); the client's limit
// is the server's: an attachment of exactly the limit is recorded, one byte more is refused by
// paraatctl before anything is sent.
TEST_F(BoundsTest, AttachmentsThatAreNotFilesAreRefusedAndTheLimitIsTheServers) {
  Start("");
  auto record = [&](const std::string& file) {
    // A memory limit keeps an unbounded read from taking the machine down with it (not under
    // AddressSanitizer, which reserves terabytes of address space for its shadow).
    return RunCommand({"sh", "-c", kSanitized ? "exec \"$@\"" : "ulimit -v 4000000; exec \"$@\"", "sh", CtlBin(),
                       "--collector", collector_.address(), "exercise", "record", "--plan", "brp", "--kind", "tabletop",
                       "--date", "1d", "--outcome", "passed", "--attachment", file},
                      absl::Seconds(20));
  };
  const absl::Time start = absl::Now();
  RunResult zero = record("/dev/zero");
  EXPECT_EQ(zero.exit_code, 2) << zero.output;
  EXPECT_THAT(zero.output, HasSubstr("/dev/zero: not a regular file (a character device)"));
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  RunResult fifo = record(dir_ / "fifo");
  EXPECT_EQ(fifo.exit_code, 2) << fifo.output;
  EXPECT_THAT(fifo.output, HasSubstr("fifo: not a regular file (a FIFO)"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  WriteFileOrDie(dir_ / "limit.pdf", std::string(8 << 20, 'p'));
  RunResult at_limit = record(dir_ / "limit.pdf");
  EXPECT_EQ(at_limit.exit_code, 0) << at_limit.output;
  WriteFileOrDie(dir_ / "over.pdf", std::string((8 << 20) + 1, 'p'));
  RunResult over = record(dir_ / "over.pdf");
  EXPECT_EQ(over.exit_code, 2) << over.output;
  EXPECT_THAT(over.output, HasSubstr("larger than 8 MiB"));
}

// A secret configured for one check (restic's password file) and printed by another check on the
// same agent (a plugin that cats it) is redacted from that check's result too: in what the agent
// prints and in the evidence it delivers.
TEST_F(BoundsTest, ASecretPrintedByAnotherCheckIsRedacted) {
  Start("");
  const std::string secret = "Horse-Battery-Staple-4711";
  WriteFileOrDie(dir_ / "restic.pass", secret + "\n");
  ::chmod((dir_ / "restic.pass").c_str(), 0600);
  WriteFileOrDie(dir_ / "agent.yaml", absl::StrCat("agent: {id: db-01}\ncollector: {address: ", collector_.address(),
                                                   "}\nspool: {dir: spool}\nchecks:\n"
                                                   "  - id: offsite\n    kind: restic\n    interval: 1h\n"
                                                   "    repository: ",
                                                   dir_ / "no-repo", "\n    password_file: restic.pass\n",
                                                   "  - id: dump\n    kind: command\n    interval: 1h\n"
                                                   "    command: [sh, -c, \"echo the key is $(cat ",
                                                   dir_ / "restic.pass", "); exit 0\"]\n"));
  RunResult once = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once", "--flush-timeout", "10s"});
  EXPECT_THAT(once.output, HasSubstr("dump (command)"));
  EXPECT_THAT(once.output, HasSubstr("[REDACTED]"));
  EXPECT_THAT(once.output, Not(HasSubstr(secret)));
  RunResult exported = Ctl({"evidence", "export", "--all", "--format", "json", "-o", dir_ / "evidence.json"});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const std::string evidence = ReadFileOrDie(dir_ / "evidence.json");
  EXPECT_THAT(evidence, HasSubstr("the key is [REDACTED]"));
  EXPECT_THAT(evidence, Not(HasSubstr(secret)));
  EXPECT_THAT(Metrics(), Not(HasSubstr(secret)));
}

// An agent config with more checks than the collector accepts in a hello is refused by
// --check-config (and at start), instead of every hello being refused later.
TEST_F(BoundsTest, AnAgentConfigWithMoreChecksThanTheCollectorAcceptsIsRefused) {
  std::string yaml = "agent: {id: big}\ncollector: {address: 127.0.0.1:7443}\nspool: {dir: spool}\nchecks:\n";
  for (int i = 0; i <= 10000; ++i)
    absl::StrAppend(&yaml, "  - {id: c", i, ", kind: disk_space, interval: 1h, path: /, min_free_ratio: 1%}\n");
  WriteFileOrDie(dir_ / "agent.yaml", yaml);
  RunResult r = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2) << r.output.substr(0, 2048);
  EXPECT_THAT(r.output, HasSubstr("checks: 10001 checks; the collector accepts at most 10000 from one agent"));
  r = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once", "--no-send"});
  EXPECT_EQ(r.exit_code, 2) << r.output.substr(0, 2048);
}

}  // namespace
}  // namespace paraat::testing
