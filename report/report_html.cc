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
#include "report/report_html_proofs.h"
#include "report/svg_chart.h"

namespace paraat {
namespace {

std::string E(const std::string& s) { return HtmlEscape(s); }
// A time in `l`'s language and zone, ISO 8601 for machines and on hover.
std::string T(int64_t ns, const Localizer& l) {
  if (ns <= 0) return "—";
  const absl::Time t = FromUnixNs(ns);
  return absl::StrCat("<time datetime='", E(l.Iso(t)), "' title='", E(l.Iso(t)), "'>", E(l.DateTime(t)), "</time>");
}
// The catalogue's text for `key` with the words, escaped.
std::string H(const Localizer& l, const char* key) { return E(l.T(key)); }
std::string Th(const Localizer& l, std::initializer_list<const char*> keys) {
  std::string h = "<tr>";
  for (const char* k : keys) absl::StrAppend(&h, "<th>", H(l, k), "</th>");
  return h + "</tr>\n";
}
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
code{font-size:.9em;word-break:break-all}pre.proof{white-space:pre-wrap;word-break:break-all;font-size:.75em}.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
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
  absl::StrAppend(&h, "<p class='assurance'>", E(l.F("report.assurance", {{"cell", AssuranceCell(st, l)}})), "</p>\n");

  absl::StrAppend(
      &h, "<div class='box'>",
      l.F("report.state",
          {{"state", absl::StrCat("<b>", E(l.T("report.state.word")), " ", E(StateWord(st.state(), l)), "</b>")},
           {"since", T(st.state_since_unix_ns(), l)},
           {"evaluated", T(st.evaluated_unix_ns(), l)}}));
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
  if (st.reasons_size() != 0 && !AcceptedNote(st, l).empty()) {
    absl::StrAppend(&h, "<p>", E(AcceptedNote(st, l)), "</p>");
  }
  if (st.depends_on_size() != 0 || st.has_own_recovery_seconds()) {
    auto secs = [&](bool has, double s) { return has ? l.Duration(absl::Seconds(s)) : l.T("report.unevidenced"); };
    absl::StrAppend(&h, "<p>",
                    E(l.F(st.depends_on_size() ? "report.recovery_time.chain" : "report.recovery_time",
                          {{"own", secs(st.has_own_recovery_seconds(), st.own_recovery_seconds())},
                           {"effective", secs(st.has_effective_recovery_seconds(), st.effective_recovery_seconds())},
                           {"deps", absl::StrJoin(st.depends_on(), ", ")},
                           {"path", absl::StrJoin(st.critical_path(), " → ")}})),
                    "</p>");
  }
  h += "</div>\n";
}

// `key`'s text for a word from the evidence (a check status, an exercise kind, a source role):
// the catalogue's label, or the word itself where it has none.
std::string Word(const Localizer& l, const std::string& prefix, const std::string& word) {
  const std::string* t = l.Find(prefix + word);
  return t ? *t : word;
}

// A control's finding in `l`'s words (ControlFinding::description is the English of the same).
std::string FindingText(const ControlFinding& f, const paraat::v1::PlanStatus& st, const Localizer& l) {
  if (f.evidence_kinds.empty()) return l.F("report.finding.no_source", {{"evidence", f.needs}});
  if (!f.failing.empty()) {
    std::vector<std::string> reasons;
    for (const auto& r : f.failing) reasons.push_back(ReasonPageText(r, l));
    return l.F(f.reason == "fail" ? "report.finding.fail" : "report.finding.missing",
               {{"reasons", absl::StrJoin(reasons, "; ")}});
  }
  std::vector<std::string> kinds;
  for (const std::string& k : f.evidence_kinds) kinds.push_back(Word(l, "report.evidence.", k));
  return l.F("report.finding.pass",
             {{"kinds", absl::StrJoin(kinds, ", ")},
              {"state", StateWord(st.state(), l)},
              {"when", st.evaluated_unix_ns() ? l.DateTime(FromUnixNs(st.evaluated_unix_ns())) : "—"}});
}

void RenderControls(const PlanReport& p, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("plan.controls")), "</h3>\n");
  if (p.controls.empty()) {
    absl::StrAppend(&h, "<p class='muted'>", E(l.T("plan.controls.none")), "</p>\n");
  } else {
    h += "<table>" + Th(l, {"report.col.control", "report.col.finding", "report.col.basis"});
    for (const ControlFinding& f : p.controls) {
      const std::string cls = f.satisfied ? "satisfied" : "not-satisfied";
      absl::StrAppend(&h, "<tr><td><b>", E(f.id), "</b><br><span class='muted'>", E(f.title), "</span></td><td>",
                      "<span class='state ", cls, "'>",
                      H(l, f.satisfied ? "report.finding.satisfied" : "report.finding.not_satisfied"),
                      "</span></td><td>", E(FindingText(f, p.status, l)), "</td></tr>\n");
    }
    h += "</table>\n";
  }
}

