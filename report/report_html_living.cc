#include "report/report_html_living.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/html.h"
#include "common/incident_format.h"
#include "common/time_util.h"
#include "report/export_continuity.h"
#include "report/report_html_proofs.h"

namespace paraat {
namespace {

std::string E(const std::string& s) { return HtmlEscape(s); }

std::string When(const paraat::v1::EvidenceRecord& r) {
  if (r.has_review()) return FormatUnixNs(r.review().reviewed_unix_ns());
  const auto& i = r.incident();
  if (i.event() == "closed") return FormatUnixNs(i.recovered_unix_ns());
  if (i.event() == "report") return FormatUnixNs(i.reported_unix_ns());
  return FormatUnixNs(i.started_unix_ns());
}

std::string Who(const paraat::v1::EvidenceRecord& r) {
  return r.has_review() ? r.review().reviewed_by() : r.incident().recorded_by();
}

}  // namespace

void RenderLivingPlan(const PlanReport& p, const ReportModel& m, absl::Time now, std::string& h) {
  if (p.plan.contacts_size() > 0) {
    h += "<h3>Whom to call</h3>\n<table><tr><th>Role</th><th>Name</th><th>Phone</th><th>E-mail</th></tr>\n";
    for (const auto& c : p.plan.contacts()) {
      absl::StrAppend(&h, "<tr><td>", E(c.role()), "</td><td>", E(c.name()), "</td><td>", E(c.phone()), "</td><td>",
                      E(c.email()), "</td></tr>\n");
    }
    h += "</table>\n";
  }
  if (p.status.has_incident()) {
    absl::StrAppend(&h, "<div class='box'><b>Incident", p.status.incident().significant() ? " (significant)" : "",
                    "</b>: ", E(IncidentClockLine(p.status, now)), "<br>", E(p.status.incident().summary()));
    const std::vector<std::string> lines = IncidentDeadlineLines(p.status, now);
    if (!lines.empty()) {
      h += "<ul>";
      for (const std::string& l : lines) absl::StrAppend(&h, "<li>", E(l), "</li>");
      h += "</ul>";
    }
    h += "</div>\n";
  }
  if (p.status.has_review()) {
    absl::StrAppend(&h, "<p>Last plan review ", E(FormatUnixNs(p.status.review().reviewed_unix_ns())), " by ",
                    E(p.status.review().reviewed_by()),
                    p.status.review().plan_changed() ? "; the plan file has changed since." : "; plan file unchanged.",
                    "</p>\n");
  }
  if (p.continuity.empty()) return;
  h += "<h3>Reviews, incidents and reports</h3>\n<table><tr><th>When</th><th>What</th><th>By</th><th>Notes</th>"
       "<th>Record</th></tr>\n";
  for (auto it = p.continuity.rbegin(); it != p.continuity.rend(); ++it) {
    const std::string notes = it->has_review() ? it->review().notes() : it->incident().notes();
    absl::StrAppend(&h, "<tr><td>", E(When(*it)), "</td><td>", E(ContinuitySummary(*it)), "</td><td>", E(Who(*it)),
                    "</td><td>", E(notes), "</td><td>", RecordLink(m, it->seq()), "</td></tr>\n");
  }
  h += "</table>\n";
}

}  // namespace paraat
