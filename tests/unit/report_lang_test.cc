// The HTML report and paraatctl's texts in Dutch and English: reasons in full from their
// details (common/detail.h), every word of the report from the catalogue.
#include <regex>
#include <set>

#include "common/detail.h"
#include "common/html.h"
#include "common/plan_format.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "report/report_html.h"
#include "report/report_model.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1'800'000'000'000'000'000;  // 2027-01-15T08:00:00Z

// rpo_breached, as the evaluator records it (its English text is MachineText of the detail).
v1::Reason RpoBreached() {
  Detail d{
      "reason.rpo_breached.detail",
      {DetailArg::Duration("achieved", absl::Minutes(90)), DetailArg::Duration("rpo", absl::Minutes(15)),
       DetailArg::Time("point", absl::FromUnixNanos(kT0) - absl::Minutes(90)), DetailArg::Text("from", "db/dump")}};
  v1::Reason r;
  r.set_code("rpo_breached");
  r.set_implies(v1::PLAN_STATE_NOT_READY);
  r.set_source("db/dump");
  r.set_text(MachineText(d));
  ToProto(d, r.mutable_detail());
  return r;
}

v1::ExportHeader Header() {
  v1::ExportHeader h;
  auto* p = h.add_plans();
  p->set_id("brp");
  p->set_name("BRP");
  p->set_rpo_ns(900'000'000'000);
  p->set_rto_ns(4 * 3600'000'000'000);
  auto* st = h.add_statuses();
  st->set_plan_id("brp");
  st->set_state(v1::PLAN_STATE_NOT_READY);
  st->set_rpo_ns(p->rpo_ns());
  st->set_rto_ns(p->rto_ns());
  *st->add_reasons() = RpoBreached();
  h.set_generated_unix_ns(kT0);
  h.mutable_verification()->set_ok(true);
  return h;
}

std::string Render(Lang lang) {
  ReportModel m;
  m.Header(Header());
  m.Finish(absl::FromUnixNanos(kT0) - absl::Hours(24), absl::FromUnixNanos(kT0));
  return RenderHtml(m, Localizer(lang, LoadZone("Europe/Amsterdam").value()));
}

TEST(ReasonText, DutchRendersTheDetailInTheZoneEnglishKeepsTheText) {
  const v1::Reason r = RpoBreached();
  const absl::TimeZone amsterdam = LoadZone("Europe/Amsterdam").value();
  // paraatctl status / plan show: compact durations; English is the evaluator's own text.
  EXPECT_EQ(ReasonText(r, Localizer(Lang::kNl, amsterdam)),
            "behaalde RPO 1u30m overschrijdt het doel 15m (nieuwste herstelpunt 15 jan 2027 07:30 van db/dump)");
  EXPECT_EQ(ReasonText(r, Localizer(Lang::kEn, amsterdam)),
            "achieved RPO 1h30m exceeds the target 15m (newest recovery point 2027-01-15T06:30:00Z from db/dump)");
  // Pages: durations spelled out, in English too.
  EXPECT_EQ(
      ReasonPageText(r, Localizer(Lang::kEn, amsterdam)),
      "achieved RPO 1 h 30 min exceeds the target 15 min (newest recovery point 15 Jan 2027, 07:30 from db/dump)");

  // A reason recorded before details: the catalogue's words for its code.
  v1::Reason old = r;
  old.clear_detail();
  EXPECT_EQ(ReasonText(old, Localizer(Lang::kNl)), "behaalde RPO overschrijdt het doel (db/dump)");
}

TEST(HtmlReport, DutchPlanShowsTheDutchDetailedReason) {
  const std::string nl = Render(Lang::kNl);
  EXPECT_THAT(nl, HasSubstr("behaalde RPO 1 u 30 min overschrijdt het doel 15 min (nieuwste herstelpunt 15 jan 2027 "
                            "07:30 van db/dump)"));
  EXPECT_THAT(nl, Not(HasSubstr("exceeds the target")));
  EXPECT_THAT(Render(Lang::kEn), HasSubstr("achieved RPO 1 h 30 min exceeds the target 15 min"));
}

TEST(HtmlReport, AssuranceInTheReadersLanguage) {
  // The status says nothing of assurance: both objectives are declared, the weakest level.
  EXPECT_THAT(Render(Lang::kNl), HasSubstr("Zekerheid (hoe sterk het bewijs is): RPO opgegeven, RTO opgegeven"));
  EXPECT_THAT(Render(Lang::kEn), HasSubstr("Assurance (how strong the evidence is): RPO declared, RTO declared"));
}

// A report with every section: controls, transitions, charts, tests and exercises, sources,
// gaps, plan changes, contacts, an incident with its NIS2 deadlines, a review, continuity
// records, the recovery chain and a signed checkpoint.
ReportModel FullModel() {
  v1::ExportHeader h = Header();
  auto* p = h.mutable_plans(0);
  auto* c = p->add_contacts();
  c->set_role("owner"), c->set_name("Anna"), c->set_phone("+31 20 123"), c->set_email("anna@example.org");
  p->add_controls("iso27001-2022:A.8.13");
  auto* s1 = p->add_sources();
  s1->set_role("recovery_point"), s1->set_source("db/dump");
  auto* s2 = p->add_sources();
  s2->set_role("restore_test"), s2->set_source("db/drill");
  auto* st = h.mutable_statuses(0);
  st->add_depends_on("ad"), st->add_critical_path("ad"), st->add_critical_path("brp");
  st->set_own_recovery_seconds(3600);
  (*st->mutable_accepted_unevidenced())["mtpd"] = "the board decided";
  auto* t = st->add_tests();
  t->set_test("restore"), t->set_last_unix_ns(kT0 - 86400'000'000'000), t->set_due_unix_ns(kT0 + 86400'000'000'000);
  st->add_tests()->set_test("exercise");
  auto* inc = st->mutable_incident();
  inc->set_started_unix_ns(kT0 - 7200'000'000'000), inc->set_summary("storage down"), inc->set_significant(true);
  auto* d1 = inc->add_deadlines();
  d1->set_report("early-warning"), d1->set_due_unix_ns(kT0 + 3600'000'000'000),
      d1->set_done_unix_ns(kT0 - 60'000'000'000);
  auto* d2 = inc->add_deadlines();
  d2->set_report("notification"), d2->set_due_unix_ns(kT0 - 1);
  auto* d3 = inc->add_deadlines();
  d3->set_report("final"), d3->set_due_unix_ns(kT0 + 30 * 86400'000'000'000);
  st->mutable_review()->set_reviewed_unix_ns(kT0 - 86400'000'000'000);
  st->mutable_review()->set_reviewed_by("Bert");
  h.mutable_verification()->set_records_checked(9);
  h.mutable_checkpoint()->set_key_id("k1");
  h.mutable_checkpoint()->set_note("note");
  ReportModel m;
  m.Header(h);
  const char* records[] = {
      R"(record { seq: 1 recorded_unix_ns: 1799990000000000000 result { agent_id: "db" result {
           check_id: "dump" kind: "file_backup" status: CHECK_STATUS_OK started_unix_ns: 1799990000000000000
           message: "ok" facts { recovery_point_unix_ns: 1799989000000000000 } } } } plan_ids: "brp")",
      R"(record { seq: 2 recorded_unix_ns: 1799991000000000000 result { agent_id: "db" result {
           check_id: "drill" kind: "restore_test" status: CHECK_STATUS_FAILED started_unix_ns: 1799991000000000000
           message: "restore failed" facts { restore_duration_seconds: 600 } } } } plan_ids: "brp")",
      R"(record { seq: 3 recorded_unix_ns: 1799992000000000000 transition { plan_id: "brp"
           from: PLAN_STATE_READY to: PLAN_STATE_NOT_READY } } plan_ids: "brp")",
      R"(record { seq: 4 recorded_unix_ns: 1799993000000000000 exercise { plan_id: "brp" kind: "tabletop"
           performed_unix_ns: 1799993000000000000 passed: true notes: "went well" recorded_by: "Anna"
           attachment_name: "minutes.pdf" attachment_sha256: "abcd" duration_seconds: 1800 } } plan_ids: "brp")",
      R"(record { seq: 5 recorded_unix_ns: 1799994000000000000 plan_change { plan_id: "brp" change: "changed"
           file: "plans/brp.yaml" sha256: "ef01" } } plan_ids: "brp")",
      R"(record { seq: 6 recorded_unix_ns: 1799995000000000000 gap { agent_id: "db" gap { dropped_results: 3
           oldest_unix_ns: 1799994000000000000 newest_unix_ns: 1799995000000000000 reason: "spool full" } } }
           plan_ids: "brp")",
      R"(record { seq: 7 recorded_unix_ns: 1799996000000000000 review { plan_id: "brp"
           reviewed_unix_ns: 1799996000000000000 reviewed_by: "Bert" plan_sha256: "0123456789abcdef" trigger: "incident" } }
           plan_ids: "brp")",
      R"(record { seq: 8 recorded_unix_ns: 1799997000000000000 incident { plan_id: "brp" event: "opened"
           started_unix_ns: 1799992800000000000 summary: "storage down" significant: true } } plan_ids: "brp")",
      R"(record { seq: 9 recorded_unix_ns: 1799998000000000000 incident { plan_id: "brp" event: "closed"
           started_unix_ns: 1799992800000000000 recovered_unix_ns: 1799998000000000000 summary: "storage down" } }
           plan_ids: "brp")",
  };
  for (const char* text : records) {
    v1::ExportedRecord r;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r)) << text;
    if (r.record().has_transition()) *r.mutable_record()->mutable_transition()->add_reasons() = RpoBreached();
    m.Record(r);
  }
  m.Finish(absl::FromUnixNanos(kT0) - absl::Hours(24), absl::FromUnixNanos(kT0));
  return m;
}

