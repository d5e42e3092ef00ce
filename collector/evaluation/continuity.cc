#include "collector/evaluation/continuity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/observation.h"
#include "collector/evaluation/plan.h"
#include "common/i18n.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {
namespace {

using paraat::v1::PLAN_STATE_AT_RISK;
using paraat::v1::PLAN_STATE_NOT_READY;
using paraat::v1::PLAN_STATE_UNKNOWN;

// People's clocks and the collector's may differ a little; a time further ahead is refused.
constexpr absl::Duration kFutureTolerance = absl::Minutes(1);

absl::Time AddMonthUtc(absl::Time t) {
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  const absl::Duration sub = t - absl::FromCivil(cs, absl::UTCTimeZone());
  const absl::CivilMonth next = absl::CivilMonth(cs) + 1;
  const int days_in_next = static_cast<int>(absl::CivilDay(next + 1) - absl::CivilDay(next));
  const absl::CivilSecond out(next.year(), next.month(), std::min(cs.day(), days_in_next), cs.hour(), cs.minute(),
                              cs.second());
  return absl::FromCivil(out, absl::UTCTimeZone()) + sub;
}

std::string ReportName(const std::string& kind) {
  if (kind == "early-warning") return "NIS2 early warning";
  if (kind == "notification") return "NIS2 incident notification";
  return "NIS2 final report";
}

using A = DetailArg;

// Adds reason `code` with its detail "reason.CODE.detail" (".VARIANT").
void Add(Evaluation* out, const char* code, PlanState implies, std::vector<DetailArg> args = {},
         const char* variant = nullptr) {
  out->AddReason(
      code, implies, "",
      Detail{absl::StrCat("reason.", code, ".detail", variant ? "." : "", variant ? variant : ""), std::move(args)});
}

// The catalogue's name of a NIS2 report: reason.part.nis2_early_warning, _notification, _final.
DetailArg ReportTerm(const std::string& kind) {
  return A::Term("report",
                 kind == "early-warning" ? "reason.part.nis2_early_warning" : absl::StrCat("reason.part.nis2_", kind));
}

void EvaluateReview(const Plan& plan, const PlanContinuity* c, absl::Time now, const EvaluationOptions& options,
                    Evaluation* out) {
  const std::optional<ReviewObservation> last = c ? c->last_review : std::nullopt;
  out->continuity.last_review = last;
  out->continuity.plan_changed_since_review = last && last->plan_sha256 != plan.sha256;
  std::optional<absl::Time> after_incident;
  if (c && c->last_closed && c->last_closed->recovered && (!last || last->reviewed < *c->last_closed->recovered)) {
    after_incident = *c->last_closed->recovered + options.due_soon;
  }
  if (!plan.review_every && !after_incident) return;
  std::optional<absl::Time> due;
  Detail why;
  absl::Duration window = options.due_soon;
  if (plan.review_every && last) {
    due = last->reviewed + *plan.review_every;
    why = Detail{"reason.part.last_reviewed",
                 {A::Time("t", last->reviewed), A::Text("by", last->by), A::Duration("every", *plan.review_every)}};
    window = std::min(options.due_soon, *plan.review_every / 5);
  }
  if (after_incident && (!due || *after_incident < *due)) {
    due = after_incident;
    why = Detail{"reason.part.review_after_incident", {A::Time("t", *c->last_closed->recovered)}};
    window = options.due_soon;
  }
  out->tests.push_back(TestDue{"review", last ? std::optional<absl::Time>(last->reviewed) : std::nullopt,
                               due.value_or(absl::UnixEpoch())});
  if (plan.review_every && !last && !after_incident) {
    Add(out, "review_overdue", PLAN_STATE_NOT_READY, {A::Duration("every", *plan.review_every)}, "never");
  } else if (now > *due) {
    Add(out, "review_overdue", PLAN_STATE_NOT_READY, {A::Time("due", *due), A::Nested("why", std::move(why))});
  } else if (*due - now <= window) {
    Add(out, "review_due", PLAN_STATE_AT_RISK,
        {A::Time("due", *due), A::Duration("in", *due - now), A::Nested("why", std::move(why))});
  }
}

void EvaluateTraining(const Plan& plan, const PlanExercises* ex, absl::Time now, const EvaluationOptions& options,
                      Evaluation* out) {
  if (!plan.training_every) return;
  const ExerciseObservation* t = ex ? ex->Latest("training") : nullptr;
  const std::optional<absl::Time> last = t && t->passed ? std::optional<absl::Time>(t->performed) : std::nullopt;
  const absl::Time due = last ? *last + *plan.training_every : absl::UnixEpoch();
  out->tests.push_back(TestDue{"training", last, due});
  if (t == nullptr) {
    Add(out, "training_missing", PLAN_STATE_UNKNOWN);
    return;
  }
  if (!last) {
    Add(out, "training_failed", PLAN_STATE_NOT_READY, {A::Time("t", t->performed)});
    return;
  }
  const absl::Duration window = std::min(options.due_soon, *plan.training_every / 5);
  if (now > due) {
    Add(out, "training_overdue", PLAN_STATE_NOT_READY,
        {A::Time("due", due), A::Time("last", *last), A::Duration("every", *plan.training_every)});
  } else if (due - now <= window) {
    Add(out, "training_due", PLAN_STATE_AT_RISK, {A::Time("due", due), A::Duration("in", due - now)});
  }
}

void EvaluateDeadlines(const IncidentObservation& inc, absl::Time now, Evaluation* out) {
  out->continuity.deadlines = Nis2Deadlines(inc);
  bool next_reported = false;
  for (const IncidentDeadline& d : out->continuity.deadlines) {
    if (d.done) continue;
    if (now > d.due) {
      Add(out, "nis2_report_overdue", PLAN_STATE_NOT_READY,
          {ReportTerm(d.report), A::Time("due", d.due), A::Time("started", inc.started)});
    } else if (!next_reported) {
      next_reported = true;
      Add(out, "nis2_report_due", PLAN_STATE_AT_RISK,
          {ReportTerm(d.report), A::Time("due", d.due), A::Duration("in", d.due - now)});
    }
  }
}

void EvaluateIncident(const Plan& plan, const PlanContinuity* c, absl::Time now, Evaluation* out) {
  if (c == nullptr) return;
  if (c->open) {
    const IncidentObservation& inc = *c->open;
    out->continuity.incident = inc;
    const absl::Duration elapsed = std::max(absl::ZeroDuration(), now - inc.started);
    std::vector<DetailArg> since = {A::Time("started", inc.started), A::Duration("elapsed", elapsed)};
    if (plan.mtpd && elapsed > *plan.mtpd) {
      since.push_back(A::Duration("mtpd", *plan.mtpd));
      Add(out, "incident_mtpd_passed", PLAN_STATE_NOT_READY, std::move(since));
    } else if (elapsed > plan.rto) {
      since.push_back(A::Duration("rto", plan.rto));
      if (plan.mtpd) since.push_back(A::Time("mtpd_at", inc.started + *plan.mtpd));
      Add(out, "incident_rto_passed", PLAN_STATE_NOT_READY, std::move(since), plan.mtpd ? "mtpd" : nullptr);
    } else {
      since.push_back(A::Duration("rto", plan.rto));
      since.push_back(A::Time("rto_at", inc.started + plan.rto));
      Add(out, "incident_open", PLAN_STATE_AT_RISK, std::move(since));
    }
    EvaluateDeadlines(inc, now, out);
    return;
  }
  if (c->last_closed) {
    std::vector<IncidentDeadline> d = Nis2Deadlines(*c->last_closed);
    if (NextDeadline(d) == nullptr) return;
    out->continuity.incident = *c->last_closed;
    EvaluateDeadlines(*c->last_closed, now, out);
  }
}

}  // namespace

