#include "report/report_html_living.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/html.h"
#include "common/plan_format.h"
#include "common/time_util.h"
#include "report/report_html_proofs.h"

namespace paraat {
namespace {

std::string E(const std::string& s) { return HtmlEscape(s); }

std::string Time(int64_t ns, const Localizer& l) { return l.DateTime(FromUnixNs(ns)); }

int64_t When(const paraat::v1::EvidenceRecord& r) {
  if (r.has_review()) return r.review().reviewed_unix_ns();
  const auto& i = r.incident();
  if (i.event() == "closed") return i.recovered_unix_ns();
  if (i.event() == "report") return i.reported_unix_ns();
  return i.started_unix_ns();
}

std::string Who(const paraat::v1::EvidenceRecord& r) {
  return r.has_review() ? r.review().reviewed_by() : r.incident().recorded_by();
}

// "NIS2 early warning" for early-warning (incident.report.early_warning).
std::string ReportName(const std::string& kind, const Localizer& l) {
  std::string key = "incident.report." + kind;
  for (char& c : key) c = c == '-' ? '_' : c;
  const std::string* t = l.Find(key);
  return t ? *t : kind;
}

// What a review or an incident record says, in `l`'s words.
std::string Summary(const paraat::v1::EvidenceRecord& r, const Localizer& l) {
  if (r.has_review()) {
    const auto& v = r.review();
    return l.F(v.trigger() == "incident" ? "report.summary.review_incident" : "report.summary.review",
               {{"by", v.reviewed_by()}, {"sha256", v.plan_sha256().substr(0, 12)}});
  }
  const auto& i = r.incident();
  if (i.event() == "opened") {
    return l.F(i.significant() ? "report.summary.opened_significant" : "report.summary.opened",
               {{"summary", i.summary()}});
  }
  if (i.event() == "closed") {
    const absl::Duration took = FromUnixNs(i.recovered_unix_ns()) - FromUnixNs(i.started_unix_ns());
    return l.F("report.summary.closed", {{"took", l.Duration(took)}, {"summary", i.summary()}});
  }
  return l.F("report.summary.report", {{"report", ReportName(i.report_kind(), l)}, {"summary", i.summary()}});
}

// "RTO 4 h passes in 3 h" / "RTO 4 u verstrijkt over 3 u".
std::string Limit(const char* name, absl::Duration limit, absl::Time started, absl::Time now, const Localizer& l) {
  const absl::Time at = started + limit;
  return l.F(at >= now ? "report.incident.limit.passes" : "report.incident.limit.passed",
             {{"name", name}, {"d", l.Duration(limit)}, {"when", l.Relative(at, now)}});
}

void RenderIncident(const PlanReport& p, absl::Time now, const Localizer& l, std::string& h) {
  const auto& s = p.status;
  const auto& i = s.incident();
  const absl::Time started = FromUnixNs(i.started_unix_ns());
  const absl::Duration rto = FromNs(s.rto_ns());
  std::string line;
  if (i.recovered_unix_ns()) {
    line = l.F("report.incident.closed", {{"when", Time(i.recovered_unix_ns(), l)},
                                          {"took", l.Duration(FromUnixNs(i.recovered_unix_ns()) - started)},
                                          {"rto", l.Duration(rto)}});
  } else {
    std::string limits = Limit("RTO", rto, started, now, l);
    if (s.mtpd_ns()) absl::StrAppend(&limits, ", ", Limit("MTPD", FromNs(s.mtpd_ns()), started, now, l));
    line = l.F("report.incident.open", {{"when", Time(i.started_unix_ns(), l)},
                                        {"elapsed", l.Duration(absl::Trunc(now - started, absl::Seconds(1)))},
                                        {"limits", limits}});
  }
  absl::StrAppend(&h, "<div class='box'><b>", E(l.T(i.significant() ? "report.incident.significant" : "plan.incident")),
                  "</b>: ", E(line), "<br>", E(i.summary()));
  if (i.deadlines_size() > 0) {
    h += "<ul>";
    for (const auto& d : i.deadlines()) {
      const absl::Time due = FromUnixNs(d.due_unix_ns());
      const char* key = d.done_unix_ns() ? "report.deadline.reported"
                        : due < now      ? "report.deadline.overdue"
                                         : "report.deadline.due";
      absl::StrAppend(&h, "<li>",
                      E(l.F(key, {{"report", ReportName(d.report(), l)},
                                  {"when", d.done_unix_ns() ? Time(d.done_unix_ns(), l) : ""},
                                  {"due", l.DateTime(due)},
                                  {"relative", l.Relative(due, now)}})),
                      "</li>");
    }
    h += "</ul>";
  }
  h += "</div>\n";
}

}  // namespace

void RenderLivingPlan(const PlanReport& p, const ReportModel& m, absl::Time now, const Localizer& l, std::string& h) {
  if (p.plan.contacts_size() > 0) {
    absl::StrAppend(&h, "<h3>", E(l.T("plan.contacts")), "</h3>\n<table><tr><th>", E(l.T("col.role")), "</th><th>",
                    E(l.T("report.col.name")), "</th><th>", E(l.T("report.col.phone")), "</th><th>",
                    E(l.T("report.col.email")), "</th></tr>\n");
    for (const auto& c : p.plan.contacts()) {
      absl::StrAppend(&h, "<tr><td>", E(c.role()), "</td><td>", E(c.name()), "</td><td>", E(c.phone()), "</td><td>",
                      E(c.email()), "</td></tr>\n");
    }
    h += "</table>\n";
  }
  if (p.status.has_incident()) RenderIncident(p, now, l, h);
  if (p.status.has_review()) {
    const auto& r = p.status.review();
    absl::StrAppend(&h, "<p>",
                    E(l.F("plan.review.last", {{"when", Time(r.reviewed_unix_ns(), l)}, {"by", r.reviewed_by()}})), " ",
                    E(l.T(r.plan_changed() ? "plan.review.changed" : "report.review.unchanged")), "</p>\n");
  }
  if (p.continuity.empty()) return;
  absl::StrAppend(&h, "<h3>", E(l.T("report.continuity")), "</h3>\n<table><tr><th>", E(l.T("col.when")), "</th><th>",
                  E(l.T("report.col.what")), "</th><th>", E(l.T("col.by")), "</th><th>", E(l.T("col.notes")),
                  "</th><th>", E(l.T("col.seq")), "</th></tr>\n");
  for (auto it = p.continuity.rbegin(); it != p.continuity.rend(); ++it) {
    const std::string notes = it->has_review() ? it->review().notes() : it->incident().notes();
    absl::StrAppend(&h, "<tr><td>", E(Time(When(*it), l)), "</td><td>", E(Summary(*it, l)), "</td><td>", E(Who(*it)),
                    "</td><td>", E(notes), "</td><td>", RecordLink(m, it->seq()), "</td></tr>\n");
  }
  h += "</table>\n";
}

}  // namespace paraat