// The readiness timeline and the latest transitions.
void RenderReadiness(const PlanReport& p, const ReportModel& m, absl::Time now, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.readiness")), "</h3>\n");
  h += TimelineChart(Spans(p, m.since(), std::min(m.until(), now)), m.since(), m.until(), l);
  h += "<div class='legend muted'>";
  for (const auto& [state, color] :
       {std::pair{"ready", "#22c55e"}, {"at_risk", "#eab308"}, {"unknown", "#9ca3af"}, {"not_ready", "#dc2626"}}) {
    absl::StrAppend(&h, "<span style='background:", color, "'></span>", E(l.T(absl::StrCat("ctl.state.", state))));
  }
  h += "</div>\n";
  if (!p.transitions.empty()) {
    h += "<table>" + Th(l, {"col.when", "report.col.change", "col.reasons"});
    size_t shown = 0;
    for (auto it = p.transitions.rbegin(); it != p.transitions.rend() && shown < 20; ++it, ++shown) {
      std::vector<std::string> reasons;
      for (const auto& r : it->reasons) reasons.push_back(ReasonPageText(r, l));
      absl::StrAppend(
          &h, "<tr><td>", T(it->t_ns, l), "</td><td>",
          it->from == paraat::v1::PLAN_STATE_UNSPECIFIED ? E(l.T("report.new_plan")) : Badge(StateName(it->from), l),
          " → ", Badge(StateName(it->to), l), "</td><td>",
          E(reasons.empty() ? l.T("reasons.none") : absl::StrJoin(reasons, "; ")), "</td></tr>\n");
    }
    h += "</table>\n";
    if (p.transitions.size() > 20) {
      absl::StrAppend(&h, "<p class='muted'>",
                      E(l.F("report.transitions.more", {{"n", l.Integer(p.transitions.size())}})), "</p>\n");
    }
  }
}

// Achieved RPO against the RPO, restore test durations against the RTO.
void RenderCharts(const PlanReport& p, const ReportModel& m, const Localizer& l, std::string& h) {
  const auto& def = p.plan;
  absl::StrAppend(&h, "<h3>", E(l.T("report.chart.rpo")), "</h3>\n");
  ChartSeries rpo;
  rpo.points = p.rpo;
  h += DurationChart(rpo, m.since(), m.until(), def.rpo_ns() / 1e9, "RPO " + ShortDuration(FromNs(def.rpo_ns()), l),
                     l.T("report.chart.rpo.alt"), l);

  absl::StrAppend(&h, "<h3>", E(l.T("report.chart.restore")), "</h3>\n");
  ChartSeries rt;
  rt.line = false;
  for (const RestoreTestEntry& t : p.restore_tests) {
    if (t.duration_seconds < 0) continue;
    rt.points.push_back({t.t_ns, t.duration_seconds});
    rt.bad.push_back(!t.succeeded || t.duration_seconds > def.rto_ns() / 1e9);
  }
  h += DurationChart(rt, m.since(), m.until(), def.rto_ns() / 1e9, "RTO " + ShortDuration(FromNs(def.rto_ns()), l),
                     l.T("report.chart.restore.alt"), l);
}

