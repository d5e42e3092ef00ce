// Bytes that are not UTF-8 and text that tries to act, with real agent, collector and paraatctl
// processes on loopback (issue 13): a Latin-1 file name keeps its result and every other, exactly;
// escape sequences and newlines from a check or a forged agent reach neither the operator's
// terminal (paraatctl under a pseudo-terminal) nor the collector's log, while the exports keep
// the exact text; CSV cells never start a formula; a spool batch that cannot be read back is a
// gap in the evidence and the metrics, and a batch an older agent wrote with such bytes is sent.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/text.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "paraat/v1/agent.grpc.pb.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs argv with a pseudo-terminal as its stdin, stdout and stderr, as an operator's shell would,
// and returns what the terminal received, byte for byte (output post-processing off, so a "\n"
// arrives as written, not as "\r\n").
RunResult RunOnTerminal(const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(30)) {
  RunResult result;
  int master = -1;
  termios tio{};
  cfmakeraw(&tio);
  winsize ws{};
  ws.ws_row = 50;
  ws.ws_col = 200;
  pid_t pid = forkpty(&master, nullptr, &tio, &ws);
  if (pid < 0) return result;
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  char buf[4096];
  while (absl::Now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and its side of the terminal is closed
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// Text a terminal would act on: bytes that are not UTF-8 (an 8-bit terminal's C1 controls), C0
// controls other than newline and TAB, DEL, and C1 controls encoded as UTF-8.
bool HasActiveControls(const std::string& s) {
  if (!IsValidUtf8(s)) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;
  }
  return false;
}

// An agent stream on plaintext loopback, for what no real agent sends (a compromised one).
class ForgedAgent {
 public:
  ForgedAgent(const std::string& target, const std::string& agent_id, const std::vector<std::string>& checks) {
    stub_ = v1::AgentService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    stream_ = stub_->Stream(&ctx_);
    v1::AgentMessage hello;
    hello.mutable_hello()->set_agent_id(agent_id);
    hello.mutable_hello()->set_spool_epoch(7);
    for (const auto& c : checks) {
      auto* info = hello.mutable_hello()->add_checks();
      info->set_id(c);
      info->set_kind("command");
      info->set_interval_ns(absl::ToInt64Nanoseconds(absl::Minutes(5)));
    }
    stream_->Write(hello);
    v1::CollectorMessage welcome;
    ok_ = stream_->Read(&welcome) && welcome.has_welcome();
  }
  bool ok() const { return ok_; }
  // Sends one batch and waits for its acknowledgement.
  bool Send(const v1::ResultBatch& batch) {
    v1::AgentMessage m;
    *m.mutable_batch() = batch;
    v1::CollectorMessage ack;
    return stream_->Write(m) && stream_->Read(&ack) && ack.has_ack() && ack.ack().sequence() == batch.sequence();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    v1::CollectorMessage m;
    while (stream_->Read(&m)) {
    }
    return stream_->Finish();
  }
  static v1::Result Result(const std::string& check, v1::CheckStatus status, const std::string& message) {
    v1::Result r;
    r.set_check_id(check);
    r.set_kind("command");
    r.set_status(status);
    r.set_started_unix_ns(absl::ToUnixNanos(absl::Now()));
    r.set_interval_ns(absl::ToInt64Nanoseconds(absl::Minutes(5)));
    r.set_message(message);
    r.mutable_facts()->set_ready(status == v1::CHECK_STATUS_OK);
    return r;
  }

 private:
  std::unique_ptr<v1::AgentService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>> stream_;
  bool ok_ = false;
};

class HostileTextTest : public ::testing::Test {
 protected:
  void StartWithPlan(const std::string& plan_yaml) {
    WriteFileOrDie(dir_ / "plans/p.yaml", plan_yaml);
    auto c = StartCollector(dir_.path(), dir_ / "plans");
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  std::string AgentConfig(const std::string& checks) {
    return absl::StrCat("agent: {id: itest-01}\ncollector: {address: ", collector_.address(),
                        "}\nspool: {dir: spool}\nchecks:\n", checks);
  }
  RunResult Once(const std::string& checks) {
    WriteFileOrDie(dir_ / "agent.yaml", AgentConfig(checks));
    return RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once", "--flush-timeout", "10s"});
  }
  std::vector<std::string> Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address()});
    return args;
  }
  // Every record of the JSON export of everything recorded in the last hour.
  json Records() {
    RunResult r = RunCommand(
        Ctl({"evidence", "export", "--all", "--since", "1h", "--format", "json", "-o", dir_ / "export.json"}));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(ReadFileOrDie(dir_ / "export.json"))["records"];
  }
  double Metric(const std::string& series) {
    std::string m = HttpGet(collector_.metrics_url()).value_or("");
    size_t pos = m.find("\n" + series + " ");
    return pos == std::string::npos ? -1 : std::stod(m.substr(pos + series.size() + 2));
  }

  TempDir dir_;
  CollectorProcess collector_;
};

