#include "report/report_html.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/base64.h"
#include "common/html.h"
#include "common/plan_format.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "common/units.h"
#include "common/version.h"
#include "report/report_html_living.h"
#include "report/svg_chart.h"

namespace paraat {
namespace {

std::string E(const std::string& s) { return HtmlEscape(s); }
std::string T(int64_t ns) { return ns > 0 ? E(FormatUnixNs(ns)) : "—"; }
std::string Hex(const std::string& bytes) {
  return ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}
// The state's class stays the status word; its text is the reader's language.
std::string Badge(const std::string& state, const Localizer& l) {
  return absl::StrCat("<span class='state ", state, "'>", E(l.T("ctl.state." + state)), "</span>");
}

constexpr char kStyle[] = R"(
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:60em;color:#1f2937;line-height:1.45}
h1{margin-bottom:.2em}h2{margin-top:2.2em;border-bottom:2px solid #e5e7eb;padding-bottom:.2em}h3{margin:1.4em 0 .4em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #e5e7eb;vertical-align:top;font-size:.92em}
th{background:#f9fafb}.state{font-weight:600;border-radius:4px;padding:.05em .45em;white-space:nowrap}
.ready,.satisfied{background:#dcfce7;color:#14532d}.at_risk{background:#fef9c3;color:#713f12}
.unknown{background:#e5e7eb;color:#374151}.not_ready,.not-satisfied{background:#fee2e2;color:#7f1d1d}
.ok{color:#14532d}.bad{color:#b91c1c;font-weight:600}.muted{color:#6b7280}.box{border:1px solid #e5e7eb;border-radius:6px;padding:.8em 1em;margin:1em 0}
code{font-size:.9em;word-break:break-all}.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
@media print{h2{page-break-before:always}}
)";

std::vector<StateSpan> Spans(const PlanReport& p, absl::Time from, absl::Time to) {
  std::vector<StateSpan> spans;
  std::string state = p.transitions.empty() ? StateName(p.status.state()) : StateName(p.transitions.front().from);
  if (state == "unspecified") state = "unknown";
  absl::Time start = from;
  for (const TransitionEntry& t : p.transitions) {
    absl::Time at = FromUnixNs(t.t_ns);
    if (at > start) spans.push_back({start, at, state});
    start = std::max(start, at);
    state = StateName(t.to);
  }
  if (to > start) spans.push_back({start, to, state});
  return spans;
}

// The plan's heading, objectives and cadence, and its state with the reasons.
void RenderPlanHead(const PlanReport& p, absl::Time now, const Localizer& l, std::string& h) {
  const auto& def = p.plan;
  const auto& st = p.status;
  absl::StrAppend(&h, "<h2 id='plan-", E(def.id()), "'>", E(def.id()), " — ", E(def.name()), " ",
                  Badge(StateName(st.state()), l), "</h2>\n");
  auto dur = [&](int64_t ns) { return ShortDuration(FromNs(ns), l); };
  absl::StrAppend(&h, "<table><tr><th>", E(l.T("report.owner")), "</th><td>",
                  E(def.owner().empty() ? "—" : def.owner()), "</td><th>", E(l.T("report.tier")), "</th><td>",
                  def.tier() ? absl::StrCat(def.tier()) : "—", "</td></tr>", "<tr><th>", E(l.T("report.objectives")),
                  "</th><td>RPO ", E(dur(def.rpo_ns())), ", RTO ", E(dur(def.rto_ns())),
                  def.mtpd_ns() ? absl::StrCat(", MTPD ", E(dur(def.mtpd_ns()))) : "", "</td><th>",
                  E(l.T("report.cadence")), "</th><td>");
  std::vector<std::string> cadence;
  if (def.restore_every_ns()) cadence.push_back(l.F("ctl.show.every.restore", {{"d", dur(def.restore_every_ns())}}));
  if (def.failover_every_ns()) {
    cadence.push_back(l.F("ctl.show.every.failover", {{"d", dur(def.failover_every_ns())}}));
  }
  if (def.exercise_every_ns()) {
    cadence.push_back(l.F("ctl.show.every.exercise", {{"d", dur(def.exercise_every_ns())}}));
  }
  absl::StrAppend(&h, E(cadence.empty() ? l.T("report.cadence.none") : absl::StrJoin(cadence, ", ")), "</td></tr>",
                  "<tr><th>", E(l.T("report.rpo")), "</th><td>", E(RpoCell(st, l)), "</td><th>",
                  E(l.T("report.restore")), "</th><td>", E(RestoreCell(st, now, l)), "</td></tr></table>\n");
  if (!def.description().empty()) absl::StrAppend(&h, "<p>", E(def.description()), "</p>\n");

  absl::StrAppend(
      &h, "<div class='box'>",
      l.F("report.state",
          {{"state", absl::StrCat("<b>", E(l.T("report.state.word")), " ", E(StateWord(st.state(), l)), "</b>")},
           {"since", T(st.state_since_unix_ns())},
           {"evaluated", T(st.evaluated_unix_ns())}}));
  if (st.reasons_size() == 0) {
    absl::StrAppend(&h, ": ", E(MainReason(st, l)), ".");
  } else {
    h += "<ul>";
    for (const auto& r : st.reasons()) {
      absl::StrAppend(&h, "<li>", Badge(StateName(r.implies()), l), " ", E(ReasonPageText(r, l)),
                      " <span class='muted'>(", E(r.code()), ")</span></li>");
    }
    h += "</ul>";
  }
  if (st.reasons_size() != 0 && !AcceptedNote(st).empty()) absl::StrAppend(&h, "<p>", E(AcceptedNote(st)), "</p>");
  if (st.depends_on_size() != 0 || st.has_own_recovery_seconds()) {
    auto secs = [](bool has, double s) { return has ? HumanDuration(absl::Seconds(s)) : std::string("unevidenced"); };
    absl::StrAppend(&h, "<p>Recovery time: own ", E(secs(st.has_own_recovery_seconds(), st.own_recovery_seconds())),
                    ", effective ", E(secs(st.has_effective_recovery_seconds(), st.effective_recovery_seconds())),
                    st.depends_on_size() ? absl::StrCat("; depends on ", E(absl::StrJoin(st.depends_on(), ", ")),
                                                        ", critical path ", E(absl::StrJoin(st.critical_path(), " → ")))
                                         : "",
                    "</p>");
  }
  h += "</div>\n";
}

void RenderControls(const PlanReport& p, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("plan.controls")), "</h3>\n");
  if (p.controls.empty()) {
    absl::StrAppend(&h, "<p class='muted'>", E(l.T("plan.controls.none")), "</p>\n");
  } else {
    h += "<table><tr><th>Control</th><th>Finding</th><th>Basis</th></tr>\n";
    for (const ControlFinding& f : p.controls) {
      const std::string cls = f.satisfied ? "satisfied" : "not-satisfied";
      absl::StrAppend(&h, "<tr><td><b>", E(f.id), "</b><br><span class='muted'>", E(f.title), "</span></td><td>",
                      "<span class='state ", cls, "'>", cls, "</span></td><td>", E(f.description), "</td></tr>\n");
    }
    h += "</table>\n";
  }
}

// The readiness timeline and the latest transitions.
void RenderReadiness(const PlanReport& p, const ReportModel& m, absl::Time now, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.readiness")), "</h3>\n");
  h += TimelineChart(Spans(p, m.since(), std::min(m.until(), now)), m.since(), m.until());
  h +=
      "<div class='legend muted'><span style='background:#22c55e'></span>ready<span style='background:#eab308'></span>"
      "at risk<span style='background:#9ca3af'></span>unknown<span style='background:#dc2626'></span>not ready</div>\n";
  if (!p.transitions.empty()) {
    h += "<table><tr><th>When</th><th>Change</th><th>Reasons</th></tr>\n";
    size_t shown = 0;
    for (auto it = p.transitions.rbegin(); it != p.transitions.rend() && shown < 20; ++it, ++shown) {
      absl::StrAppend(
          &h, "<tr><td>", T(it->t_ns), "</td><td>",
          it->from == paraat::v1::PLAN_STATE_UNSPECIFIED ? E(l.T("report.new_plan")) : Badge(StateName(it->from), l),
          " → ", Badge(StateName(it->to), l), "</td><td>",
          E(it->reasons.empty() ? l.T("reasons.none") : absl::StrJoin(it->reasons, "; ")), "</td></tr>\n");
    }
    h += "</table>\n";
    if (p.transitions.size() > 20) {
      absl::StrAppend(&h, "<p class='muted'>Latest 20 of ", p.transitions.size(), " transitions shown.</p>\n");
    }
  }
}

// Achieved RPO against the RPO, restore test durations against the RTO.
void RenderCharts(const PlanReport& p, const ReportModel& m, const Localizer& l, std::string& h) {
  const auto& def = p.plan;
  absl::StrAppend(&h, "<h3>", E(l.T("report.chart.rpo")), "</h3>\n");
  ChartSeries rpo;
  rpo.points = p.rpo;
  h += DurationChart(rpo, m.since(), m.until(), def.rpo_ns() / 1e9, "RPO " + HumanDuration(FromNs(def.rpo_ns())),
                     "achieved RPO over time");

  absl::StrAppend(&h, "<h3>", E(l.T("report.chart.restore")), "</h3>\n");
  ChartSeries rt;
  rt.line = false;
  for (const RestoreTestEntry& t : p.restore_tests) {
    if (t.duration_seconds < 0) continue;
    rt.points.push_back({t.t_ns, t.duration_seconds});
    rt.bad.push_back(!t.succeeded || t.duration_seconds > def.rto_ns() / 1e9);
  }
  h += DurationChart(rt, m.since(), m.until(), def.rto_ns() / 1e9, "RTO " + HumanDuration(FromNs(def.rto_ns())),
                     "restore test durations");
}

// Restore tests and exercises, newest first, and when each test falls due.
void RenderTests(const PlanReport& p, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.tests")), "</h3>\n");
  if (p.restore_tests.empty() && p.exercises.empty()) {
    absl::StrAppend(&h, "<p class='muted'>", E(l.T("report.tests.none")), "</p>\n");
  } else {
    h += "<table><tr><th>When</th><th>Test</th><th>Outcome</th><th>Duration</th><th>Details</th></tr>\n";
    for (auto it = p.restore_tests.rbegin(); it != p.restore_tests.rend(); ++it) {
      if (it->source == "exercise") continue;  // listed with the exercises
      absl::StrAppend(&h, "<tr><td>", T(it->t_ns), "</td><td>restore test (", E(it->source), ")</td><td class='",
                      it->succeeded ? "ok'>passed" : "bad'>failed", "</td><td>",
                      E(HumanDuration(absl::Seconds(it->duration_seconds))), "</td><td>", E(it->message),
                      "</td></tr>\n");
    }
    for (auto it = p.exercises.rbegin(); it != p.exercises.rend(); ++it) {
      std::string details = it->notes();
      if (!it->recorded_by().empty())
        details += (details.empty() ? "" : " — ") + std::string("recorded by ") + it->recorded_by();
      if (!it->attachment_sha256().empty()) {
        details += absl::StrCat(" — attachment ", it->attachment_name(), " (sha256 ", it->attachment_sha256(), ")");
      }
      absl::StrAppend(&h, "<tr><td>", T(it->performed_unix_ns()), "</td><td>", E(it->kind()),
                      " exercise</td><td class='", it->passed() ? "ok'>passed" : "bad'>failed", "</td><td>",
                      it->has_duration_seconds() ? E(HumanDuration(absl::Seconds(it->duration_seconds()))) : "—",
                      "</td><td>", E(details), "</td></tr>\n");
    }
    h += "</table>\n";
  }
  std::vector<std::string> due;
  for (const auto& t : p.status.tests()) {
    due.push_back(t.last_unix_ns() ? absl::StrCat(t.test(), " due ", FormatUnixNs(t.due_unix_ns()))
                                   : absl::StrCat(t.test(), ": never done"));
  }
  if (!due.empty()) absl::StrAppend(&h, "<p>Next: ", E(absl::StrJoin(due, "; ")), ".</p>\n");
}

// Each source's runs and latest result, the agents' gaps, the plan's changes.
void RenderSources(const PlanReport& p, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.sources")), "</h3>\n");
  h += "<table><tr><th>Source</th><th>Role</th><th>Runs</th><th>ok / warn / failed / "
       "error</th><th>Latest result</th></tr>\n";
  for (const auto& [key, s] : p.sources) {
    absl::StrAppend(&h, "<tr><td><code>", E(key), "</code><br><span class='muted'>", E(s.kind), "</span></td><td>",
                    E(absl::StrJoin(s.roles, ", ")), "</td><td>", s.runs, "</td><td>", s.ok, " / ", s.warning, " / ",
                    s.failed ? absl::StrCat("<span class='bad'>", s.failed, "</span>") : "0", " / ", s.error,
                    "</td><td>");
    if (s.runs) {
      absl::StrAppend(&h, T(s.last.started_unix_ns()), ": ", E(StatusWord(s.last.status())), " — ",
                      E(s.last.message()));
    } else {
      h += "<span class='bad'>no results in this period</span>";
    }
    h += "</td></tr>\n";
  }
  h += "</table>\n";
  if (!p.gaps.empty()) {
    h += "<h3>Gaps reported by agents</h3><ul>";
    for (const auto& g : p.gaps) {
      absl::StrAppend(&h, "<li>", E(g.agent_id()), ": ", g.gap().dropped_results(), " results from ",
                      T(g.gap().oldest_unix_ns()), " to ", T(g.gap().newest_unix_ns()), " dropped (",
                      E(g.gap().reason()), ")</li>");
    }
    h += "</ul>\n";
  }
  if (!p.plan_changes.empty()) {
    h += "<h3>Plan changes</h3><ul>";
    for (size_t i = 0; i < p.plan_changes.size(); ++i) {
      const auto& c = p.plan_changes[i];
      absl::StrAppend(&h, "<li>", T(p.plan_change_ns[i]), ": ", E(c.change()), " (", E(c.file()), ", sha256 <code>",
                      E(c.sha256()), "</code>)</li>");
    }
    h += "</ul>\n";
  }
  absl::StrAppend(&h, "<p class='muted'>", p.records, " evidence records for this plan in the period",
                  p.records ? absl::StrCat(" (", p.first_seq, " to ", p.last_seq, ")") : "", ".</p>\n");
}

void RenderPlan(const PlanReport& p, const ReportModel& m, const Localizer& l, std::string& h) {
  const absl::Time now = FromUnixNs(m.header().generated_unix_ns());
  RenderPlanHead(p, now, l, h);
  RenderLivingPlan(p, now, h);
  RenderControls(p, l, h);
  RenderReadiness(p, m, now, l, h);
  RenderCharts(p, m, l, h);
  RenderTests(p, l, h);
  RenderSources(p, l, h);
}

}  // namespace

std::string RenderHtml(const ReportModel& m) { return RenderHtml(m, Localizer(Lang::kEn)); }

std::string RenderHtml(const ReportModel& m, const Localizer& l) {
  const auto& hdr = m.header();
  const auto& v = hdr.verification();
  std::string h = absl::StrCat("<!DOCTYPE html>\n<html lang='", l.code(), "'><head><meta charset='utf-8'>\n<title>",
                               E(l.T("report.title")), "</title>\n<style>");
  h += kStyle;
  absl::StrAppend(&h, "</style></head><body>\n<h1>", E(l.T("report.h1")), "</h1>\n");
  absl::StrAppend(&h, "<p class='muted'>",
                  l.F("report.period", {{"since", E(FormatTimeUtc(m.since()))},
                                        {"until", E(FormatTimeUtc(m.until()))},
                                        {"generated", T(hdr.generated_unix_ns())},
                                        {"version", PARAAT_VERSION},
                                        {"collector", E(hdr.collector_version())}}),
                  "</p>\n");
  if (v.ok()) {
    absl::StrAppend(
        &h, "<div class='box'><b class='ok'>Evidence chain verified.</b> ", v.records_checked(), " records (",
        v.first_seq(), " to ", v.last_seq(), ") recomputed without a break; chain head SHA-256 <code>",
        Hex(v.head_hash()),
        "</code>. Any edit, deletion or reordering of a stored record would have broken the chain.</div>\n");
  } else {
    absl::StrAppend(&h, "<div class='box'><b class='bad'>Evidence chain BROKEN at record ", v.first_bad_seq(), ":</b> ",
                    E(v.problem()), " — records from there on cannot be relied upon.</div>\n");
  }
  if (hdr.has_checkpoint()) {
    const auto& c = hdr.checkpoint();
    absl::StrAppend(&h, "<div class='box'><b>Signed checkpoint</b> (key id <code>", E(c.key_id()), "</code>",
                    c.timestamp_token().empty() ? ", no time stamp yet" : ", with an RFC 3161 time stamp",
                    "): every record of this export is in the evidence log it signs. Verify the JSON or CSV "
                    "export of the same period with <code>paraatctl evidence verify --export FILE --trust "
                    "collector.pub</code>.<pre>",
                    E(c.note()), "</pre>Signature (Ed25519, base64): <code>", E(Base64Encode(c.signature())),
                    "</code></div>\n");
  }
  absl::StrAppend(&h, "<h2 style='page-break-before:avoid'>", E(l.T("report.summary")), "</h2>\n<table><tr>");
  for (const char* col : {"report.col.plan", "report.col.state", "report.rpo", "report.restore", "report.col.next",
                          "report.col.controls"}) {
    absl::StrAppend(&h, "<th>", E(l.T(col)), "</th>");
  }
  h += "</tr>\n";
  const absl::Time now = FromUnixNs(hdr.generated_unix_ns());
  for (const PlanReport& p : m.plans()) {
    int sat = 0;
    for (const auto& c : p.controls) sat += c.satisfied;
    absl::StrAppend(&h, "<tr><td><a href='#plan-", E(p.plan.id()), "'>", E(p.plan.id()), "</a> ", E(p.plan.name()),
                    "</td><td>", Badge(StateName(p.status.state()), l), "</td><td>", E(RpoCell(p.status, l)),
                    "</td><td>", E(RestoreCell(p.status, now, l)), "</td><td>", E(NextDueCell(p.status, now, l)),
                    "</td><td>", E(l.F("value.of", {{"a", absl::StrCat(sat)}, {"b", absl::StrCat(p.controls.size())}})),
                    "</td></tr>\n");
  }
  h += "</table>\n";
  for (const PlanReport& p : m.plans()) RenderPlan(p, m, l, h);
  h += "<h2>How to check this report</h2><p>Every number above comes from records in the Paraat evidence store, each "
       "chained to the one before by SHA-256. <code>paraatctl evidence verify</code> recomputes the whole chain; "
       "<code>paraatctl evidence export --format csv</code> lists every record with its hash.</p>\n</body></html>\n";
  return h;
}

namespace {
class HtmlSink : public ExportSink {
 public:
  HtmlSink(std::ostream& out, Lang lang) : out_(out), lang_(lang) {}
  void Header(const paraat::v1::ExportHeader& h) override { model_.Header(h); }
  void Record(const paraat::v1::ExportedRecord& r) override { model_.Record(r); }
  void Finish(absl::Time since, absl::Time until) override {
    model_.Finish(since, until);
    out_ << RenderHtml(model_, Localizer(lang_));
    out_.flush();
  }

 private:
  std::ostream& out_;
  const Lang lang_;
  ReportModel model_;
};
}  // namespace

std::unique_ptr<ExportSink> MakeHtmlSink(std::ostream& out, Lang lang) { return std::make_unique<HtmlSink>(out, lang); }

}  // namespace paraat