// Restore tests and exercises, newest first, and when each test falls due.
void RenderTests(const PlanReport& p, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.tests")), "</h3>\n");
  auto outcome = [&](bool ok) {
    return absl::StrCat(ok ? "<td class='ok'>" : "<td class='bad'>", H(l, ok ? "report.passed" : "report.failed"),
                        "</td>");
  };
  if (p.restore_tests.empty() && p.exercises.empty()) {
    absl::StrAppend(&h, "<p class='muted'>", E(l.T("report.tests.none")), "</p>\n");
  } else {
    h += "<table>" + Th(l, {"col.when", "col.test", "col.passed", "col.duration", "report.col.details"});
    for (auto it = p.restore_tests.rbegin(); it != p.restore_tests.rend(); ++it) {
      if (it->source == "exercise") continue;  // listed with the exercises
      absl::StrAppend(&h, "<tr><td>", T(it->t_ns, l), "</td><td>",
                      E(l.F("report.test.restore", {{"source", it->source}})), "</td>", outcome(it->succeeded), "<td>",
                      E(l.Duration(absl::Seconds(it->duration_seconds))), "</td><td>", E(it->message), "</td></tr>\n");
    }
    for (auto it = p.exercises.rbegin(); it != p.exercises.rend(); ++it) {
      std::vector<std::string> details;
      if (!it->notes().empty()) details.push_back(it->notes());
      if (!it->recorded_by().empty()) details.push_back(l.F("report.recorded_by", {{"by", it->recorded_by()}}));
      if (!it->attachment_sha256().empty()) {
        details.push_back(
            l.F("report.attachment", {{"name", it->attachment_name()}, {"sha256", it->attachment_sha256()}}));
      }
      absl::StrAppend(&h, "<tr><td>", T(it->performed_unix_ns(), l), "</td><td>",
                      E(l.F("report.test.exercise", {{"kind", Word(l, "exercise.kind.", it->kind())}})), "</td>",
                      outcome(it->passed()), "<td>",
                      it->has_duration_seconds() ? E(l.Duration(absl::Seconds(it->duration_seconds()))) : "—",
                      "</td><td>", E(absl::StrJoin(details, " — ")), "</td></tr>\n");
    }
    h += "</table>\n";
  }
  std::vector<std::string> due;
  for (const auto& t : p.status.tests()) {
    const std::string test = Word(l, "ctl.testlabel.", t.test());
    due.push_back(t.last_unix_ns()
                      ? l.F("report.due", {{"test", test}, {"when", l.DateTime(FromUnixNs(t.due_unix_ns()))}})
                      : l.F("report.never_done", {{"test", test}}));
  }
  if (!due.empty()) absl::StrAppend(&h, "<p>", E(l.F("report.next", {{"list", absl::StrJoin(due, "; ")}})), "</p>\n");
}

// The agents' gaps and the plan's changes in the period.
void RenderGapsAndChanges(const PlanReport& p, const Localizer& l, std::string& h) {
  if (!p.gaps.empty()) {
    absl::StrAppend(&h, "<h3>", H(l, "report.gaps"), "</h3><ul>");
    for (const auto& g : p.gaps) {
      absl::StrAppend(&h, "<li>",
                      l.F("report.gap", {{"agent", E(g.agent_id())},
                                         {"n", l.Integer(g.gap().dropped_results())},
                                         {"from", T(g.gap().oldest_unix_ns(), l)},
                                         {"to", T(g.gap().newest_unix_ns(), l)},
                                         {"reason", E(g.gap().reason())}}),
                      "</li>");
    }
    h += "</ul>\n";
  }
  if (!p.plan_changes.empty()) {
    absl::StrAppend(&h, "<h3>", H(l, "report.plan_changes"), "</h3><ul>");
    for (size_t i = 0; i < p.plan_changes.size(); ++i) {
      const auto& c = p.plan_changes[i];
      absl::StrAppend(&h, "<li>",
                      l.F("report.plan_change", {{"when", T(p.plan_change_ns[i], l)},
                                                 {"change", E(c.change())},
                                                 {"file", E(c.file())},
                                                 {"sha256", absl::StrCat("<code>", E(c.sha256()), "</code>")}}),
                      "</li>");
    }
    h += "</ul>\n";
  }
}

