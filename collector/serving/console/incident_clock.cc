// A plan's incident clock in the reader's language: the same facts as common/incident_format.h
// (paraatctl's English lines), as parts the overview's table and the plan page lay out.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "collector/serving/console/console.h"
#include "common/time_util.h"

namespace paraat::console {
namespace {

std::string ReportLabel(const Localizer& loc, const std::string& kind) {
  return loc.T(absl::StrCat("incident.report.", absl::StrReplaceAll(kind, {{"-", "_"}})));
}

// "RTO 4 h passes in 2 h" / "RTO 4 u verstreken, 1 u geleden".
std::string LimitText(const Localizer& loc, const char* name, absl::Duration limit, absl::Time started, absl::Time now,
                      bool* passed) {
  const absl::Time at = started + limit;
  *passed = at < now;
  return loc.F(*passed ? "clock.passed" : "clock.passes",
               {{"name", name}, {"limit", loc.Duration(limit)}, {"when", loc.Relative(at, now)}});
}

}  // namespace

Data IncidentClockData(const Localizer& loc, const paraat::v1::PlanStatus& s, absl::Time now) {
  Data d;
  if (!s.has_incident()) return d;
  const auto& i = s.incident();
  const absl::Time started = FromUnixNs(i.started_unix_ns());
  const absl::Duration rto = absl::Nanoseconds(s.rto_ns());
  d.set("significant", i.significant());
  SetText(&d, "summary", i.summary());
  d.set("started", TimeData(loc, started));
  if (i.recovered_unix_ns()) {
    const absl::Time recovered = FromUnixNs(i.recovered_unix_ns());
    d.set("open", false);
    d.set("line", loc.F("clock.closed", {{"at", loc.DateTime(recovered)},
                                         {"took", loc.Duration(recovered - started)},
                                         {"rto", loc.Duration(rto)}}));
  } else {
    const absl::Duration elapsed = absl::Trunc(now - started, absl::Seconds(1));
    d.set("open", true);
    d.set("elapsed", loc.Duration(elapsed));
    d.set("line", loc.F("clock.open", {{"since", loc.DateTime(started)}, {"elapsed", loc.Duration(elapsed)}}));
    bool passed = false;
    d.set("rto", LimitText(loc, "RTO", rto, started, now, &passed));
    d.set("rto_passed", passed);
    if (s.mtpd_ns()) {
      d.set("mtpd", LimitText(loc, "MTPD", absl::Nanoseconds(s.mtpd_ns()), started, now, &passed));
      d.set("mtpd_passed", passed);
    }
  }
  List deadlines;
  bool have_next = false;
  for (const auto& dl : i.deadlines()) {
    const absl::Time due = FromUnixNs(dl.due_unix_ns());
    const std::string report = ReportLabel(loc, dl.report());
    if (dl.done_unix_ns()) {
      deadlines.push_back(
          Data(loc.F("clock.reported", {{"report", report}, {"at", loc.DateTime(FromUnixNs(dl.done_unix_ns()))}})));
      continue;
    }
    const MessageArgs args = {{"report", report}, {"due", loc.DateTime(due)}, {"when", loc.Relative(due, now)}};
    deadlines.push_back(Data(loc.F(due < now ? "clock.overdue" : "clock.due", args)));
    if (!have_next) {
      have_next = true;
      d.set("next", loc.F(due < now ? "clock.next.overdue" : "clock.next", args));
      d.set("next_overdue", due < now);
    }
  }
  d.set("has_deadlines", !deadlines.empty());
  d.set("deadlines", deadlines);
  return d;
}

}  // namespace paraat::console
