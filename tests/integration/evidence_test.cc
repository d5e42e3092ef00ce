// The auditor's path with real processes: exercises recorded by people, exports in every
// format (OSCAL validated against NIST's schema with ajv, HTML rendered in headless Chromium),
// and tampering with the SQLite store found by `paraatctl evidence verify`.
#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

// The collector re-verifies the whole chain on its own; every second here instead of daily.
constexpr char kVerifyEverySecond[] = "verify_every: 1s\n";

// The collector's own verdict on its chain, from /metrics ("" until it has verified once).
std::string ChainVerifiedGauge(const CollectorProcess& c) {
  auto body = HttpGet(c.metrics_url());
  if (!body.ok()) return "";
  const std::string name = "\nparaat_evidence_chain_verified ";
  size_t at = body->find(name);
  return at == std::string::npos ? "" : body->substr(at + name.size(), body->find('\n', at + 1) - at - name.size());
}

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteBackup(dir_ / "backups/db-1.dump", 1 << 20, true);
    WriteFileOrDie(dir_ / "plans/brp.yaml", R"(id: brp
name: Basisregistratie Personen
owner: Team Burgerzaken
tier: 1
objectives: {rpo: 15m, rto: 4h, mtpd: 24h}
tests: {exercise_every: 365d}
sources:
  recovery_point: [itest-01/db-dump]
  integrity: [itest-01/db-dump]
controls: [iso27001-2022:A.8.13, bio2:8.13.01, bio2:5.30.01, iso22301-2019:8.5, nis2:21.2.c]
)");
    WriteFileOrDie(dir_ / "plans/other.yaml",
                   "id: other\nname: Other\nobjectives: {rpo: 1h, rto: 8h}\nsources: {recovery_point: [x/y]}\n");
    auto c = StartCollector(dir_.path(), dir_ / "plans", kVerifyEverySecond, port_);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    WriteFileOrDie(dir_ / "agent.yaml",
                   absl::StrCat("agent: {id: itest-01}\ncollector: {address: ", collector_.address(), R"(}
spool: {dir: spool}
checks:
  - {id: db-dump, kind: file_backup, interval: 1m, path: backups/*.dump, checksum: sidecar}
)"));
    RunResult once = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once"});
    ASSERT_EQ(once.exit_code, 0) << once.output;
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address()});
    return RunCommand(args);
  }

  std::string StatusJson() { return Ctl({"status", "--json"}).output; }

  TempDir dir_;
  int port_ = FreePort();
  CollectorProcess collector_;
};

TEST_F(EvidenceTest, ExercisesRecordedByPeopleCountForTheCadence) {
  // exercise_every is set and nothing is recorded: evidence missing.
  ASSERT_TRUE(WaitFor([&] { return StatusJson().find("exercise_missing") != std::string::npos; }, absl::Seconds(10)))
      << StatusJson();
  WriteFileOrDie(dir_ / "minutes.pdf", "%PDF-1.4 minutes of the tabletop exercise");
  RunResult rec = Ctl({"exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date", "30d", "--outcome",
                       "passed", "--notes", "Ransomware scenario with the crisis team", "--attachment",
                       dir_ / "minutes.pdf", "--by", "j.jansen"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(rec.output, HasSubstr("recorded tabletop exercise for plan brp (passed"));
  std::string status = StatusJson();
  EXPECT_THAT(status, ::testing::Not(HasSubstr("exercise_missing")));
  EXPECT_THAT(status, HasSubstr("\"test\": \"exercise\""));

  RunResult show = Ctl({"plan", "show", "brp"});
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_THAT(show.output, HasSubstr("tabletop"));
  EXPECT_THAT(show.output, HasSubstr("Ransomware scenario"));
  EXPECT_THAT(show.output, HasSubstr("itest-01/db-dump"));

  // A failed exercise after it breaches the plan.
  rec = Ctl({"exercise", "record", "--plan", "brp", "--kind", "failover", "--date", "1d", "--outcome", "failed"});
  ASSERT_EQ(rec.exit_code, 0) << rec.output;
  EXPECT_THAT(StatusJson(), HasSubstr("\"exercise_failed\""));

  // Bad input is refused with usage errors.
  rec = Ctl({"exercise", "record", "--plan", "brp", "--kind", "picnic", "--date", "1d", "--outcome", "passed"});
  EXPECT_EQ(rec.exit_code, 2);
  rec =
      Ctl({"exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date", "2999-01-01", "--outcome", "passed"});
  EXPECT_EQ(rec.exit_code, 2);
  EXPECT_THAT(rec.output, HasSubstr("not in the future"));
}

TEST_F(EvidenceTest, ExportsInEveryFormat) {
  ASSERT_EQ(Ctl({"exercise", "record", "--plan", "brp", "--kind", "restore", "--date", "10d", "--outcome", "passed",
                 "--duration", "1h30m", "--notes", "restore of the BRP database to the DR site"})
                .exit_code,
            0);
  // CSV: one row per record, all typed facts, the hash.
  RunResult r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1h", "--format", "csv", "-o", dir_ / "e.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("evidence chain verified"));
  std::string csv = ReadFileOrDie(dir_ / "e.csv");
  EXPECT_THAT(csv, HasSubstr("seq,recorded_at,type,plans,agent,check,kind,status"));
  EXPECT_THAT(csv, HasSubstr(",result,brp,itest-01,db-dump,file_backup,ok,"));
  EXPECT_THAT(csv, HasSubstr(",exercise,brp,"));
  EXPECT_THAT(csv, HasSubstr(",verified,1048576,"));
  EXPECT_THAT(csv, ::testing::Not(HasSubstr("x/y")));  // the other plan's evidence is not in it
  // Its proofs in the sidecar, which verifies offline with the collector's public key.
  EXPECT_THAT(ReadFileOrDie(dir_ / "e.csv.proof.jsonl"), HasSubstr("\"format\":\"paraat-evidence-v1\""));
  RunResult sidecar = Ctl({"evidence", "verify", "--export", dir_ / "e.csv", "--trust", dir_ / "signing_key.pem.pub"});
  EXPECT_EQ(sidecar.exit_code, 0) << sidecar.output;

  // JSON: parses, carries the verification and the records.
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1h", "--format", "json", "-o", dir_ / "e.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(ReadFileOrDie(dir_ / "e.json"));
  EXPECT_TRUE(j["chain_verification"]["ok"].get<bool>());
  EXPECT_GE(j["records"].size(), 3u);
  bool has_result = false;
  for (const auto& rec : j["records"]) {
    if (rec["type"] == "result") {
      has_result = true;
      EXPECT_EQ(rec["facts"]["integrity"], "verified");
    }
  }
  EXPECT_TRUE(has_result);
  EXPECT_EQ(j["evidence"]["format"], "paraat-evidence-v1");
  EXPECT_TRUE(j["records"][0].contains("proof"));

  // OSCAL: valid against NIST's OSCAL 1.1.3 schema.
  r = Ctl({"evidence", "export", "--all", "--since", "1h", "--format", "oscal", "-o", dir_ / "e.oscal.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(HaveProgram("node")) << "node is needed for the OSCAL schema check: scripts/test.sh installs it";
  RunResult v = RunCommand({"node", std::string(PARAAT_SOURCE_DIR) + "/tests/js/validate-oscal.js",
                            std::string(PARAAT_SOURCE_DIR) + "/tests/data/oscal/oscal_complete_schema-1-1-3.json",
                            dir_ / "e.oscal.json"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  auto oscal = nlohmann::json::parse(ReadFileOrDie(dir_ / "e.oscal.json"));
  std::string oscal_text = oscal.dump();
  EXPECT_THAT(oscal_text, HasSubstr("\"control-id\":\"bio2_8.13.01\""));
  EXPECT_THAT(oscal_text, HasSubstr("\"state\":\"satisfied\""));
  // The signed checkpoint as back-matter resources.
  EXPECT_THAT(oscal_text, HasSubstr("\"filename\":\"checkpoint.txt\""));
  EXPECT_THAT(oscal_text, HasSubstr("\"filename\":\"checkpoint.sig\""));

  // HTML: self-contained, and it renders in a real browser.
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1h", "--format", "html", "-o", dir_ / "report.html"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string html = ReadFileOrDie(dir_ / "report.html");
  EXPECT_THAT(html, HasSubstr("Evidence chain verified"));
  EXPECT_THAT(html, HasSubstr("restore of the BRP database"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("src=")));
  ASSERT_TRUE(HaveProgram("chromium")) << "Debian's chromium is needed: scripts/test.sh installs it";
  RunResult shot = RunCommand({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", "--user-data-dir=" + (dir_ / "chromium"), "--window-size=1000,2400",
                               "--screenshot=" + (dir_ / "report.png"), "file://" + (dir_ / "report.html")},
                              absl::Seconds(120));
  EXPECT_EQ(shot.exit_code, 0) << shot.output;
  std::string png = ReadFileOrDie(dir_ / "report.png");
  ASSERT_GT(png.size(), 30000u) << "the screenshot is nearly empty";
  EXPECT_EQ(png.substr(1, 3), "PNG");
  if (const char* keep = std::getenv("PARAAT_TEST_ARTIFACTS")) WriteFileOrDie(std::string(keep) + "/report.png", png);
}

// Issue 14: the OSCAL and HTML reports carry the inclusion proofs of the records they cite;
// `paraatctl evidence verify` checks them offline, and one edited proof is exit 1 naming its record.
TEST_F(EvidenceTest, OscalAndHtmlReportsProveTheRecordsTheyCite) {
  ASSERT_EQ(Ctl({"exercise", "record", "--plan", "brp", "--kind", "restore", "--date", "3d", "--outcome", "passed",
                 "--duration", "2h", "--notes", "restore <drill> & \"check\""})
                .exit_code,
            0);
  const std::string pub = dir_ / "signing_key.pem.pub";
  RunResult r = Ctl({"evidence", "export", "--all", "--since", "1h", "--format", "oscal", "-o", dir_ / "e.oscal.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(HaveProgram("node")) << "node is needed for the OSCAL schema check: scripts/test.sh installs it";
  RunResult valid = RunCommand({"node", std::string(PARAAT_SOURCE_DIR) + "/tests/js/validate-oscal.js",
                                std::string(PARAAT_SOURCE_DIR) + "/tests/data/oscal/oscal_complete_schema-1-1-3.json",
                                dir_ / "e.oscal.json"});
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
  RunResult v = Ctl({"evidence", "verify", "--export", dir_ / "e.oscal.json", "--trust", pub});
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("records proven against its checkpoint"));
  // An earlier JSON export is consistent with it, offline.
  r = Ctl({"evidence", "export", "--all", "--format", "json", "-o", dir_ / "e.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(Ctl({"exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date", "1d", "--outcome", "passed"})
                .exit_code,
            0);
  r = Ctl({"evidence", "export", "--all", "--since", "1h", "--format", "oscal", "-o", dir_ / "later.oscal.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  v = Ctl({"evidence", "verify", "--export", dir_ / "later.oscal.json", "--trust", pub, "--previous", dir_ / "e.json"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("the log still holds everything"));

  // The exercise's observation links to its record's resource; edit that record's proof.
  nlohmann::json doc = nlohmann::json::parse(ReadFileOrDie(dir_ / "e.oscal.json"));
  std::string href;
  for (const auto& o : doc["assessment-results"]["results"][0]["observations"]) {
    if (o["title"] == "Exercise: restore (passed)") href = o["relevant-evidence"][0].value("href", "");
  }
  ASSERT_FALSE(href.empty()) << doc.dump(1);
  uint64_t seq = 0;
  for (auto& res : doc["assessment-results"]["back-matter"]["resources"]) {
    if ("#" + res["uuid"].get<std::string>() != href) continue;
    std::string line;
    ASSERT_TRUE(Base64Decode(res["base64"]["value"].get<std::string>(), &line));
    nlohmann::json proof = nlohmann::json::parse(line);
    seq = proof["seq"];
    std::string path = proof["path"];
    ASSERT_FALSE(path.empty());
    path[0] = path[0] == 'A' ? 'B' : 'A';
    proof["path"] = path;
    res["base64"]["value"] = Base64Encode(proof.dump());
  }
  ASSERT_NE(seq, 0u);
  WriteFileOrDie(dir_ / "forged.oscal.json", doc.dump(2));
  v = Ctl({"evidence", "verify", "--export", dir_ / "forged.oscal.json", "--trust", pub});
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr(absl::StrCat("record ", seq, ": its inclusion proof does not verify")));

  // HTML: the proof file in its appendix, saved as the report tells, verifies the same way.
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1h", "--format", "html", "-o", dir_ / "report.html"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = ReadFileOrDie(dir_ / "report.html");
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<tr id='record-", seq, "'>")));
  EXPECT_THAT(html, HasSubstr("restore &lt;drill&gt; &amp; &quot;check&quot;"));
  const std::string pre = "<pre class='proof'>";
  const size_t at = html.find(pre);
  ASSERT_NE(at, std::string::npos);
  const size_t from = at + pre.size();
  const std::string file = absl::StrReplaceAll(html.substr(from, html.find("</pre>", from) - from),
                                               {{"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}});
  WriteFileOrDie(dir_ / "report.proof.jsonl", file);
  v = Ctl({"evidence", "verify", "--export", dir_ / "report.proof.jsonl", "--trust", pub});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("records proven against its checkpoint"));
}

TEST_F(EvidenceTest, EmptyRangeSaysSo) {
  RunResult r = Ctl({"evidence", "export", "--plan", "brp", "--since", "2020-01-01", "--until", "2020-02-01",
                     "--format", "csv", "-o", dir_ / "empty.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output,
              HasSubstr("no evidence recorded for plan brp between 2020-01-01T00:00:00Z and 2020-02-01T00:00:00Z"));
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1d", "--until", "2d", "--format", "csv", "-o", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--until lies before --since"));
  r = Ctl({"evidence", "export", "--plan", "brp", "--format", "pdf", "-o", dir_ / "x.pdf"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(EvidenceTest, TamperingWithOneStoredRecordIsDetected) {
  ASSERT_TRUE(HaveProgram("sqlite3")) << "Debian's sqlite3 is needed: scripts/test.sh installs it";
  RunResult v = Ctl({"evidence", "verify"});
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_TRUE(WaitFor([&] { return ChainVerifiedGauge(collector_) == "1"; }, absl::Seconds(10)));
  // On SQLite the signing key defaults to signing_key.pem beside the store.
  EXPECT_THAT(HttpGet(collector_.metrics_url()).value_or(""), HasSubstr("\nparaat_evidence_signing_enabled 1\n"));
  collector_.process->Signal(SIGTERM);
  ASSERT_EQ(collector_.process->Wait(absl::Seconds(20)), 0);

  // An intruder edits the message of the one stored result, directly in the database file. On the
  // bytes, in hex: as text, SQLite would stop at the first NUL byte of the protobuf payload, and
  // whether one comes before the message depends on the record's times.
  RunResult hex = RunCommand({"sqlite3", dir_ / "paraat.db", "SELECT hex(payload) FROM evidence WHERE type = 1"});
  ASSERT_EQ(hex.exit_code, 0) << hex.output;
  std::string payload(absl::StripAsciiWhitespace(hex.output));
  const std::string from = absl::BytesToHexString("sha256 verified"), to = absl::BytesToHexString("sha256 VERIFIED");
  ASSERT_NE(payload.find(absl::AsciiStrToUpper(from)), std::string::npos) << "the one stored result: " << hex.output;
  absl::StrReplaceAll({{absl::AsciiStrToUpper(from), absl::AsciiStrToUpper(to)}}, &payload);
  RunResult sql = RunCommand(
      {"sqlite3", dir_ / "paraat.db", absl::StrCat("UPDATE evidence SET payload = X'", payload, "' WHERE type = 1")});
  ASSERT_EQ(sql.exit_code, 0) << sql.output;
  RunResult changed = RunCommand({"sqlite3", dir_ / "paraat.db",
                                  "SELECT count(*) FROM evidence WHERE "
                                  "instr(payload, CAST('sha256 VERIFIED' AS BLOB)) > 0"});
  ASSERT_EQ(changed.output, "1\n") << "exactly one record is edited";

  auto again = StartCollector(dir_.path(), dir_ / "plans", kVerifyEverySecond, port_, "collector2.log");
  ASSERT_TRUE(again.ok()) << again.status();
  collector_ = std::move(*again);
  v = Ctl({"evidence", "verify"});
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr("evidence chain BROKEN at record "));
  EXPECT_THAT(v.output, HasSubstr("does not match its hash"));
  // The collector finds it by itself, for the dashboards and the ParaatEvidenceChainBroken alert.
  EXPECT_TRUE(WaitFor([&] { return ChainVerifiedGauge(collector_) == "0"; }, absl::Seconds(10)))
      << ChainVerifiedGauge(collector_);
  EXPECT_THAT(collector_.process->Log(), HasSubstr("EVIDENCE CHAIN BROKEN at record "));
  // Exports say so too.
  RunResult r = Ctl({"evidence", "export", "--all", "--format", "json", "-o", dir_ / "after.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("evidence chain BROKEN"));
  // CSV takes the verification after the records (the collector verifies while it streams).
  r = Ctl({"evidence", "export", "--all", "--format", "csv", "-o", dir_ / "after.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("evidence chain BROKEN"));
  EXPECT_THAT(ReadFileOrDie(dir_ / "after.csv"), HasSubstr("sha256 VERIFIED"));
}

TEST_F(EvidenceTest, StatusPageShowsThePlans) {
  // The web console's overview, in English when the browser asks for it.
  int status = 0;
  HttpOptions en;
  en.headers.push_back("Accept-Language: en-GB,en;q=0.8");
  auto page = HttpGet(absl::StrCat("http://127.0.0.1:", collector_.metrics_port, "/"), &status, en);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*page, HasSubstr("Continuity readiness"));
  EXPECT_THAT(*page, HasSubstr("Basisregistratie Personen"));
  page = HttpGet(absl::StrCat("http://127.0.0.1:", collector_.metrics_port, "/"), &status);
  EXPECT_THAT(*page, HasSubstr("Continuïteitsgereedheid"));  // Dutch by default
  auto health = HttpGet(absl::StrCat("http://127.0.0.1:", collector_.metrics_port, "/healthz"), &status);
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace paraat::testing

namespace paraat::testing {
namespace {

// paraatctl in Dutch: --lang nl, or LANG when --lang is not given (LC_ALL first); the words come
// from the catalogue the web console uses. Machine output (--json) stays as it is.
TEST_F(EvidenceTest, ParaatctlSpeaksDutchWhenAskedOrWhenTheLocaleIsDutch) {
  ASSERT_TRUE(WaitFor([&] { return StatusJson().find("exercise_missing") != std::string::npos; }, absl::Seconds(10)))
      << StatusJson();
  RunResult nl = Ctl({"--lang", "nl", "status"});
  ASSERT_EQ(nl.exit_code, 0) << nl.output;
  EXPECT_THAT(nl.output, HasSubstr("HERSTELTEST (duur / RTO)"));
  EXPECT_THAT(nl.output, HasSubstr("REDENEN"));
  EXPECT_THAT(nl.output, HasSubstr("oefening nooit gedaan"));
  EXPECT_THAT(nl.output, HasSubstr("nog geen oefening vastgelegd"));
  EXPECT_THAT(nl.output, HasSubstr("2 plannen: 0 gereed, 0 risico, 2 onbekend, 0 niet gereed ("));
  EXPECT_THAT(nl.output, ::testing::Not(HasSubstr("unknown")));
  EXPECT_THAT(nl.output, ::testing::Not(HasSubstr("RESTORE TEST")));

  // The locale decides without --lang; LC_ALL over LANG; C is English.
  const std::vector<std::string> status = {CtlBin(), "--collector", collector_.address(), "status"};
  EXPECT_THAT(RunCommand(status, absl::Seconds(60), "", {{"LC_ALL", ""}, {"LANG", "nl_NL.UTF-8"}}).output,
              HasSubstr("REDENEN"));
  EXPECT_THAT(RunCommand(status, absl::Seconds(60), "", {{"LC_ALL", "en_GB.UTF-8"}, {"LANG", "nl_NL.UTF-8"}}).output,
              HasSubstr("RESTORE TEST (took / RTO)"));
  EXPECT_THAT(RunCommand(status, absl::Seconds(60), "", {{"LC_ALL", "C"}, {"LANG", "nl_NL.UTF-8"}}).output,
              HasSubstr("2 plans: 0 ready, 0 at risk, 2 unknown, 0 not ready ("));
  RunResult bad = Ctl({"--lang", "de", "status"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--lang: \"de\" is not nl or en"));
  // --json is for machines: the same keys and status words in every language.
  EXPECT_THAT(Ctl({"--lang", "nl", "status", "--json"}).output, HasSubstr("\"state\": \"unknown\""));

  RunResult show = Ctl({"--lang", "nl", "plan", "show", "brp"});
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_THAT(show.output, HasSubstr("  eigenaar:     Team Burgerzaken"));
  EXPECT_THAT(show.output, HasSubstr("Status: onbekend sinds "));
  EXPECT_THAT(show.output, HasSubstr("oefening elke 365d"));
  EXPECT_THAT(show.output, HasSubstr("Bronnen:"));
  EXPECT_THAT(show.output, HasSubstr("in orde"));
  EXPECT_THAT(show.output, ::testing::Not(HasSubstr("Sources:")));
  // Reasons in full, from their details: the RTO with its duration, in Dutch.
  EXPECT_THAT(show.output, HasSubstr("de RTO 4u rust op geen enkel bewijs"));
  EXPECT_THAT(show.output, ::testing::Not(HasSubstr("rests on no evidence")));
  // --tz: the dates of that output in a zone of the system's database; another name is refused.
  RunResult zoned = Ctl({"--lang", "nl", "--tz", "Europe/Amsterdam", "plan", "show", "brp"});
  EXPECT_EQ(zoned.exit_code, 0) << zoned.output;
  EXPECT_THAT(zoned.output, HasSubstr("Status: onbekend sinds "));
  RunResult bad_zone = Ctl({"--tz", "Mars/Olympus", "status"});
  EXPECT_EQ(bad_zone.exit_code, 2);
  EXPECT_THAT(bad_zone.output, HasSubstr("--tz: \"Mars/Olympus\" is not a time zone"));

  // The HTML report in Dutch: its language declared, its words Dutch.
  RunResult r = Ctl({"--lang", "nl", "evidence", "export", "--plan", "brp", "--since", "1h", "--format", "html", "-o",
                     dir_ / "rapport.html"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = ReadFileOrDie(dir_ / "rapport.html");
  EXPECT_THAT(html, HasSubstr("<html lang='nl'>"));
  EXPECT_THAT(html, HasSubstr("<h1>Rapport continuïteitsbewijs</h1>"));
  EXPECT_THAT(html, HasSubstr("Samenvatting"));
  EXPECT_THAT(html, HasSubstr("Bronnen van bewijs"));
  EXPECT_THAT(html, HasSubstr("de RTO 4 u rust op geen enkel bewijs"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("[[")));
  EXPECT_THAT(html, HasSubstr("<span class='state unknown'>onbekend</span>"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("Continuity evidence report")));
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1h", "--format", "html", "-o", dir_ / "report.html"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(ReadFileOrDie(dir_ / "report.html"), HasSubstr("<html lang='en'>"));
}

}  // namespace
}  // namespace paraat::testing
