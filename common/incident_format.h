// How an incident's clock reads, the same in `paraatctl status`, `plan show`, the web console
// and the reports: elapsed time against the RTO and MTPD, and the NIS2 reports with what is due
// next. Pure functions (the caller passes `now`); any thread.
#ifndef PARAAT_COMMON_INCIDENT_FORMAT_H_
#define PARAAT_COMMON_INCIDENT_FORMAT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

// "NIS2 early warning", "NIS2 incident notification", "NIS2 final report".
std::string ReportTitle(const std::string& report_kind);
// "open since 2026-12-02T03:00:00Z (2h elapsed): RTO 4h passes in 2h, MTPD 24h in 22h"; for an
// incident closed with reports due: "closed 2026-...: recovered in 3h (RTO 4h)".
std::string IncidentClockLine(const paraat::v1::PlanStatus& s, absl::Time now);
// One line per NIS2 report: "NIS2 early warning: due 2026-12-03T03:00:00Z (in 22h)",
// "...: reported 2026-...", "...: OVERDUE since 2026-... (1h ago)".
std::vector<std::string> IncidentDeadlineLines(const paraat::v1::PlanStatus& s, absl::Time now);
// "NIS2 early warning due 2026-12-03T03:00:00Z (in 22h)", "" when nothing is due.
std::string NextReportDue(const paraat::v1::PlanStatus& s, absl::Time now);

}  // namespace paraat

#endif  // PARAAT_COMMON_INCIDENT_FORMAT_H_
