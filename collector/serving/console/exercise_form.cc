// The admin's form to record an exercise: the same record, checks and messages as `paraatctl
// exercise record` (ExerciseRecorder, ExerciseProblems), shown next to the fields they concern,
// in the reader's language.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "collector/ingest/validation.h"
#include "collector/serving/console/console.h"
#include "common/time_util.h"

namespace paraat {

using console::Caller;
using console::Data;
using console::List;

namespace {

struct FormInput {
  paraat::v1::ExerciseRecord exercise;
  std::vector<FieldProblem> problems;
};

// The form's fields as an exercise; problems of form (a date or number that does not parse).
FormInput ReadForm(const HttpRequest& req, const Localizer& loc, const std::string& plan_id, const Caller& c) {
  FormInput in;
  paraat::v1::ExerciseRecord& e = in.exercise;
  e.set_plan_id(plan_id);
  e.set_kind(req.Form("kind"));
  e.set_passed(req.Form("passed") == "yes");
  e.set_notes(req.Form("notes"));
  e.set_recorded_by(absl::StrCat("web console (", QueryRoleName(c.role), ")"));
  bool bad_date = false;
  if (std::optional<absl::Time> t = console::ParseFormTime(req.Form("date"), loc, &bad_date)) {
    e.set_performed_unix_ns(ToUnixNs(*t));
  } else if (bad_date) {
    in.problems.push_back({"date", "exercise.error.date_format"});
  }
  const std::string duration(absl::StripAsciiWhitespace(req.Form("duration")));
  if (!duration.empty()) {
    double minutes = 0;
    std::string d = duration;
    for (char& ch : d) {
      if (ch == ',') ch = '.';
    }
    if (absl::SimpleAtod(d, &minutes)) {
      e.set_duration_seconds(minutes * 60);
    } else {
      in.problems.push_back({"duration", "exercise.error.duration_format"});
    }
  }
  for (const HttpUpload& u : req.uploads) {
    if (u.field == "attachment" && !u.data.empty()) e.set_attachment_name(u.filename);
  }
  return in;
}

Data FormData(const Localizer& loc, const HttpRequest& req, const std::vector<FieldProblem>& problems, absl::Time now) {
  Data d;
  List kinds, errors;
  const std::string kind = req.method == "POST" ? req.Form("kind") : "tabletop";
  for (const char* k : {"tabletop", "failover", "restore"}) {
    Data o;
    o.set("value", k);
    o.set("label", loc.T(absl::StrCat("exercise.kind.", k)));
    o.set("checked", kind == k);
    kinds.push_back(o);
  }
  d.set("kinds", kinds);
  d.set("date", req.method == "POST" ? req.Form("date") : loc.Iso(now).substr(0, 10));
  d.set("passed", req.method != "POST" || req.Form("passed") == "yes");
  d.set("duration", req.Form("duration"));
  d.set("notes", req.Form("notes"));
  for (const FieldProblem& p : problems) {
    const std::string message = loc.T(p.message_key);
    d.set(absl::StrCat(p.field, "_error"), message);
    Data e;
    e.set("field_id", p.field == "kind" ? "x-kind-tabletop" : absl::StrCat("x-", p.field));
    e.set("message", message);
    errors.push_back(e);
  }
  d.set("has_errors", !errors.empty());
  d.set("errors", errors);
  return d;
}

}  // namespace

HttpResponse WebConsole::ExerciseForm(const HttpRequest& req, Caller& c, const std::string& plan_id) {
  const Localizer& loc = c.loc;
  auto snap = deps_.loop->snapshot();
  const PlanView* view = snap->Find(plan_id);
  if (view == nullptr) return console::ErrorPage(req, c, *this, 404, loc.F("plan.not_found", {{"id", plan_id}}));
  std::vector<FieldProblem> problems;
  if (req.method == "POST") {
    FormInput in = ReadForm(req, loc, plan_id, c);
    problems = std::move(in.problems);
    for (FieldProblem& p : ExerciseProblems(in.exercise, deps_.clock->Now())) {
      // A date that did not parse is said once.
      if (p.field == "date" && !req.Form("date").empty() && in.exercise.performed_unix_ns() == 0) continue;
      problems.push_back(std::move(p));
    }
    if (problems.empty()) {
      std::string attachment;
      for (const HttpUpload& u : req.uploads) {
        if (u.field == "attachment") attachment = u.data;
      }
      auto seq = deps_.exercises->Record(in.exercise, attachment);
      if (seq.ok()) return console::Redirect(absl::StrCat("/plans/", UrlEncode(plan_id), "?recorded=", *seq));
      return console::ErrorPage(req, c, *this, 503,
                                loc.F("error.store", {{"problem", std::string(seq.status().message())}}));
    }
  }
  Data d = FormData(loc, req, problems, deps_.clock->Now());
  d.set("id", plan_id);
  d.set("id_url", UrlEncode(plan_id));
  const std::string title = loc.F("exercise.title", {{"plan", view->plan->name}});
  d.set("title", title);
  HttpResponse r = console::Page(req, c, *this, "exercise", title, "overview", std::move(d));
  if (!problems.empty()) r.status = 422;
  return r;
}

}  // namespace paraat
