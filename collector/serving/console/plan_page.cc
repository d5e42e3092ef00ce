// The console's plan page: objectives, tests, controls, readiness over 90 days, the achieved RPO
// and restore durations as charts with tables, sources with their latest result and history,
// exercises. History comes from the store's history table (Store::History), never a chain scan.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan_status.h"
#include "collector/serving/console/console.h"
#include "common/plan_format.h"
#include "common/time_util.h"
#include "report/svg_chart.h"

namespace paraat {

using console::Caller;
using console::Data;
using console::List;

namespace {

constexpr absl::Duration kWindow = absl::Hours(24 * 90);
constexpr size_t kHistoryLimit = 2000;      // records of one subject read for a page
constexpr size_t kSourceHistoryShown = 20;  // changes listed under a source

std::string StatusLabel(const Localizer& loc, paraat::v1::CheckStatus s) {
  switch (s) {
    case paraat::v1::CHECK_STATUS_OK:
      return loc.T("status.ok");
    case paraat::v1::CHECK_STATUS_WARNING:
      return loc.T("status.warning");
    case paraat::v1::CHECK_STATUS_FAILED:
      return loc.T("status.failed");
    case paraat::v1::CHECK_STATUS_ERROR:
      return loc.T("status.error");
    default:
      return loc.T("status.unknown");
  }
}

// Records of `subject` since `from_seq`, parsed, in seq order.
std::vector<std::pair<StoredRecord, paraat::v1::EvidenceRecord>> ReadHistory(Store* store, const std::string& subject,
                                                                             uint64_t from_seq) {
  std::vector<std::pair<StoredRecord, paraat::v1::EvidenceRecord>> out;
  auto entries = store->History(subject, from_seq, kHistoryLimit);
  if (!entries.ok()) return out;
  std::vector<uint64_t> seqs;
  for (const HistoryEntry& e : *entries) seqs.push_back(e.seq);
  auto records = store->Read(seqs);
  if (!records.ok()) return out;
  for (StoredRecord& r : *records) {
    paraat::v1::EvidenceRecord rec;
    if (!rec.ParseFromString(r.payload)) continue;
    out.emplace_back(std::move(r), std::move(rec));
  }
  return out;
}

struct Readiness {
  List transitions;
  std::vector<StateSpan> spans;
  double ready_share = 0;
};

// The plan's states over the window from its transitions; the state before the first one in
// the window is that transition's `from`.
Readiness BuildReadiness(const Localizer& loc, Store* store, const PlanView& view, uint64_t from_seq, absl::Time from,
                         absl::Time now) {
  Readiness out;
  absl::Time at = from;
  std::string state;
  absl::Duration ready;
  for (const auto& [stored, rec] : ReadHistory(store, view.plan->id, from_seq)) {
    if (!rec.has_transition()) continue;
    const absl::Time t = std::max(from, FromUnixNs(stored.recorded_ns));
    const auto& tr = rec.transition();
    if (state.empty()) state = StateName(tr.from());
    if (tr.from() != paraat::v1::PLAN_STATE_UNSPECIFIED) out.spans.push_back({at, t, state});
    if (state == "ready") ready += t - at;
    at = t;
    state = StateName(tr.to());
    Data d;
    d.set("at", console::TimeData(loc, FromUnixNs(stored.recorded_ns)));
    d.set("from", console::StateLabel(loc, tr.from()));
    d.set("to", console::StateLabel(loc, tr.to()));
    out.transitions.push_back(d);
  }
  if (state.empty()) {
    state = StateName(view.evaluation.state);
    at = std::max(from, view.since);
  }
  out.spans.push_back({at, now, state});
  if (state == "ready") ready += now - at;
  // Before the first known state (a plan younger than the window) does not count against it.
  const absl::Time known_from = out.spans.empty() ? now : out.spans.front().from;
  const absl::Duration known = now - known_from;
  out.ready_share = known > absl::ZeroDuration() ? absl::FDivDuration(ready, known) : 0;
  return out;
}

struct SourceCharts {
  ChartSeries rpo, restores;
  List rpo_rows, restore_rows;
};

// One source's history: rows for the sources table, points for the RPO and restore charts.
Data SourceRow(const Localizer& loc, Store* store, const EvidenceState& state, const std::string& key,
               const std::string& role, uint64_t from_seq, absl::Time now, SourceCharts* charts) {
  Data d;
  d.set("source", key);
  d.set("role", role);
  {
    EvidenceState::ReadLock lock(state);
    const SourceState* s = state.Source(key);
    if (s != nullptr && s->latest) {
      console::SetText(&d, "kind", s->latest->kind);
      d.set("status", StatusLabel(loc, s->latest->status));
      d.set("stale", !IsFresh(*s->latest, now));
      d.set("at", console::TimeData(loc, s->latest->finished));
    }
  }
  List history;
  std::string last_message, last_output;
  for (const auto& [stored, rec] : ReadHistory(store, key, from_seq)) {
    if (!rec.has_result()) continue;
    const paraat::v1::Result& r = rec.result().result();
    Observation obs = ObservationFromResult(r, stored.seq);
    last_message = r.message();
    last_output = r.output_tail();
    if (obs.recovery_point) {
      const double rpo = absl::ToDoubleSeconds(obs.finished - *obs.recovery_point);
      charts->rpo.points.push_back({ToUnixNs(obs.finished), rpo});
      Data p;
      p.set("at", console::TimeData(loc, obs.finished));
      p.set("source", key);
      p.set("value", loc.Duration(obs.finished - *obs.recovery_point));
      charts->rpo_rows.push_back(p);
    }
    if (obs.restore_duration_seconds || obs.restore_succeeded) {
      const bool ok = obs.restore_succeeded.value_or(obs.status == paraat::v1::CHECK_STATUS_OK);
      charts->restores.points.push_back({ToUnixNs(obs.finished), obs.restore_duration_seconds.value_or(0)});
      charts->restores.bad.push_back(!ok);
      Data p;
      p.set("at", console::TimeData(loc, obs.finished));
      p.set("source", key);
      console::SetText(&p, "duration",
                       obs.restore_duration_seconds ? loc.Duration(absl::Seconds(*obs.restore_duration_seconds))
                                                    : loc.T("value.none"));
      p.set("outcome", ok ? loc.T("status.ok") : loc.T("status.failed"));
      charts->restore_rows.push_back(p);
    }
    Data h;
    h.set("at", console::TimeData(loc, obs.finished));
    h.set("status", StatusLabel(loc, obs.status));
    console::SetText(&h, "message", r.message());
    history.push_back(h);
  }
  // The newest changes first, a bounded number of them.
  std::reverse(history.begin(), history.end());
  if (history.size() > kSourceHistoryShown) history.resize(kSourceHistoryShown);
  console::SetText(&d, "message", last_message);
  console::SetText(&d, "output", last_output);
  d.set("has_history", !history.empty());
  d.set("history_label", loc.F("plan.source_history", {{"source", key}}));
  d.set("history", history);
  return d;
}

// Whom to call, the last review, and the incident clock while one is open.
void AddLivingPlanData(const Localizer& loc, const Plan& plan, const paraat::v1::PlanStatus& s, absl::Time now,
                       Data* d) {
  List contacts;
  for (const Contact& c : plan.contacts) {
    Data row;
    row.set("role", c.role);
    row.set("name", c.name);
    row.set("phone", c.phone);
    row.set("email", c.email);
    contacts.push_back(row);
  }
  d->set("has_contacts", !contacts.empty());
  d->set("contacts", contacts);
  if (s.has_review()) {
    d->set("review", loc.F("plan.review.last", {{"when", loc.DateTime(FromUnixNs(s.review().reviewed_unix_ns()))},
                                                {"by", s.review().reviewed_by()}}));
    d->set("review_changed", s.review().plan_changed());
  } else {
    d->set("review", loc.T("plan.review.never"));
  }
  if (!s.has_incident()) return;
  d->set("has_incident", true);
  d->set("incident", console::IncidentClockData(loc, s, now));
}

// The plan's place in its recovery chain: what it depends on (with their states), its own and
// effective recovery time, the critical path, links only declared, objectives accepted without
// evidence. Shown when the plan has dependencies or such an exception.
void AddChainData(const Localizer& loc, const EvaluationSnapshot& snap, const paraat::v1::PlanStatus& s, Data* d) {
  List deps;
  for (const std::string& dep : s.depends_on()) {
    Data row;
    row.set("id_url", UrlEncode(dep));
    const PlanView* v = snap.Find(dep);
    row.set("name", v ? absl::StrCat(v->plan->name, " (", dep, ")") : dep);
    const paraat::v1::PlanState state = v ? v->evaluation.state : paraat::v1::PLAN_STATE_UNKNOWN;
    row.set("state", StateName(state));
    row.set("state_label", console::StateLabel(loc, state));
    deps.push_back(row);
  }
  List accepted;
  for (const auto& [objective, why] : s.accepted_unevidenced()) {
    Data row;
    row.set("objective", objective);
    row.set("why", why);
    accepted.push_back(row);
  }
  d->set("has_chain", !deps.empty() || !accepted.empty());
  d->set("has_deps", !deps.empty());
  d->set("deps", deps);
  d->set("accepted", accepted);
  auto seconds = [&](bool has, double v) {
    return has ? loc.Duration(absl::Seconds(v)) : loc.T("plan.chain.unmeasured");
  };
  d->set("own", seconds(s.has_own_recovery_seconds(), s.own_recovery_seconds()));
  d->set("effective", seconds(s.has_effective_recovery_seconds(), s.effective_recovery_seconds()));
  d->set("has_path", s.critical_path_size() > 1);
  d->set("path", absl::StrJoin(s.critical_path(), " → "));
  d->set("has_unevidenced", s.unevidenced_size() > 0);
  d->set("unevidenced", absl::StrJoin(s.unevidenced(), ", "));
}

Data ObjectivesData(const Localizer& loc, const Plan& plan, const paraat::v1::PlanStatus& s, absl::Time now) {
  Data d;
  console::SetText(&d, "owner", plan.owner);
  d.set("tier", absl::StrCat(plan.tier));
  console::SetText(&d, "description", plan.description);
  d.set("rpo_target", loc.Duration(plan.rpo));
  d.set("rto_target", loc.Duration(plan.rto));
  d.set("achieved_rpo",
        s.has_achieved_rpo_ns() ? loc.Duration(absl::Nanoseconds(s.achieved_rpo_ns())) : loc.T("value.none"));
  if (s.has_recovery_point_unix_ns()) {
    d.set("recovery_point", console::TimeData(loc, FromUnixNs(s.recovery_point_unix_ns())));
  }
  std::string restore = loc.T("value.none");
  if (s.has_restore_test_unix_ns()) {
    restore = absl::StrCat(s.restore_test_succeeded() ? loc.T("status.ok") : loc.T("status.failed"),
                           s.has_restore_test_duration_seconds()
                               ? absl::StrCat(", ", loc.Duration(absl::Seconds(s.restore_test_duration_seconds())))
                               : "",
                           ", ", loc.DateTime(FromUnixNs(s.restore_test_unix_ns())));
  }
  d.set("last_restore", restore);
  if (plan.mtpd) d.set("mtpd", loc.Duration(*plan.mtpd));
  if (s.has_failover_ready()) d.set("failover", s.failover_ready() ? loc.T("value.yes") : loc.T("value.no"));
  List tests;
  for (const auto& t : s.tests()) {
    Data row;
    row.set("test", loc.T(absl::StrCat("test.", t.test())));
    if (t.last_unix_ns() > 0) row.set("last", console::TimeData(loc, FromUnixNs(t.last_unix_ns())));
    const absl::Time due = t.due_unix_ns() > 0 ? FromUnixNs(t.due_unix_ns()) : now;  // never done: due now
    row.set("due", console::TimeData(loc, due));
    row.set("overdue", due <= now);
    tests.push_back(row);
  }
  d.set("has_tests", !tests.empty());
  d.set("tests", tests);
  d.set("has_controls", !plan.controls.empty());
  d.set("controls", console::StringList(plan.controls));
  AddLivingPlanData(loc, plan, s, now, &d);
  return d;
}

List ExerciseRows(const Localizer& loc, Store* store, const std::string& plan_id, uint64_t from_seq) {
  List rows;
  for (const auto& [stored, rec] : ReadHistory(store, plan_id, from_seq)) {
    if (!rec.has_exercise()) continue;
    const auto& e = rec.exercise();
    Data d;
    d.set("at", console::TimeData(loc, FromUnixNs(e.performed_unix_ns())));
    console::SetText(&d, "kind", loc.T(absl::StrCat("exercise.kind.", e.kind())));
    d.set("outcome", e.passed() ? loc.T("exercise.passed.yes") : loc.T("exercise.passed.no"));
    console::SetText(&d, "duration", e.has_duration_seconds() ? loc.Duration(absl::Seconds(e.duration_seconds())) : "");
    console::SetText(&d, "by", e.recorded_by());
    console::SetText(&d, "notes", e.notes());
    rows.push_back(d);
  }
  std::reverse(rows.begin(), rows.end());
  return rows;
}

}  // namespace

HttpResponse WebConsole::PlanPage(const HttpRequest& req, Caller& c) {
  const Localizer& loc = c.loc;
  const std::string id = req.path.substr(std::string("/plans/").size());
  auto snap = deps_.loop->snapshot();
  const PlanView* view = snap->Find(id);
  if (view == nullptr) return console::ErrorPage(req, c, *this, 404, loc.F("plan.not_found", {{"id", id}}));
  const Plan& plan = *view->plan;
  const paraat::v1::PlanStatus s = ToPlanStatus(*view, snap->at);
  const absl::Time now = deps_.clock->Now();
  const absl::Time from = now - kWindow;
  auto first = deps_.store->FirstSeqAtOrAfter(from);
  const uint64_t from_seq = first.ok() ? *first : 0;

  Data d = ObjectivesData(loc, plan, s, now);
  AddChainData(loc, *snap, s, &d);
  d.set("id", plan.id);
  d.set("id_url", UrlEncode(plan.id));
  d.set("name", plan.name);
  d.set("state", StateName(s.state()));
  d.set("state_label", console::StateLabel(loc, s.state()));
  d.set("since", console::TimeData(loc, view->since));
  std::vector<std::string> reasons;
  for (const auto& r : s.reasons()) reasons.push_back(ReasonPageText(r, loc));
  d.set("has_reasons", !reasons.empty());
  d.set("reasons", console::StringList(reasons));
  d.set("can_record", c.role >= QueryRole::kAdmin);
  d.set("can_audit", c.role >= QueryRole::kAuditor);
  // After a form: which record it made (the seq is only echoed, as digits).
  for (const auto& [param, key] : {std::pair{"recorded", "plan.recorded"},
                                   {"reviewed", "plan.recorded.review"},
                                   {"incident", "plan.recorded.incident"}}) {
    const std::string& seq = req.Param(param);
    if (!seq.empty() && seq.find_first_not_of("0123456789") == std::string::npos) {
      d.set("recorded", loc.F(key, {{"seq", seq}}));
    }
  }

  Readiness readiness = BuildReadiness(loc, deps_.store, *view, from_seq, from, now);
  d.set("ready_share", loc.F("plan.readiness.share", {{"share", loc.Percent(readiness.ready_share)}}));
  d.set("timeline_svg", TimelineChart(readiness.spans, from, now, loc));
  d.set("has_transitions", !readiness.transitions.empty());
  d.set("transitions", readiness.transitions);

  SourceCharts charts;
  charts.restores.line = false;
  List sources;
  for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
    for (const std::string& key : plan.Sources(role)) {
      sources.push_back(SourceRow(loc, deps_.store, *deps_.state, key, RoleName(role), from_seq, now, &charts));
    }
  }
  d.set("sources", sources);
  std::sort(charts.rpo.points.begin(), charts.rpo.points.end(),
            [](const SeriesPoint& a, const SeriesPoint& b) { return a.t_ns < b.t_ns; });
  d.set("has_rpo", !charts.rpo.points.empty());
  d.set("rpo_svg", DurationChart(charts.rpo, from, now, absl::ToDoubleSeconds(plan.rpo),
                                 absl::StrCat("RPO ", loc.Duration(plan.rpo)), loc.T("plan.rpo_chart"), loc));
  d.set("rpo_points", charts.rpo_rows);
  d.set("has_restores", !charts.restores.points.empty());
  d.set("restore_svg", DurationChart(charts.restores, from, now, absl::ToDoubleSeconds(plan.rto),
                                     absl::StrCat("RTO ", loc.Duration(plan.rto)), loc.T("plan.restore_chart"), loc));
  d.set("restores", charts.restore_rows);
  List exercises = ExerciseRows(loc, deps_.store, plan.id, from_seq);
  d.set("has_exercises", !exercises.empty());
  d.set("exercises", exercises);
  return console::Page(req, c, *this, "plan", plan.name, "overview", std::move(d));
}

}  // namespace paraat