TEST_F(HostileTextTest, ALatinOneFileNameKeepsItsResultAndEveryOtherExactly) {
  // café.dump as an old Windows share or Samba names it: 0xE9, not UTF-8.
  const std::string latin = dir_ / "latin/caf\xe9.dump";
  WriteBackup(latin, 4096, true);
  WriteBackup(dir_ / "backups/db.dump", 4096, true);
  StartWithPlan(
      "id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\naccept_unevidenced: {rto: \"about file names\"}\n"
      "sources:\n  recovery_point: [itest-01/latin, itest-01/healthy]\n  integrity: [itest-01/latin, "
      "itest-01/healthy]\n");
  RunResult once = Once(
      "  - {id: latin, kind: file_backup, interval: 5m, path: latin/*.dump, checksum: sidecar}\n"
      "  - {id: healthy, kind: file_backup, interval: 5m, path: backups/*.dump, checksum: sidecar}\n");
  EXPECT_EQ(once.exit_code, 0) << once.output;
  EXPECT_THAT(once.output, Not(HasSubstr("unreadable")));
  EXPECT_THAT(once.output, Not(HasSubstr("invalid UTF-8")));

  // Both results are stored, nothing is dropped, and the file name comes back byte for byte.
  std::map<std::string, json> by_check;
  for (const auto& rec : Records()) {
    if (rec["type"] == "result") by_check[rec["check"]] = rec;
    EXPECT_NE(rec["type"], "gap") << rec.dump();
  }
  ASSERT_EQ(by_check.count("healthy"), 1u);
  ASSERT_EQ(by_check.count("latin"), 1u);
  const json& r = by_check["latin"];
  EXPECT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["facts"]["integrity"], "verified");
  const std::string file = r["details"]["file"];
  EXPECT_EQ(file, dir_ / "latin/caf\\xE9.dump");
  EXPECT_EQ(UnescapeUtf8(file), latin);
  EXPECT_TRUE(std::filesystem::exists(UnescapeUtf8(file)));
  EXPECT_EQ(Metric("paraat_collector_results_received_total"), 2);
  EXPECT_EQ(Metric("paraat_collector_agent_dropped_results_total"), 0);
  // The plan is evaluated on both (the evaluation runs on its own schedule).
  EXPECT_TRUE(WaitFor([&] { return RunCommand(Ctl({"status"})).output.find("brp   ready") != std::string::npos; },
                      absl::Seconds(10)))
      << RunCommand(Ctl({"status"})).output;
}

// A monitoring plugin that prints what a hostile host would: a title change (OSC 0, ended by
// BEL), a screen clear (CSI 2J), colours, and a second line.
constexpr char kHostilePlugin[] =
    "#!/bin/sh\n"
    "printf '\\033]0;pwned\\007\\033[2JCRITICAL - disk on fire | used=99%%\\n\\033[31msecond line\\033[0m\\n'\n"
    "exit 2\n";
const std::string kHostileMessage = "\x1b]0;pwned\x07\x1b[2JCRITICAL - disk on fire";
const std::string kShownMessage = "\\x1B]0;pwned\\x07\\x1B[2JCRITICAL - disk on fire";
// What a compromised agent sends: a message that forges a second table row and log line.
const std::string kForgedMessage = "probe down\nok  FORGED row\r\x1b[2Kall objectives met";
const std::string kForgedReason = "spool trouble\n2030-01-01T00:00:00.000Z INFO  FORGED log line \x1b[2J";

