// The web console with real processes: a collector with access tokens, an agent whose backup
// file name carries HTML and script, paraatctl for the numbers to compare with, and Debian's
// chromium driven by puppeteer-core (tests/js/console-test.js) for every page in both
// languages: rendering, axe-core's WCAG checks, keyboard reach, inert hostile text, guarded
// forms, and an exercise, a review and an incident recorded through them. It also takes the screenshots in
// docs/console/ when PARAAT_SCREENSHOTS is set.
#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kHostile[] = "<script>alert(2)<.script><img src=x onerror=alert(1)>";

class WebConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteBackup(dir_ / "backups/db-1.dump", 1 << 16, true);
    WriteBackup(dir_ / absl::StrCat("backups/", kHostile, ".dump"), 1 << 16, true);
    WriteFileOrDie(dir_ / "plans/brp.yaml", R"(id: brp
name: Basisregistratie Personen
owner: Team Burgerzaken
tier: 1
objectives: {rpo: 15m, rto: 4h, mtpd: 24h}
tests: {exercise_every: 365d}
review_every: 365d
contacts:
  - {role: owner, name: Anne de Vries, phone: "+31 6 1234 5678", email: anne@gemeente.example}
  - {role: crisis, name: Crisisteam, phone: "+31 20 555 0100"}
sources:
  recovery_point: [web-01/db-dump]
  integrity: [web-01/db-dump]
controls: [iso27001-2022:A.8.13, bio2:8.13.01]
)");
    WriteFileOrDie(dir_ / "plans/zaken.yaml", R"(id: zaken
name: Zaaksysteem
owner: Team Informatievoorziening
tier: 2
objectives: {rpo: 1h, rto: 8h}
sources: {recovery_point: [web-02/dump]}
)");
    // A process with no sources of its own: it recovers when the register and the case system do.
    WriteFileOrDie(dir_ / "plans/paspoort.yaml", R"(id: paspoort
name: Paspoorten uitgeven
owner: Team Burgerzaken
tier: 1
objectives: {rpo: 1h, rto: 3d}
depends_on: [brp, zaken]
)");
    for (const auto& [file, token] :
         {std::pair{"admin.token", "admin-secret-token"}, {"viewer.token", "viewer-secret-token-1"}}) {
      WriteFileOrDie(dir_ / file, token);
      ::chmod((dir_ / file).c_str(), 0600);
    }
    auto c = StartCollector(dir_.path(), dir_ / "plans",
                            "auth:\n  tokens:\n    - {file: admin.token, role: admin}\n"
                            "    - {file: viewer.token, role: viewer}\n",
                            port_);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
    WriteFileOrDie(dir_ / "agent.yaml",
                   absl::StrCat("agent: {id: web-01}\ncollector: {address: ", collector_.address(), R"(}
spool: {dir: spool}
checks:
  - {id: db-dump, kind: file_backup, interval: 1m, path: backups/*.dump, checksum: sidecar}
)"));
    RunResult once = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once"});
    ASSERT_EQ(once.exit_code, 0) << once.output;
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address(), "--token-file", dir_ / "admin.token"});
    return RunCommand(args);
  }

  std::string Url(const std::string& path) { return absl::StrCat("http://127.0.0.1:", collector_.metrics_port, path); }
  // A page as a viewer sees it, with the viewer's token as a bearer header.
  absl::StatusOr<std::string> ViewerGet(const std::string& path, int* status) {
    HttpOptions bearer;
    bearer.headers.push_back("Authorization: Bearer viewer-secret-token-1");
    return HttpGet(Url(path), status, bearer);
  }

  TempDir dir_;
  int port_ = FreePort();
  CollectorProcess collector_;
};

TEST_F(WebConsoleTest, EveryPageInBothLanguagesInARealBrowser) {
  ASSERT_TRUE(HaveProgram("chromium")) << "Debian's chromium is needed: scripts/packages.sh installs it";
  ASSERT_TRUE(HaveProgram("node")) << "node is needed: scripts/test.sh installs tests/js";
  // The plan has its result before the browser compares numbers.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ctl({"status", "--json"}).output.find("\"brp\"") != std::string::npos;
      },
      absl::Seconds(10)));
  RunResult status = Ctl({"status", "--json"});
  ASSERT_EQ(status.exit_code == 0 || status.exit_code == 1, true) << status.output;
  WriteFileOrDie(dir_ / "status.json", status.output.substr(status.output.find('{')));
  std::vector<std::string> cmd = {"node",
                                  std::string(PARAAT_SOURCE_DIR) + "/tests/js/console-test.js",
                                  Url(""),
                                  "admin-secret-token",
                                  "viewer-secret-token-1",
                                  dir_ / "status.json"};
  if (const char* shots = std::getenv("PARAAT_SCREENSHOTS")) cmd.push_back(shots);
  RunResult r = RunCommand(cmd, absl::Seconds(240));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("every check passed"));
  // What the browser recorded is in the auditor's export, with its author.
  RunResult e = Ctl({"evidence", "export", "--plan", "brp", "--since", "1d", "--format", "csv", "-o", "-"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  EXPECT_THAT(e.output, HasSubstr("Tabletop via the web console"));
  EXPECT_THAT(e.output, HasSubstr("reviewed_by=Anne de Vries"));
  EXPECT_THAT(e.output, HasSubstr("incident opened: Database server lost, restoring from the dump"));
  EXPECT_THAT(e.output, HasSubstr("incident closed: recovered in"));
}

TEST_F(WebConsoleTest, APlanPageShowsItsRecoveryChainInDutch) {
  int status = 0;
  auto page = ViewerGet("/plans/paspoort?lang=nl", &status);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*page, HasSubstr("id=\"recovery-chain\""));
  EXPECT_THAT(*page, HasSubstr("Hangt af van"));
  // Each dependency links to its plan, with the state it is in now.
  EXPECT_THAT(*page, HasSubstr("<a href=\"/plans/brp\">Basisregistratie Personen (brp)</a> <span "));
  EXPECT_THAT(*page, HasSubstr("<a href=\"/plans/zaken\">Zaaksysteem (zaken)</a>"));
  // Nothing of the chain restored yet: its recovery time is not measured, never a number.
  EXPECT_THAT(*page, HasSubstr("<dd data-field=\"effective_recovery\">niet gemeten</dd>"));
  // A plan without dependencies has no such section.
  page = ViewerGet("/plans/zaken?lang=nl", &status);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, ::testing::Not(HasSubstr("id=\"recovery-chain\"")));
}

TEST_F(WebConsoleTest, TheOverviewShowsHowStrongTheEvidenceIsInTheReadersLanguage) {
  int status = 0;
  auto nl = ViewerGet("/?lang=nl", &status);
  ASSERT_TRUE(nl.ok()) << nl.status();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*nl, HasSubstr("<th scope=\"col\">Zekerheid</th>"));
  // The process has no evidence of its own: both objectives are only declared.
  EXPECT_THAT(*nl, HasSubstr("<td data-field=\"assurance\">RPO opgegeven, RTO opgegeven</td>"));
  auto en = ViewerGet("/?lang=en", &status);
  ASSERT_TRUE(en.ok()) << en.status();
  EXPECT_THAT(*en, HasSubstr("<th scope=\"col\">Assurance</th>"));
  EXPECT_THAT(*en, HasSubstr("<td data-field=\"assurance\">RPO declared, RTO declared</td>"));
}

TEST_F(WebConsoleTest, SignedOutCallersAreSentToSignInAndTokensWorkAsHeaders) {
  int status = 0;
  auto page = HttpGet(Url("/agents"), &status);
  EXPECT_EQ(status, 303);
  page = ViewerGet("/agents", &status);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*page, HasSubstr("web-01"));
  // A viewer may not read the evidence.
  page = ViewerGet("/evidence", &status);
  EXPECT_EQ(status, 403);
  // /healthz and the style sheet need no one.
  EXPECT_TRUE(HttpGet(Url("/healthz"), &status).ok());
  EXPECT_EQ(status, 200);
}

// The plan page gives each reason in full in the reader's language: the evaluator's detail with
// its durations, not the English text of machine output.
TEST_F(WebConsoleTest, PlanPageGivesTheReasonsInFullInDutch) {
  int status = 0;
  HttpOptions nl;
  nl.headers.push_back("Authorization: Bearer viewer-secret-token-1");
  nl.headers.push_back("Accept-Language: nl-NL,nl;q=0.9,en;q=0.5");
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ctl({"status", "--json"}).output.find("rto_unevidenced") != std::string::npos;
      },
      absl::Seconds(10)));
  auto page = HttpGet(Url("/plans/brp"), &status, nl);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*page, HasSubstr("de RTO 4 u rust op geen enkel bewijs"));
  EXPECT_THAT(*page, ::testing::Not(HasSubstr("rests on no evidence")));
  page = HttpGet(Url("/"), &status, nl);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, HasSubstr("web-02/dump: nog geen uitslag ontvangen"));
  HttpOptions en = nl;
  en.headers.back() = "Accept-Language: en";
  page = HttpGet(Url("/plans/brp"), &status, en);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(*page, HasSubstr("the RTO 4 h rests on no evidence"));
}

}  // namespace
}  // namespace paraat::testing