std::vector<IncidentDeadline> Nis2Deadlines(const IncidentObservation& inc) {
  if (!inc.significant) return {};
  auto done = [&](const char* kind) -> std::optional<absl::Time> {
    auto it = inc.reports.find(kind);
    return it == inc.reports.end() ? std::nullopt : std::optional<absl::Time>(it->second);
  };
  std::vector<IncidentDeadline> out;
  out.push_back({"early-warning", inc.started + absl::Hours(24), done("early-warning")});
  out.push_back({"notification", inc.started + absl::Hours(72), done("notification")});
  out.push_back({"final", AddMonthUtc(out[1].done.value_or(out[1].due)), done("final")});
  return out;
}

const IncidentDeadline* NextDeadline(const std::vector<IncidentDeadline>& deadlines) {
  for (const IncidentDeadline& d : deadlines) {
    if (!d.done) return &d;
  }
  return nullptr;
}

void PlanContinuity::AddReview(const paraat::v1::ReviewRecord& r, uint64_t seq) {
  ReviewObservation o{FromUnixNs(r.reviewed_unix_ns()), r.reviewed_by(), r.plan_sha256(), seq};
  if (!last_review || last_review->reviewed <= o.reviewed) last_review = std::move(o);
}

void PlanContinuity::AddIncident(const paraat::v1::IncidentRecord& r, uint64_t seq) {
  if (r.event() == "opened") {
    IncidentObservation o;
    o.opened_seq = seq;
    o.started = FromUnixNs(r.started_unix_ns());
    o.summary = r.summary();
    o.significant = r.significant();
    open = std::move(o);
    return;
  }
  IncidentObservation* target = nullptr;
  if (open && open->opened_seq == r.opened_seq()) target = &*open;
  if (!target && last_closed && last_closed->opened_seq == r.opened_seq()) target = &*last_closed;
  if (target == nullptr) return;  // an older incident's record: nothing current changes
  if (r.event() == "report") {
    target->reports.try_emplace(r.report_kind(), FromUnixNs(r.reported_unix_ns()));
  } else if (r.event() == "closed" && open && target == &*open) {
    open->recovered = FromUnixNs(r.recovered_unix_ns());
    last_closed = std::move(open);
    open.reset();
  }
}