// The longest stretch of `text` between its {placeholders}: what any rendering of it shows.
std::string LongestLiteral(const std::string& text) {
  static const std::regex kPlaceholder("\\{[a-z_0-9]+\\}");
  std::string best;
  for (auto it = std::sregex_token_iterator(text.begin(), text.end(), kPlaceholder, -1);
       it != std::sregex_token_iterator(); ++it) {
    if (it->length() > static_cast<long>(best.size())) best = it->str();
  }
  return best;
}

TEST(HtmlReport, EveryWordOfTheDutchReportIsDutch) {
  const ReportModel m = FullModel();
  const absl::TimeZone amsterdam = LoadZone("Europe/Amsterdam").value();
  const std::string nl = RenderHtml(m, Localizer(Lang::kNl, amsterdam));
  const std::string en = RenderHtml(m, Localizer(Lang::kEn, amsterdam));
  for (const std::string* html : {&nl, &en}) EXPECT_THAT(*html, Not(HasSubstr("[["))) << "a key missing";

  // Each section is there, in Dutch (the English report has the same in English).
  for (const char* dutch :
       {"Wie te bellen", "Beoordelingen, incidenten en meldingen", "Bewijsketen gecontroleerd.",
        "Ondertekend controlepunt", "Gaten gemeld door agents", "Wijzigingen van het plan", "Hersteltijd: eigen 1 u",
        "tijdlijn van de gereedheid", "TE LAAT sinds", "Niet voldaan: behaalde RPO", "oefening: Tabletop",
        "hersteltest (db/drill)", "Zo controleert u dit rapport", "plan beoordeeld door Bert na een incident",
        "incident gesloten: hersteld in", "<th>Maatregel</th>", "niet voldaan",
        "MTPD aanvaard zonder bewijs: the board decided", "behaalde RPO 1 u 30 min"}) {
    EXPECT_THAT(nl, HasSubstr(dutch));
  }
  for (const char* english : {"Whom to call", "Reviews, incidents and reports", "Evidence chain verified.",
                              "readiness timeline", "OVERDUE since", "achieved RPO 1 h 30 min"}) {
    EXPECT_THAT(en, HasSubstr(english));
  }

  // No English text of the catalogue in the Dutch report: for each report or reason key whose
  // texts differ, the longest literal part of the English one does not appear.
  // What a reader sees: not the style sheet, nor the status words in classes.
  const std::string visible =
      std::regex_replace(std::regex_replace(nl, std::regex("<style>[^<]*</style>"), ""), std::regex("<[^>]*>"), " ");
  const Catalog& c = Catalog::Builtin();
  int checked = 0;
  for (const auto& [key, text] : c.Entries(Lang::kEn)) {
    if (key.rfind("report.", 0) != 0 && key.rfind("reason.", 0) != 0 && key.rfind("accepted.", 0) != 0) continue;
    const std::string* dutch = c.Find(Lang::kNl, key);
    ASSERT_NE(dutch, nullptr) << key;
    const std::string literal = LongestLiteral(text);
    if (literal.size() < 8 || dutch->find(literal) != std::string::npos) continue;  // "E-mail", "RTO {rto}"
    ++checked;
    EXPECT_THAT(visible, Not(HasSubstr(HtmlEscape(literal)))) << key << ": \"" << literal << "\"";
  }
  EXPECT_GT(checked, 150);
}

}  // namespace
}  // namespace paraat
