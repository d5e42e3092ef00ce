#include "common/incident_format.h"

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {
namespace {

// "in 2h" or "2h ago".
std::string Relative(absl::Time t, absl::Time now) {
  const absl::Duration d = absl::Trunc(t - now, absl::Seconds(1));
  return d >= absl::ZeroDuration() ? absl::StrCat("in ", HumanDuration(d)) : absl::StrCat(HumanDuration(-d), " ago");
}

std::string Limit(const char* name, absl::Duration limit, absl::Time started, absl::Time now) {
  const absl::Time at = started + limit;
  return absl::StrCat(name, " ", HumanDuration(limit), at >= now ? " passes " : " passed ", Relative(at, now));
}

}  // namespace

std::string ReportTitle(const std::string& kind) {
  if (kind == "early-warning") return "NIS2 early warning";
  if (kind == "notification") return "NIS2 incident notification";
  if (kind == "final") return "NIS2 final report";
  return kind;
}

std::string IncidentClockLine(const paraat::v1::PlanStatus& s, absl::Time now) {
  if (!s.has_incident()) return "";
  const auto& i = s.incident();
  const absl::Time started = FromUnixNs(i.started_unix_ns());
  const absl::Duration rto = FromNs(s.rto_ns());
  if (i.recovered_unix_ns()) {
    const absl::Duration took = FromUnixNs(i.recovered_unix_ns()) - started;
    return absl::StrCat("closed ", FormatUnixNs(i.recovered_unix_ns()), ": recovered in ", HumanDuration(took),
                        " (RTO ", HumanDuration(rto), ")");
  }
  const absl::Duration elapsed = absl::Trunc(now - started, absl::Seconds(1));
  std::string line = absl::StrCat("open since ", FormatUnixNs(i.started_unix_ns()), " (", HumanDuration(elapsed),
                                  " elapsed): ", Limit("RTO", rto, started, now));
  if (s.mtpd_ns()) absl::StrAppend(&line, ", ", Limit("MTPD", FromNs(s.mtpd_ns()), started, now));
  return line;
}

std::vector<std::string> IncidentDeadlineLines(const paraat::v1::PlanStatus& s, absl::Time now) {
  std::vector<std::string> out;
  if (!s.has_incident()) return out;
  for (const auto& d : s.incident().deadlines()) {
    const absl::Time due = FromUnixNs(d.due_unix_ns());
    if (d.done_unix_ns()) {
      out.push_back(absl::StrCat(ReportTitle(d.report()), ": reported ", FormatUnixNs(d.done_unix_ns()), " (due ",
                                 FormatTimeUtc(due), ")"));
    } else if (due < now) {
      out.push_back(
          absl::StrCat(ReportTitle(d.report()), ": OVERDUE since ", FormatTimeUtc(due), " (", Relative(due, now), ")"));
    } else {
      out.push_back(absl::StrCat(ReportTitle(d.report()), ": due ", FormatTimeUtc(due), " (", Relative(due, now), ")"));
    }
  }
  return out;
}

std::string NextReportDue(const paraat::v1::PlanStatus& s, absl::Time now) {
  if (!s.has_incident()) return "";
  for (const auto& d : s.incident().deadlines()) {
    if (d.done_unix_ns()) continue;
    return absl::StrCat(ReportTitle(d.report()), " due ", FormatUnixNs(d.due_unix_ns()), " (",
                        Relative(FromUnixNs(d.due_unix_ns()), now), ")");
  }
  return "";
}

}  // namespace paraat
