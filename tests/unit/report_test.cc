// Report building: control findings, series thinning, OSCAL ids, CSV safety, self-contained HTML,
// tables agents' text cannot break, exports that keep the exact text.
#include <regex>
#include <sstream>

#include "ctl/table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report/export.h"
#include "report/report_html.h"
#include "report/report_model.h"
#include "report/report_oscal.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'800'000'000'000'000'000;

v1::ExportHeader Header(v1::PlanState state, std::vector<std::pair<std::string, std::string>> reasons) {
  v1::ExportHeader h;
  auto* p = h.add_plans();
  p->set_id("brp");
  p->set_name("BRP");
  p->set_rpo_ns(900'000'000'000);
  p->set_rto_ns(4 * 3600'000'000'000);
  p->set_restore_every_ns(90 * 86400'000'000'000);
  auto* s1 = p->add_sources();
  s1->set_role("recovery_point");
  s1->set_source("db/dump");
  auto* s2 = p->add_sources();
  s2->set_role("restore_test");
  s2->set_source("db/drill");
  for (const char* c : {"bio2:8.13.04", "iso27001-2022:A.8.13", "iso27001-2022:A.8.14", "acme:BC-1"})
    p->add_controls(c);
  auto* st = h.add_statuses();
  st->set_plan_id("brp");
  st->set_state(state);
  st->set_rpo_ns(p->rpo_ns());
  st->set_rto_ns(p->rto_ns());
  for (const auto& [code, source] : reasons) {
    auto* r = st->add_reasons();
    r->set_code(code);
    r->set_source(source);
    r->set_text(code + " text");
    r->set_implies(code == "restore_test_failed" ? v1::PLAN_STATE_NOT_READY : v1::PLAN_STATE_UNKNOWN);
  }
  h.set_generated_unix_ns(kT0 + 3600'000'000'000);
  h.mutable_verification()->set_ok(true);
  h.mutable_verification()->set_head_hash(std::string(32, '\x01'));
  return h;
}

v1::ExportedRecord ResultRecord(uint64_t seq, const std::string& check, int64_t t, bool ok, double restore = -1) {
  v1::ExportedRecord er;
  auto* r = er.mutable_record();
  r->set_seq(seq);
  r->set_recorded_unix_ns(t);
  auto* res = r->mutable_result();
  res->set_agent_id("db");
  auto* x = res->mutable_result();
  x->set_check_id(check);
  x->set_kind(check == "drill" ? "restore_test" : "file_backup");
  x->set_status(ok ? v1::CHECK_STATUS_OK : v1::CHECK_STATUS_FAILED);
  x->set_started_unix_ns(t);
  if (check == "dump") x->mutable_facts()->set_recovery_point_unix_ns(t - 60'000'000'000);
  if (restore >= 0) x->mutable_facts()->set_restore_duration_seconds(restore);
  er.add_plan_ids("brp");
  er.set_hash(std::string(32, '\x02'));
  return er;
}

const ControlFinding& FindingFor(const PlanReport& p, const std::string& id) {
  for (const auto& f : p.controls) {
    if (f.id == id) return f;
  }
  ADD_FAILURE() << "no finding for " << id;
  static ControlFinding none;
  return none;
}

TEST(ReportModel, ControlsAreSatisfiedByFittingEvidenceOnly) {
  ReportModel m;
  m.Header(Header(v1::PLAN_STATE_READY, {}));
  m.Record(ResultRecord(1, "dump", kT0, true));
  m.Record(ResultRecord(2, "drill", kT0 + 1, true, 1800));
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  const PlanReport& p = m.plans()[0];
  EXPECT_TRUE(FindingFor(p, "bio2:8.13.04").satisfied);
  EXPECT_TRUE(FindingFor(p, "iso27001-2022:A.8.13").satisfied);
  // Redundancy needs replication or failover evidence, which this plan does not have.
  const ControlFinding& redundancy = FindingFor(p, "iso27001-2022:A.8.14");
  EXPECT_FALSE(redundancy.satisfied);
  EXPECT_EQ(redundancy.reason, "other");
  EXPECT_THAT(redundancy.description, HasSubstr("No evidence source of this plan serves this control"));
  // A control outside the catalogue is judged on all the plan's evidence.
  EXPECT_TRUE(FindingFor(p, "acme:BC-1").satisfied);
  ASSERT_EQ(p.rpo.size(), 1u);
  EXPECT_DOUBLE_EQ(p.rpo[0].value, 60);
  ASSERT_EQ(p.restore_tests.size(), 1u);
  EXPECT_DOUBLE_EQ(p.restore_tests[0].duration_seconds, 1800);
}

TEST(ReportModel, AFailedRestoreTestFailsTheRestoreControls) {
  ReportModel m;
  m.Header(Header(v1::PLAN_STATE_NOT_READY, {{"restore_test_failed", "db/drill"}}));
  m.Record(ResultRecord(1, "drill", kT0, false, 100));
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  const PlanReport& p = m.plans()[0];
  EXPECT_FALSE(FindingFor(p, "bio2:8.13.04").satisfied);
  EXPECT_EQ(FindingFor(p, "bio2:8.13.04").reason, "fail");
  EXPECT_FALSE(FindingFor(p, "iso27001-2022:A.8.13").satisfied);  // backup control covers restore tests too
  EXPECT_FALSE(p.restore_tests[0].succeeded);
}

TEST(ReportModel, MissingEvidenceIsNotSatisfiedEither) {
  ReportModel m;
  m.Header(Header(v1::PLAN_STATE_UNKNOWN, {{"source_stale", "db/dump"}}));
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  const ControlFinding& f = FindingFor(m.plans()[0], "iso27001-2022:A.8.13");
  EXPECT_FALSE(f.satisfied);
  EXPECT_EQ(f.reason, "other");
  EXPECT_THAT(f.description, HasSubstr("evidence missing or stale"));
}

TEST(Thin, KeepsPeaks) {
  std::vector<SeriesPoint> pts;
  for (int i = 0; i < 10000; ++i) pts.push_back({i, i == 5000 ? 1e6 : static_cast<double>(i % 7)});
  auto thin = Thin(pts, 100);
  EXPECT_LE(thin.size(), 100u);
  EXPECT_TRUE(std::any_of(thin.begin(), thin.end(), [](const SeriesPoint& p) { return p.value == 1e6; }));
  EXPECT_TRUE(std::is_sorted(thin.begin(), thin.end(), [](auto& a, auto& b) { return a.t_ns < b.t_ns; }));
}

TEST(Oscal, UuidsAreVersion5AndDeterministic) {
  const std::regex v5("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  EXPECT_TRUE(std::regex_match(UuidV5("brp"), v5)) << UuidV5("brp");
  EXPECT_EQ(UuidV5("brp"), UuidV5("brp"));
  EXPECT_NE(UuidV5("brp"), UuidV5("zaak"));
}

TEST(Oscal, ControlIdsBecomeTokensAndFindingsCarryState) {
  ReportModel m;
  m.Header(Header(v1::PLAN_STATE_NOT_READY, {{"restore_test_failed", "db/drill"}}));
  m.Record(ResultRecord(1, "drill", kT0, false, 100));
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  auto doc = nlohmann::json::parse(RenderOscal(m));
  const auto& result = doc["assessment-results"]["results"][0];
  const auto& include = result["reviewed-controls"]["control-selections"][0]["include-controls"];
  EXPECT_EQ(include[0]["control-id"], "bio2_8.13.04");
  bool found = false;
  for (const auto& f : result["findings"]) {
    if (f["target"]["target-id"] == "bio2_8.13.04") {
      found = true;
      EXPECT_EQ(f["target"]["status"]["state"], "not-satisfied");
      EXPECT_FALSE(f["related-observations"].empty());
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(doc["assessment-results"]["metadata"]["oscal-version"], "1.1.3");
}

std::string Csv(absl::string_view value) {
  std::string out = "x,";
  AppendCsvField(&out, value);
  return out.substr(2);
}

TEST(Csv, QuotesAndDefusesFormulas) {
  EXPECT_EQ(Csv("plain"), "plain");
  EXPECT_EQ(Csv("a,b"), "\"a,b\"");
  EXPECT_EQ(Csv("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  // Every prefix a spreadsheet starts a formula with (OWASP CSV injection), whatever follows.
  EXPECT_EQ(Csv("-1+1+cmd|' /C calc'!A0"), "\"'-1+1+cmd|' /C calc'!A0\"");
  EXPECT_EQ(Csv("-12"), "\"'-12\"");
  EXPECT_EQ(Csv("+1"), "\"'+1\"");
  EXPECT_EQ(Csv("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(Csv("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(Csv("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(Csv("a-b=c"), "a-b=c");  // only the first character matters
  EXPECT_EQ(Csv(""), "");
}

TEST(TextTable, EveryCellIsOneLineWithItsControlsShown) {
  TextTable t({"SOURCE", "MESSAGE"});
  t.AddRow({"db-01/dump", "down\nok  FORGED\x1b[2J\tmore"});
  EXPECT_EQ(t.Render(), "SOURCE      MESSAGE\ndb-01/dump  down⏎ok  FORGED\\x1B[2J more\n");
}

TEST(JsonExport, KeepsTheExactTextAndTheRawBytesOfACutValue) {
  v1::ExportedRecord er;
  auto* res = er.mutable_record()->mutable_result()->mutable_result();
  res->set_check_id("dump");
  res->set_message("\x1b]0;title\x07 two\nlines");
  auto* d = res->add_details();
  d->set_key("file");
  d->set_value("caf\\xE9…");
  d->set_raw_value("caf\xe9");
  std::ostringstream out;
  auto sink = MakeExportSink("json", out);
  sink->Header(v1::ExportHeader());
  sink->Record(er);
  sink->Finish(absl::UnixEpoch(), absl::UnixEpoch());
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["records"][0]["message"], "\x1b]0;title\x07 two\nlines");
  EXPECT_EQ(j["records"][0]["details"]["file"], "caf\\xE9…");
  EXPECT_EQ(j["records"][0]["details_raw_hex"]["file"], "636166e9");
}

TEST(Html, IsSelfContained) {
  ReportModel m;
  m.Header(Header(v1::PLAN_STATE_READY, {}));
  m.Record(ResultRecord(1, "dump", kT0, true));
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  std::string html = RenderHtml(m);
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("Evidence chain verified"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("src=")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<link")));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("@import")));
}

TEST(Html, EscapesWhatPeopleTyped) {
  v1::ExportHeader h = Header(v1::PLAN_STATE_READY, {});
  h.mutable_plans(0)->set_name("<script>alert(1)</script>");
  ReportModel m;
  m.Header(h);
  m.Finish(absl::FromUnixNanos(kT0 - 1), absl::FromUnixNanos(kT0 + 10));
  std::string html = RenderHtml(m);
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;"));
}

}  // namespace
}  // namespace paraat