void EvaluateContinuity(const Plan& plan, const PlanExercises* exercises, const PlanContinuity* continuity,
                        absl::Time now, const EvaluationOptions& options, Evaluation* out) {
  EvaluateReview(plan, continuity, now, options, out);
  EvaluateTraining(plan, exercises, now, options, out);
  EvaluateIncident(plan, continuity, now, out);
}

std::optional<IncidentProblem> IncidentEventProblem(const PlanContinuity* c, absl::Time now,
                                                    paraat::v1::IncidentRecord* e) {
  auto at = [&](int64_t ns) { return ns ? FromUnixNs(ns) : now; };
  auto problem = [](const char* field, const char* key, IncidentProblem::Args args = {}) {
    return IncidentProblem{field, key, std::move(args)};
  };
  const std::string& plan = e->plan_id();
  if (e->event() == "opened") {
    if (c && c->open) {
      return problem(
          "", "incident.error.already_open",
          {{"plan", plan}, {"since", FormatTimeUtc(c->open->started)}, {"seq", absl::StrCat(c->open->opened_seq)}});
    }
    if (e->summary().empty()) return problem("summary", "incident.error.summary");
    if (e->summary().size() > 4096) return problem("summary", "incident.error.summary_long");
    const absl::Time started = at(e->started_unix_ns());
    if (started > now + kFutureTolerance) {
      return problem("time", "incident.error.start_future",
                     {{"t", FormatTimeUtc(started)}, {"now", FormatTimeUtc(now)}});
    }
    e->set_started_unix_ns(ToUnixNs(started));
    return std::nullopt;
  }
  const bool report = e->event() == "report";
  if (!report && e->event() != "closed") return problem("", "incident.error.event");
  const IncidentObservation* inc = c && c->open ? &*c->open : nullptr;
  if (report && inc == nullptr && c && c->last_closed) inc = &*c->last_closed;
  if (inc == nullptr) {
    return problem("", report ? "incident.error.none_open" : "incident.error.nothing_to_close", {{"plan", plan}});
  }
  if (report &&
      std::find(std::begin(kReportKinds), std::end(kReportKinds), e->report_kind()) == std::end(kReportKinds)) {
    return problem("kind", "incident.error.report_kind");
  }
  if (report && inc->reports.count(e->report_kind())) {
    return problem("kind", "incident.error.reported",
                   {{"report", ReportName(e->report_kind())},
                    {"report_kind", e->report_kind()},
                    {"at", FormatTimeUtc(inc->reports.at(e->report_kind()))}});
  }
  if (e->notes().size() > 16384) return problem("notes", "incident.error.notes_long");
  const absl::Time t = at(report ? e->reported_unix_ns() : e->recovered_unix_ns());
  if (t > now + kFutureTolerance) {
    return problem("time", report ? "incident.error.report_future" : "incident.error.recovery_future",
                   {{"t", FormatTimeUtc(t)}, {"now", FormatTimeUtc(now)}});
  }
  if (t < inc->started) {
    return problem("time", report ? "incident.error.report_before" : "incident.error.recovery_before",
                   {{"t", FormatTimeUtc(t)}, {"started", FormatTimeUtc(inc->started)}});
  }
  report ? e->set_reported_unix_ns(ToUnixNs(t)) : e->set_recovered_unix_ns(ToUnixNs(t));
  e->set_opened_seq(inc->opened_seq);
  e->set_started_unix_ns(ToUnixNs(inc->started));
  e->set_significant(inc->significant);
  if (e->summary().empty()) e->set_summary(inc->summary);
  return std::nullopt;
}

absl::Status CheckIncidentEvent(const PlanContinuity* c, absl::Time now, paraat::v1::IncidentRecord* e) {
  std::optional<IncidentProblem> p = IncidentEventProblem(c, now, e);
  if (!p) return absl::OkStatus();
  return absl::InvalidArgumentError(Localizer(Lang::kEn).F(p->key, p->args));
}

void ToProto(const ContinuityEvaluation& c, paraat::v1::PlanStatus* out) {
  if (c.last_review) {
    auto* r = out->mutable_review();
    r->set_reviewed_unix_ns(ToUnixNs(c.last_review->reviewed));
    r->set_reviewed_by(c.last_review->by);
    r->set_plan_sha256(c.last_review->plan_sha256);
    r->set_plan_changed(c.plan_changed_since_review);
  }
  if (!c.incident) return;
  auto* i = out->mutable_incident();
  i->set_opened_seq(c.incident->opened_seq);
  i->set_started_unix_ns(ToUnixNs(c.incident->started));
  i->set_summary(c.incident->summary);
  i->set_significant(c.incident->significant);
  if (c.incident->recovered) i->set_recovered_unix_ns(ToUnixNs(*c.incident->recovered));
  for (const IncidentDeadline& d : c.deadlines) {
    auto* pd = i->add_deadlines();
    pd->set_report(d.report);
    pd->set_due_unix_ns(ToUnixNs(d.due));
    if (d.done) pd->set_done_unix_ns(ToUnixNs(*d.done));
  }
}

}  // namespace paraat
