// The admin's forms for a living plan: record a review, open and close an incident, record a
// NIS2 report. The same records, rules and words as `paraatctl plan review` and `paraatctl
// incident open|close|report` (ContinuityRecorder, IncidentEventProblem), with each problem shown
// next to the field it concerns, in the reader's language. The Guard has already checked the
// CSRF token of every POST; the caller's role is checked before these run (console.cc).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "collector/evaluation/continuity.h"
#include "collector/evaluation/plan_status.h"
#include "collector/serving/console/console.h"
#include "common/time_util.h"

namespace paraat {

using console::Caller;
using console::Data;
using console::List;

namespace {

constexpr size_t kMaxNotes = 16384;

// A problem to show: the id of the field it belongs to (the error summary links there) and the
// message. `slot` names the template's `{{slot_error}}` beside the field ("" for none).
struct ShownProblem {
  std::string field_id;
  std::string slot;
  std::string message;
};

void SetProblems(const std::vector<ShownProblem>& problems, Data* d) {
  List errors;
  for (const ShownProblem& p : problems) {
    if (!p.slot.empty()) d->set(absl::StrCat(p.slot, "_error"), p.message);
    Data e;
    e.set("field_id", p.field_id);
    e.set("message", p.message);
    errors.push_back(e);
  }
  d->set("has_errors", !errors.empty());
  d->set("errors", errors);
}

// Who did it: the name given, else which way it came in.
std::string RecordedBy(const HttpRequest& req, const Caller& c) {
  std::string by(absl::StripAsciiWhitespace(req.Form("by")));
  return by.empty() ? absl::StrCat("web console (", QueryRoleName(c.role), ")") : by;
}

std::string Attachment(const HttpRequest& req, std::string* name) {
  for (const HttpUpload& u : req.uploads) {
    if (u.field == "attachment" && !u.data.empty()) {
      *name = u.filename;
      return u.data;
    }
  }
  return "";
}

HttpResponse Refused(const HttpRequest& req, Caller& c, const WebConsole& console, const absl::Status& st) {
  return console::ErrorPage(req, c, console, 503, c.loc.F("error.store", {{"problem", std::string(st.message())}}));
}

// The report kinds still to make for the plan's incident, in order.
std::vector<std::string> ReportsDue(const paraat::v1::PlanStatus& s) {
  std::vector<std::string> out;
  if (!s.has_incident()) return out;
  for (const auto& d : s.incident().deadlines()) {
    if (d.done_unix_ns() == 0) out.push_back(d.report());
  }
  return out;
}

// The field of the posted form an IncidentProblem concerns.
ShownProblem ShowIncidentProblem(const Localizer& loc, const std::string& action, const IncidentProblem& p,
                                 const std::vector<std::string>& reports) {
  MessageArgs args = p.args;
  for (auto& [name, value] : args) {
    if (name != "report") continue;
    for (const auto& [n, kind] : p.args) {
      if (n == "report_kind") value = loc.T(absl::StrCat("incident.report.", absl::StrReplaceAll(kind, {{"-", "_"}})));
    }
  }
  ShownProblem out{absl::StrCat(action, "-h"), "", loc.F(p.key, args)};
  if (p.field == "time") {
    out.slot = action == "open" ? "started" : action == "close" ? "recovered" : "at";
  } else if (p.field == "summary" && action == "open") {
    out.slot = "summary";
  } else if (p.field == "notes" && action != "open") {
    out.slot = absl::StrCat(action, "_notes");
  } else if (p.field == "kind" && action == "report" && !reports.empty()) {
    out.field_id = absl::StrCat("i-kind-", reports.front());
    out.slot = "kind";
    return out;
  }
  if (!out.slot.empty()) out.field_id = absl::StrCat("i-", absl::StrReplaceAll(out.slot, {{"_", "-"}}));
  return out;
}

// The posted incident form as an event; a time that does not parse is a problem of its own.
paraat::v1::IncidentRecord ReadIncident(const HttpRequest& req, const Caller& c, const std::string& plan_id,
                                        const std::string& action, std::vector<ShownProblem>* problems) {
  paraat::v1::IncidentRecord i;
  i.set_plan_id(plan_id);
  i.set_recorded_by(RecordedBy(req, c));
  const char* time_field = action == "open" ? "started" : action == "close" ? "recovered" : "at";
  bool bad = false;
  std::optional<absl::Time> t = console::ParseFormTime(req.Form(time_field), c.loc, &bad);
  if (bad) {
    problems->push_back({absl::StrCat("i-", time_field), time_field, c.loc.T("incident.error.time_format")});
  }
  const int64_t ns = t ? ToUnixNs(*t) : 0;
  if (action == "open") {
    i.set_event("opened");
    i.set_summary(std::string(absl::StripAsciiWhitespace(req.Form("summary"))));
    i.set_significant(req.Form("significant") == "yes");
    i.set_started_unix_ns(ns);
  } else if (action == "close") {
    i.set_event("closed");
    i.set_recovered_unix_ns(ns);
    i.set_notes(req.Form("notes"));
  } else {
    i.set_event("report");
    i.set_report_kind(req.Form("kind"));
    i.set_reported_unix_ns(ns);
    i.set_notes(req.Form("notes"));
  }
  return i;
}

// What the incident page shows: the clock, and the forms that apply now.
Data IncidentPageData(const Localizer& loc, const HttpRequest& req, const paraat::v1::PlanStatus& s,
                      const std::string& posted, absl::Time now) {
  Data d;
  const bool open = s.has_incident() && s.incident().recovered_unix_ns() == 0;
  d.set("has_incident", s.has_incident());
  d.set("incident", console::IncidentClockData(loc, s, now));
  d.set("can_open", !open);
  d.set("can_close", open);
  const std::vector<std::string> reports = ReportsDue(s);
  d.set("can_report", !reports.empty());
  List kinds;
  const std::string kind = posted == "report" ? req.Form("kind") : reports.empty() ? "" : reports.front();
  for (const std::string& k : reports) {
    Data o;
    o.set("value", k);
    o.set("label", loc.T(absl::StrCat("incident.report.", absl::StrReplaceAll(k, {{"-", "_"}}))));
    o.set("checked", k == kind);
    kinds.push_back(o);
  }
  d.set("kinds", kinds);
  // What was posted stays in its form when it was refused.
  auto keep = [&](const char* action, const char* field, const std::string& slot) {
    if (posted == action) d.set(slot, req.Form(field));
  };
  keep("open", "summary", "summary");
  keep("open", "started", "started");
  keep("open", "by", "open_by");
  keep("close", "recovered", "recovered");
  keep("close", "notes", "close_notes");
  keep("close", "by", "close_by");
  keep("report", "at", "at");
  keep("report", "notes", "report_notes");
  keep("report", "by", "report_by");
  d.set("significant", posted == "open" && req.Form("significant") == "yes");
  return d;
}

}  // namespace

HttpResponse WebConsole::ReviewForm(const HttpRequest& req, Caller& c, const std::string& plan_id) {
  const Localizer& loc = c.loc;
  auto snap = deps_.loop->snapshot();
  const PlanView* view = snap->Find(plan_id);
  if (view == nullptr) return console::ErrorPage(req, c, *this, 404, loc.F("plan.not_found", {{"id", plan_id}}));
  std::vector<ShownProblem> problems;
  if (req.method == "POST") {
    paraat::v1::ReviewRecord r;
    r.set_plan_id(plan_id);
    r.set_reviewed_by(std::string(absl::StripAsciiWhitespace(req.Form("by"))));
    r.set_notes(req.Form("notes"));
    if (r.reviewed_by().empty()) problems.push_back({"r-by", "by", loc.T("review.error.by")});
    if (r.notes().size() > kMaxNotes) problems.push_back({"r-notes", "notes", loc.T("review.error.notes")});
    if (problems.empty()) {
      std::string name;
      const std::string attachment = Attachment(req, &name);
      r.set_attachment_name(name);
      auto seq = deps_.continuity->RecordReview(r, attachment);
      if (seq.ok()) return console::Redirect(absl::StrCat("/plans/", UrlEncode(plan_id), "?reviewed=", *seq));
      if (!absl::IsInvalidArgument(seq.status()) && !absl::IsResourceExhausted(seq.status())) {
        return Refused(req, c, *this, seq.status());
      }
      problems.push_back(
          {"r-by", "", loc.F("review.error.refused", {{"problem", std::string(seq.status().message())}})});
    }
  }
  Data d;
  d.set("id", plan_id);
  d.set("id_url", UrlEncode(plan_id));
  const std::string title = loc.F("review.title", {{"plan", view->plan->name}});
  d.set("title", title);
  d.set("by", req.Form("by"));
  d.set("notes", req.Form("notes"));
  d.set("sha256", view->plan->sha256);
  SetProblems(problems, &d);
  HttpResponse resp = console::Page(req, c, *this, "review", title, "overview", std::move(d));
  if (!problems.empty()) resp.status = 422;
  return resp;
}

HttpResponse WebConsole::IncidentForm(const HttpRequest& req, Caller& c, const std::string& plan_id) {
  const Localizer& loc = c.loc;
  auto snap = deps_.loop->snapshot();
  const PlanView* view = snap->Find(plan_id);
  if (view == nullptr) return console::ErrorPage(req, c, *this, 404, loc.F("plan.not_found", {{"id", plan_id}}));
  const paraat::v1::PlanStatus s = ToPlanStatus(*view, snap->at);
  std::vector<ShownProblem> problems;
  std::string action;
  if (req.method == "POST") {
    action = req.Form("action");
    if (action != "open" && action != "close" && action != "report") {
      return console::ErrorPage(req, c, *this, 400, loc.T("error.not_found"));
    }
    paraat::v1::IncidentRecord i = ReadIncident(req, c, plan_id, action, &problems);
    if (problems.empty()) {
      std::optional<IncidentProblem> problem;
      auto seq = deps_.continuity->RecordIncident(std::move(i), &problem);
      if (seq.ok()) return console::Redirect(absl::StrCat("/plans/", UrlEncode(plan_id), "?incident=", *seq));
      if (!problem) return Refused(req, c, *this, seq.status());
      problems.push_back(ShowIncidentProblem(loc, action, *problem, ReportsDue(s)));
    }
  }
  Data d = IncidentPageData(loc, req, s, action, deps_.clock->Now());
  d.set("id", plan_id);
  d.set("id_url", UrlEncode(plan_id));
  const std::string title = loc.F("incident.title", {{"plan", view->plan->name}});
  d.set("title", title);
  SetProblems(problems, &d);
  HttpResponse resp = console::Page(req, c, *this, "incident", title, "overview", std::move(d));
  if (!problems.empty()) resp.status = 422;
  return resp;
}

}  // namespace paraat