// Each source's runs and latest result, the agents' gaps, the plan's changes.
void RenderSources(const PlanReport& p, const ReportModel& m, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h3>", E(l.T("report.sources")), "</h3>\n");
  h += "<table>" + Th(l, {"col.source", "col.role", "report.col.runs", "report.col.counts", "col.result_at"});
  for (const auto& [key, s] : p.sources) {
    std::vector<std::string> roles;
    for (const std::string& r : s.roles) roles.push_back(Word(l, "report.role.", r));
    absl::StrAppend(&h, "<tr><td><code>", E(key), "</code><br><span class='muted'>", E(s.kind), "</span></td><td>",
                    E(absl::StrJoin(roles, ", ")), "</td><td>", s.runs, "</td><td>", s.ok, " / ", s.warning, " / ",
                    s.failed ? absl::StrCat("<span class='bad'>", s.failed, "</span>") : "0", " / ", s.error,
                    "</td><td>");
    if (s.runs) {
      absl::StrAppend(&h, T(s.last.started_unix_ns(), l), ": ", E(Word(l, "status.", StatusWord(s.last.status()))),
                      " — ", E(s.last.message()), " <span class='muted'>(", E(l.T("report.proofs.col.record")), " ",
                      RecordLink(m, s.last_seq), ")</span>");
    } else {
      absl::StrAppend(&h, "<span class='bad'>", H(l, "report.no_results"), "</span>");
    }
    h += "</td></tr>\n";
  }
  h += "</table>\n";
  RenderGapsAndChanges(p, l, h);
  absl::StrAppend(&h, "<p class='muted'>",
                  E(p.records ? l.F("report.records.range", {{"n", l.Integer(p.records)},
                                                             {"first", absl::StrCat(p.first_seq)},
                                                             {"last", absl::StrCat(p.last_seq)}})
                              : l.F("report.records", {{"n", l.Integer(p.records)}})),
                  "</p>\n");
}

void RenderPlan(const PlanReport& p, const ReportModel& m, const Localizer& l, std::string& h) {
  const absl::Time now = FromUnixNs(m.header().generated_unix_ns());
  RenderPlanHead(p, now, l, h);
  RenderLivingPlan(p, m, now, l, h);
  RenderControls(p, l, h);
  RenderReadiness(p, m, now, l, h);
  RenderCharts(p, m, l, h);
  RenderTests(p, l, h);
  RenderSources(p, m, l, h);
}

// The chain verification and the signed checkpoint, at the top.
void RenderVerification(const paraat::v1::ExportHeader& hdr, const Localizer& l, std::string& h) {
  const auto& v = hdr.verification();
  if (v.ok()) {
    absl::StrAppend(&h, "<div class='box'><b class='ok'>", H(l, "report.verified"), "</b> ",
                    l.F("report.verified.detail", {{"n", l.Integer(v.records_checked())},
                                                   {"first", absl::StrCat(v.first_seq())},
                                                   {"last", absl::StrCat(v.last_seq())},
                                                   {"hash", absl::StrCat("<code>", Hex(v.head_hash()), "</code>")}}),
                    "</div>\n");
  } else {
    absl::StrAppend(&h, "<div class='box'><b class='bad'>",
                    E(l.F("report.broken", {{"seq", absl::StrCat(v.first_bad_seq())}})), "</b> ",
                    E(l.F("report.broken.detail", {{"problem", v.problem()}})), "</div>\n");
  }
  if (hdr.has_checkpoint()) {
    const auto& c = hdr.checkpoint();
    absl::StrAppend(&h, "<div class='box'><b>", H(l, "report.checkpoint"), "</b> (",
                    l.F("report.checkpoint.key", {{"key", absl::StrCat("<code>", E(c.key_id()), "</code>")}}), ", ",
                    H(l, c.timestamp_token().empty() ? "report.checkpoint.no_stamp" : "report.checkpoint.stamp"), "): ",
                    l.F("report.checkpoint.text",
                        {{"command", "<code>paraatctl evidence verify --export FILE --trust collector.pub</code>"}}),
                    " <a href='#proofs'>", H(l, "report.checkpoint.proofs"), "</a>", "<pre>", E(c.note()), "</pre>",
                    H(l, "report.checkpoint.signature"), " <code>", E(Base64Encode(c.signature())), "</code></div>\n");
  }
}

