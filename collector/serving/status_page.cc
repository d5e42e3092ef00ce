#include "collector/serving/status_page.h"

#include "absl/strings/str_cat.h"
#include "collector/evaluation/plan_status.h"
#include "common/html.h"
#include "common/plan_format.h"
#include "common/time_util.h"
#include "common/version.h"

namespace paraat {

std::string RenderStatusPage(const EvaluationSnapshot& snapshot, absl::Time now) {
  std::string html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="15">
<title>Paraat — continuity readiness</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4em .6em;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f4f4f4}.state{font-weight:600;border-radius:4px;padding:.1em .5em;white-space:nowrap}
.ready{background:#d7f5dd;color:#14532d}.at_risk{background:#fff3c4;color:#713f12}
.unknown{background:#e5e7eb;color:#374151}.not_ready{background:#fde2e1;color:#7f1d1d}
ul{margin:0;padding-left:1.2em}small{color:#666}
</style></head><body>
<h1>Continuity readiness</h1>
)";
  absl::StrAppend(&html, "<p><small>Evaluated ", FormatTimeUtc(snapshot.at), " · Paraat ", PARAAT_VERSION,
                  " · refreshes every 15 s</small></p>\n");
  auto statuses = SortedStatuses(snapshot);
  if (statuses.empty()) {
    html += "<p>No plans loaded. Put plan files in the collector's <code>plans_dir</code>.</p>";
  } else {
    html +=
        "<table><tr><th>Plan</th><th>State</th><th>Achieved RPO / target</th><th>Last restore test / RTO</th>"
        "<th>Next test due</th><th>Reasons</th></tr>\n";
    for (const auto& s : statuses) {
      const std::string state = StateName(s.state());
      absl::StrAppend(&html, "<tr><td><b>", HtmlEscape(s.plan_id()), "</b><br><small>", HtmlEscape(s.name()),
                      s.owner().empty() ? "" : absl::StrCat(" · ", HtmlEscape(s.owner())), "</small></td>",
                      "<td><span class=\"state ", state, "\">", state, "</span></td><td>", HtmlEscape(RpoCell(s)),
                      "</td><td>", HtmlEscape(RestoreCell(s, now)), "</td><td>", HtmlEscape(NextDueCell(s, now)),
                      "</td><td>");
      if (s.reasons_size() == 0) {
        html += "all objectives met";
      } else {
        html += "<ul>";
        for (const auto& r : s.reasons()) absl::StrAppend(&html, "<li>", HtmlEscape(r.text()), "</li>");
        html += "</ul>";
      }
      html += "</td></tr>\n";
    }
    html += "</table>\n";
  }
  html += "<p><small>Metrics: <a href=\"/metrics\">/metrics</a></small></p></body></html>\n";
  return html;
}

}  // namespace paraat
