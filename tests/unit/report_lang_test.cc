// The HTML report and paraatctl's texts in Dutch and English: reasons in full from their
// details (common/detail.h), every word of the report from the catalogue.
#include "common/detail.h"
#include "common/plan_format.h"
#include "gmock/gmock.h"
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

}  // namespace
}  // namespace paraat