// One row a plan: its state, objectives against the evidence, the next test, its controls.
void RenderSummary(const ReportModel& m, const Localizer& l, std::string& h) {
  absl::StrAppend(&h, "<h2 style='page-break-before:avoid'>", E(l.T("report.summary")), "</h2>\n<table>",
                  Th(l, {"report.col.plan", "report.col.state", "report.rpo", "report.restore", "report.col.next",
                         "report.col.controls"}));
  const absl::Time now = FromUnixNs(m.header().generated_unix_ns());
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
}

}  // namespace

std::string RenderHtml(const ReportModel& m) { return RenderHtml(m, Localizer(Lang::kEn)); }

std::string RenderHtml(const ReportModel& m, const Localizer& l) {
  const auto& hdr = m.header();
  std::string h = absl::StrCat("<!DOCTYPE html>\n<html lang='", l.code(), "'><head><meta charset='utf-8'>\n<title>",
                               E(l.T("report.title")), "</title>\n<style>");
  h += kStyle;
  absl::StrAppend(&h, "</style></head><body>\n<h1>", E(l.T("report.h1")), "</h1>\n");
  absl::StrAppend(&h, "<p class='muted'>",
                  l.F("report.period", {{"since", T(absl::ToUnixNanos(m.since()), l)},
                                        {"until", T(absl::ToUnixNanos(m.until()), l)},
                                        {"generated", T(hdr.generated_unix_ns(), l)},
                                        {"version", PARAAT_VERSION},
                                        {"collector", E(hdr.collector_version())}}),
                  "</p>\n");
  RenderVerification(hdr, l, h);
  RenderSummary(m, l, h);
  for (const PlanReport& p : m.plans()) RenderPlan(p, m, l, h);
  RenderProofAppendix(m, l, h);
  absl::StrAppend(&h, "<h2>", H(l, "report.howto"), "</h2><p>",
                  l.F("report.howto.text", {{"verify", "<code>paraatctl evidence verify</code>"},
                                            {"export", "<code>paraatctl evidence export --format csv</code>"}}),
                  "</p>\n</body></html>\n");
  return h;
}

namespace {
class HtmlSink : public ExportSink {
 public:
  HtmlSink(std::ostream& out, Lang lang, absl::TimeZone zone) : out_(out), loc_(lang, zone) {}
  void Header(const paraat::v1::ExportHeader& h) override { model_.Header(h); }
  void Record(const paraat::v1::ExportedRecord& r) override { model_.Record(r); }
  void Finish(absl::Time since, absl::Time until) override {
    model_.Finish(since, until);
    out_ << RenderHtml(model_, loc_);
    out_.flush();
  }

 private:
  std::ostream& out_;
  const Localizer loc_;
  ReportModel model_;
};
}  // namespace

std::unique_ptr<ExportSink> MakeHtmlSink(std::ostream& out, Lang lang, absl::TimeZone zone) {
  return std::make_unique<HtmlSink>(out, lang, zone);
}

}  // namespace paraat