TEST_F(HostileTextTest, EscapeSequencesAndNewlinesReachNoTerminalAndNoLog) {
  WriteFileOrDie(dir_ / "plugin.sh", kHostilePlugin);
  ::chmod((dir_ / "plugin.sh").c_str(), 0755);
  StartWithPlan(
      "id: ops\nname: Ops\nobjectives: {rpo: 1h, rto: 4h}\nsources:\n"
      "  failover: [itest-01/probe, forged-01/probe]\n");
  RunResult once =
      Once(absl::StrCat("  - {id: probe, kind: command, interval: 5m, command: [", dir_ / "plugin.sh", "]}\n"));
  EXPECT_EQ(once.exit_code, 1) << once.output;  // the check failed, as the plugin said
  ForgedAgent forged(collector_.address(), "forged-01", {"probe"});
  ASSERT_TRUE(forged.ok());
  v1::ResultBatch batch;
  batch.set_sequence(1);
  *batch.add_results() = ForgedAgent::Result("probe", v1::CHECK_STATUS_FAILED, kForgedMessage);
  auto* gap = batch.add_gaps();
  gap->set_first_sequence(1);
  gap->set_last_sequence(1);
  gap->set_dropped_batches(1);
  gap->set_reason(kForgedReason);
  ASSERT_TRUE(forged.Send(batch));
  EXPECT_TRUE(forged.Finish().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return RunCommand(Ctl({"status", "--json"})).output.find("forged-01/probe is not ready") != std::string::npos;
      },
      absl::Seconds(10)));

  // The terminal shows every control visibly and acts on none; each row stays one line.
  for (const auto& args : {std::vector<std::string>{"status"}, std::vector<std::string>{"plan", "show", "ops"}}) {
    RunResult t = RunOnTerminal(Ctl(args));
    const std::string what = absl::StrJoin(args, " ");
    EXPECT_EQ(t.exit_code, 0) << what << ": " << t.output;
    EXPECT_FALSE(HasActiveControls(t.output)) << what << ":\n" << t.output;
    // status shows the first reason, plan show every source's message.
    EXPECT_TRUE(absl::StrContains(t.output, kShownMessage) || absl::StrContains(t.output, "probe down⏎ok  FORGED"))
        << what << ":\n"
        << t.output;
    if (args[0] == "plan") {
      EXPECT_THAT(t.output, HasSubstr(kShownMessage));
      EXPECT_THAT(t.output, HasSubstr("probe down⏎ok  FORGED row\\r\\x1B[2Kall objectives met"));
    }
    for (absl::string_view line : absl::StrSplit(t.output, '\n')) {
      EXPECT_FALSE(absl::StartsWith(line, "ok  FORGED")) << what << ": a forged row:\n" << t.output;
      EXPECT_FALSE(absl::StartsWith(line, "all objectives met")) << what << ":\n" << t.output;
    }
  }
  // The log: one line per event, controls shown.
  const std::string log = collector_.process->Log();
  EXPECT_FALSE(HasActiveControls(log)) << log;
  EXPECT_THAT(log, HasSubstr("spool trouble⏎2030-01-01T00:00:00.000Z INFO  FORGED log line \\x1B[2J"));
  for (absl::string_view line : absl::StrSplit(log, '\n')) EXPECT_FALSE(absl::StartsWith(line, "2030-")) << log;

  // Machine output keeps the exact text: plan show --json and the export.
  json show = json::parse(RunCommand(Ctl({"plan", "show", "ops", "--json"})).output);
  std::set<std::string> messages;
  for (const auto& s : show["sources"]) messages.insert(s["message"].get<std::string>());
  EXPECT_EQ(messages, (std::set<std::string>{kHostileMessage, kForgedMessage}));
  bool saw_tail = false, saw_gap = false;
  for (const auto& rec : Records()) {
    if (rec["type"] == "result" && rec["agent"] == "itest-01") {
      EXPECT_EQ(rec["message"], kHostileMessage);
      EXPECT_THAT(rec["output_tail"].get<std::string>(), HasSubstr("\x1b[31msecond line\x1b[0m"));
      saw_tail = true;
    }
    if (rec["type"] == "gap") {
      EXPECT_EQ(rec["gap"]["reason"], kForgedReason);
      saw_gap = true;
    }
  }
  EXPECT_TRUE(saw_tail && saw_gap);
}

TEST_F(HostileTextTest, CsvCellsNeverStartAFormula) {
  const std::vector<std::string> hostile = {"=1+1",   "+1+1", "-1+1+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1",
                                            "\r=1+1", "-2"};
  std::string sources;
  std::vector<std::string> checks;
  for (size_t i = 0; i < hostile.size(); ++i) checks.push_back(absl::StrCat("c", i));
  StartWithPlan(absl::StrCat("id: csv\nname: CSV\nobjectives: {rpo: 1h, rto: 4h}\nsources:\n  failover: [forged-01/",
                             absl::StrJoin(checks, ", forged-01/"), "]\n"));
  ForgedAgent forged(collector_.address(), "forged-01", checks);
  ASSERT_TRUE(forged.ok());
  v1::ResultBatch batch;
  batch.set_sequence(1);
  for (size_t i = 0; i < hostile.size(); ++i) {
    *batch.add_results() = ForgedAgent::Result(checks[i], v1::CHECK_STATUS_OK, hostile[i]);
  }
  ASSERT_TRUE(forged.Send(batch));
  EXPECT_TRUE(forged.Finish().ok());
  RunResult r = RunCommand(
      Ctl({"evidence", "export", "--plan", "csv", "--since", "1h", "--format", "csv", "-o", dir_ / "e.csv"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = ReadFileOrDie(dir_ / "e.csv");
  for (const std::string& h : hostile) {
    // Quoted, with a leading apostrophe: a spreadsheet shows it as text and evaluates nothing.
    EXPECT_THAT(csv, HasSubstr(absl::StrCat(",\"'", h, "\","))) << "cell " << absl::CEscape(h) << " is not guarded:\n"
                                                                << csv;
    EXPECT_THAT(csv, Not(HasSubstr(absl::StrCat(",", h, ",")))) << absl::CEscape(h);
  }
}

// An agent's spool after a crash or an upgrade: one batch truncated on disk (cannot be read
// back), one written by an older agent with a file name that is not UTF-8 (its results are sent,
// escaped). The first becomes a gap record in the evidence and is counted in the metrics.
TEST_F(HostileTextTest, AnUnreadableSpoolBatchIsAGapAndAnOlderAgentsBatchIsSent) {
  WriteBackup(dir_ / "backups/db.dump", 4096, true);
  StartWithPlan("id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\nsources:\n  recovery_point: [itest-01/db]\n");
  const std::string checks = "  - {id: db, kind: file_backup, interval: 5m, path: backups/*.dump}\n";
  // A first run that cannot deliver leaves its batch in the spool.
  WriteFileOrDie(dir_ / "offline.yaml", absl::StrCat("agent: {id: itest-01}\ncollector: {address: 127.0.0.1:",
                                                     FreePort(), "}\nspool: {dir: spool}\nchecks:\n", checks));
  RunResult offline = RunCommand({AgentBin(), "--config", dir_ / "offline.yaml", "--once", "--flush-timeout", "500ms"});
  ASSERT_EQ(offline.exit_code, 1) << offline.output;
  std::vector<std::filesystem::path> batches;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "spool/batches")) batches.push_back(e.path());
  ASSERT_EQ(batches.size(), 1u);
  // Truncated mid-result, as a full disk or a crash without fsync can leave it.
  std::string bytes = ReadFileOrDie(batches[0]);
  std::filesystem::resize_file(batches[0], bytes.size() / 2);
  // An older agent's batch: a proto3 string holding Latin-1, which protobuf refuses to parse.
  v1::ResultBatch old;
  old.set_sequence(900);
  v1::Result* r = old.add_results();
  r->set_check_id("db");
  r->set_kind("file_backup");
  r->set_status(v1::CHECK_STATUS_OK);
  r->set_started_unix_ns(absl::ToUnixNanos(absl::Now() - absl::Minutes(1)));
  r->set_message("newest backup caf\xe9.dump");
  auto* d = r->add_details();
  d->set_key("file");
  d->set_value("/backups/caf\xe9.dump");
  WriteFileOrDie(dir_ / "spool/batches/00000000000000000900.pb", old.SerializeAsString());

  RunResult once = Once(checks);
  EXPECT_EQ(once.exit_code, 0) << once.output;
  int results = 0, gaps = 0;
  for (const auto& rec : Records()) {
    if (rec["type"] == "result") {
      ++results;
      if (rec["message"] == "newest backup caf\\xE9.dump") {
        EXPECT_EQ(UnescapeUtf8(rec["details"]["file"].get<std::string>()), "/backups/caf\xe9.dump");
      }
    }
    if (rec["type"] == "gap") {
      ++gaps;
      EXPECT_EQ(rec["gap"]["reason"], "unreadable_spool_batch") << rec.dump();
      EXPECT_EQ(rec["gap"]["dropped_batches"], 1);
      EXPECT_EQ(rec["gap"]["dropped_results"], 1);
    }
  }
  EXPECT_EQ(results, 2) << "the older agent's batch and this run's";
  EXPECT_EQ(gaps, 1);
  EXPECT_EQ(Metric("paraat_collector_agent_dropped_results_total"), 1);
  EXPECT_EQ(Metric("paraat_agent_spool_dropped_results_total{agent=\"itest-01\"}"), 1);
}

}  // namespace
}  // namespace paraat::testing
