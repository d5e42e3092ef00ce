#include "collector/evaluation/evaluator.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/evaluation/foresight.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

using paraat::v1::PLAN_STATE_AT_RISK;
using paraat::v1::PLAN_STATE_NOT_READY;
using paraat::v1::PLAN_STATE_READY;
using paraat::v1::PLAN_STATE_UNKNOWN;

const char* PlanStateName(PlanState state) {
  switch (state) {
    case PLAN_STATE_READY:
      return "ready";
    case PLAN_STATE_AT_RISK:
      return "at_risk";
    case PLAN_STATE_UNKNOWN:
      return "unknown";
    case PLAN_STATE_NOT_READY:
      return "not_ready";
    default:
      return "unspecified";
  }
}

const std::vector<PlanState>& AllPlanStates() {
  static const std::vector<PlanState> states = {PLAN_STATE_READY, PLAN_STATE_AT_RISK, PLAN_STATE_UNKNOWN,
                                                PLAN_STATE_NOT_READY};
  return states;
}

bool Evaluation::HasReason(const std::string& code) const {
  return std::any_of(reasons.begin(), reasons.end(), [&](const Reason& r) { return r.code == code; });
}

void Evaluation::AddReason(std::string code, PlanState implies, std::string source, Detail detail) {
  std::string text = MachineText(detail);
  reasons.push_back(Reason{std::move(code), implies, std::move(source), std::move(text), std::move(detail)});
}

int StateSeverity(PlanState s) {
  switch (s) {
    case PLAN_STATE_NOT_READY:
      return 3;
    case PLAN_STATE_UNKNOWN:
      return 2;
    case PLAN_STATE_AT_RISK:
      return 1;
    default:
      return 0;
  }
}

void Evaluation::Settle() {
  std::stable_sort(reasons.begin(), reasons.end(), [](const Reason& a, const Reason& b) {
    return StateSeverity(a.implies) > StateSeverity(b.implies);
  });
  state = reasons.empty() ? PLAN_STATE_READY : reasons.front().implies;
}

absl::Duration StaleAfter(absl::Duration interval, const EvaluationOptions& options) {
  return std::max(interval * options.stale_intervals, options.min_stale);
}

bool IsFresh(const Observation& obs, absl::Time now, const EvaluationOptions& options) {
  // The collector's own receipt time: an agent whose clock runs ahead cannot keep its results
  // fresh after it stops, nor one that runs behind make them stale.
  return now - obs.received <= StaleAfter(obs.interval, options);
}

namespace {

bool Conclusive(const Observation& o) { return o.status != paraat::v1::CHECK_STATUS_ERROR; }
bool Passing(const Observation& o) {
  return o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING;
}
using A = DetailArg;

// The detail of reason `code` ("reason.CODE.detail", or with a `variant` after it).
Detail D(const std::string& code, std::vector<DetailArg> args = {}, const char* variant = nullptr) {
  return Detail{absl::StrCat("reason.", code, ".detail", variant ? "." : "", variant ? variant : ""), std::move(args)};
}

// A restore test, from a restore_test source or from a restore exercise recorded by people.
struct RestoreTest {
  absl::Time time;
  bool succeeded = false;
  std::optional<double> duration_seconds;
  std::string from;  // source key or "exercise"
  std::string message;
  bool validated = false;  // a source that checked what it restored (restore_succeeded)
  bool fresh = true;       // a source whose latest result is fresh
};

// Whether a restore test came from a source (agent/check), not from people's records.
bool FromSource(const RestoreTest& t) { return t.from != "exercise" && t.from != "incident"; }

class PlanEvaluator {
 public:
  PlanEvaluator(const Plan& plan, const EvidenceView& evidence, absl::Time now, const EvaluationOptions& options)
      : plan_(plan), evidence_(evidence), now_(now), options_(options) {}

  Evaluation Run() {
    CheckSourceHealth();
    EvaluateRecoveryPoint();
    EvaluateRestoreTests();
    EvaluateFailover();
    EvaluateIntegrity();
    EvaluateExercises();
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    EvaluateContinuity(plan_, ex, ex ? &ex->continuity : nullptr, now_, options_, &out_);
    EvaluateForesight(plan_, evidence_, now_, &out_);
    EvaluateRecoveryTime();
    EvaluateAssurance();
    out_.Settle();
    return std::move(out_);
  }

 private:
  void Add(const std::string& code, PlanState implies, std::string source, std::vector<DetailArg> args = {},
           const char* variant = nullptr) {
    out_.AddReason(code, implies, std::move(source), D(code, std::move(args), variant));
  }

  // The plan's own measured recovery time, and whether its RTO rests on any evidence at all
  // (docs/design.md, "No objective without evidence").
  void EvaluateRecoveryTime() {
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    const ExerciseObservation* failover = ex ? ex->Latest("failover") : nullptr;
    if (failover && failover->passed && failover->duration_seconds && out_.failover_ready.value_or(true)) {
      out_.own_recovery_seconds = failover->duration_seconds;
    } else if (out_.good_restore_duration_seconds) {
      out_.own_recovery_seconds = out_.good_restore_duration_seconds;
    } else if (plan_.AllSources().empty() && ex == nullptr) {
      out_.own_recovery_seconds = 0;  // a process: nothing of its own to recover
    }
    const bool evidenced = !plan_.restore_test.empty() || !plan_.failover.empty() ||
                           (ex && (ex->Latest("restore") || ex->Latest("failover"))) || plan_.AllSources().empty();
    if (evidenced || plan_.accept_unevidenced.count("rto")) return;
    Add("rto_unevidenced", PLAN_STATE_UNKNOWN, "",
        {A::Duration("rto", plan_.rto), A::Text("example", "accept_unevidenced: {rto: \"why\"}")});
  }

  // How strong the evidence for each objective is, and whether it is as strong as the plan
  // requires (collector/evaluation/assurance.h, docs/design.md "Assurance").
  void EvaluateAssurance() {
    AssuranceFacts f;
    f.recovery_point = out_.recovery_point.has_value();
    f.integrity_verified =
        verified_ && !out_.HasReason("integrity_corrupt") && !out_.HasReason("recovery_point_corrupt");
    f.failover_ready = out_.failover_ready.value_or(false);
    const bool restore_current = latest_restore_ && latest_restore_->succeeded && latest_restore_->fresh &&
                                 !out_.HasReason("restore_test_overdue");
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    if (restore_current && FromSource(*latest_restore_)) {
      (latest_restore_->validated ? f.restore_validated : f.restore_unvalidated) = true;
    }
    const ExerciseObservation* restore = ex ? ex->Latest("restore") : nullptr;
    f.restore_exercised = restore_current && ((restore && restore->passed) || (ex && ex->continuity.last_closed));
    const ExerciseObservation* failover = ex ? ex->Latest("failover") : nullptr;
    f.failover_exercised =
        failover && failover->passed && out_.failover_ready.value_or(true) && !out_.HasReason("failover_test_overdue");
    out_.assurance = AssessAssurance(f);
    for (const auto& [objective, least] : plan_.require) {
      const Assurance level = objective == "rpo" ? out_.assurance.rpo : out_.assurance.rto;
      if (level >= least) continue;
      Add("assurance_below_required", PLAN_STATE_UNKNOWN, "",
          {A::Text("objective", objective == "rpo" ? "RPO" : "RTO"),
           A::Term("level", absl::StrCat("assurance.", AssuranceName(level))),
           A::Term("required", absl::StrCat("assurance.", AssuranceName(least)))});
    }
  }

  const SourceState* Source(const std::string& key) const { return evidence_.Source(key); }

  // The latest result of `key` when it is fresh, conclusive and not dated in the future;
  // nullptr otherwise (the reason is already recorded by CheckSourceHealth).
  const Observation* Usable(const std::string& key) const {
    const SourceState* s = Source(key);
    if (s == nullptr || !s->latest) return nullptr;
    if (!IsFresh(*s->latest, now_, options_) || !Conclusive(*s->latest)) return nullptr;
    if (Ahead(*s->latest, s->latest->finished)) return nullptr;
    return &*s->latest;
  }

  // How far `t` (a time `o` reports) was ahead of the collector's clock when `o` arrived, when
  // that is more than the tolerance: such a time comes from a clock that runs ahead, and would
  // read as fresh, or as a recent backup, for as long as the clock is off.
  std::optional<absl::Duration> Ahead(const Observation& o, absl::Time t) const {
    const absl::Duration ahead = t - o.received;
    if (ahead <= options_.future_tolerance) return std::nullopt;
    return ahead;
  }

  // Records that `key` reports `what` dated `ahead` in the future: unusable evidence. Once per source.
  // `what`: result_dated, recovery_point or restore_test_dated (reason.part.WHAT).
  void InFuture(const std::string& key, const char* what, absl::Time t, absl::Duration ahead) {
    if (std::find(in_future_.begin(), in_future_.end(), key) != in_future_.end()) return;
    in_future_.push_back(key);
    Add("recovery_point_in_future", PLAN_STATE_UNKNOWN, key,
        {A::Text("source", key), A::Term("what", absl::StrCat("reason.part.", what)), A::Time("t", t),
         A::Duration("ahead", absl::Trunc(ahead, absl::Seconds(1))),
         A::Duration("tolerance", options_.future_tolerance)});
  }

  void CheckSourceHealth() {
    // Every source once, in role order, as the plan's own strings: a ResolvedSources view finds
    // those without a lookup.
    absl::InlinedVector<const std::string*, 16> done;
    for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
      for (const std::string& key : plan_.Sources(role)) {
        if (std::find_if(done.begin(), done.end(), [&](const std::string* d) { return *d == key; }) != done.end()) {
          continue;
        }
        done.push_back(&key);
        CheckSourceHealth(key);
      }
    }
  }

  void CheckSourceHealth(const std::string& key) {
    const SourceState* s = Source(key);
    if (s == nullptr || !s->latest) {
      ++out_.stale_sources;
      Add("source_missing", PLAN_STATE_UNKNOWN, key, {A::Text("source", key)});
      return;
    }
    const Observation& o = *s->latest;
    if (!IsFresh(o, now_, options_)) {
      ++out_.stale_sources;
      Add("source_stale", PLAN_STATE_UNKNOWN, key,
          {A::Text("source", key), A::Duration("age", now_ - o.received), A::Duration("interval", o.interval),
           A::Duration("stale_after", StaleAfter(o.interval, options_))});
      return;
    }
    if (auto ahead = Ahead(o, o.finished)) {
      InFuture(key, "result_dated", o.finished, *ahead);
      return;
    }
    if (!Conclusive(o)) {
      Add("source_error", PLAN_STATE_UNKNOWN, key, {A::Text("source", key), A::Text("message", o.message)});
    }
  }

  void EvaluateRecoveryPoint() {
    if (plan_.recovery_point.empty()) return;
    std::vector<Detail> unusable;  // concluded, but no usable recovery point
    std::vector<std::string> corrupt;
    for (const std::string& key : plan_.recovery_point) {
      const Observation* o = Usable(key);
      if (o == nullptr) continue;
      if (o->integrity == paraat::v1::INTEGRITY_CORRUPT) {
        corrupt.push_back(key);
        unusable.push_back(Detail{"reason.part.reports_corrupt", {A::Text("source", key)}});
        continue;
      }
      if (!o->recovery_point) {
        unusable.push_back(
            Detail{"reason.part.no_usable_backup", {A::Text("source", key), A::Text("message", o->message)}});
        continue;
      }
      if (auto ahead = Ahead(*o, *o->recovery_point)) {  // it must not win over honest sources
        InFuture(key, "recovery_point", *o->recovery_point, *ahead);
        continue;
      }
      if (o->integrity == paraat::v1::INTEGRITY_VERIFIED) verified_ = true;
      if (!out_.recovery_point || *o->recovery_point > *out_.recovery_point) {
        out_.recovery_point = *o->recovery_point;
        out_.recovery_point_source = key;
      }
    }
    if (!out_.recovery_point) {
      if (!unusable.empty()) {
        Add("no_recovery_point", PLAN_STATE_NOT_READY, unusable.size() == 1 ? corrupt.empty() ? "" : corrupt[0] : "",
            {A::List("problems", "; ", std::move(unusable))});
      } else {
        Add("recovery_point_unknown", PLAN_STATE_UNKNOWN, "");
      }
      return;
    }
    for (const std::string& key : corrupt) {
      Add("recovery_point_corrupt", PLAN_STATE_AT_RISK, key,
          {A::Text("source", key), A::Text("from", out_.recovery_point_source)});
    }
    absl::Duration achieved = std::max(absl::ZeroDuration(), now_ - *out_.recovery_point);
    out_.achieved_rpo = achieved;
    std::vector<DetailArg> args = {A::Duration("achieved", achieved), A::Duration("rpo", plan_.rpo),
                                   A::Time("point", *out_.recovery_point), A::Text("from", out_.recovery_point_source)};
    if (achieved > plan_.rpo) {
      Add("rpo_breached", PLAN_STATE_NOT_READY, out_.recovery_point_source, std::move(args));
    } else if (achieved > plan_.rpo * options_.margin) {
      args.push_back(A::Share("margin", options_.margin));
      Add("rpo_margin", PLAN_STATE_AT_RISK, out_.recovery_point_source, std::move(args));
    }
  }

  // Adds the cadence reasons for one kind of test and records when it falls due.
  void Cadence(const std::string& test, const std::optional<absl::Duration>& every,
               const std::optional<absl::Time>& last_good) {
    if (!every) return;
    TestDue due{test, last_good, last_good ? *last_good + *every : absl::UnixEpoch()};
    out_.tests.push_back(due);
    if (!last_good) return;  // the missing test is reported by the caller, with its reason
    const absl::Duration window = std::min(options_.due_soon, *every / 5);
    if (now_ > due.due) {
      Add(absl::StrCat(test, "_test_overdue"), PLAN_STATE_NOT_READY, "",
          {A::Time("due", due.due), A::Time("last", *last_good), A::Duration("every", *every)});
    } else if (due.due - now_ <= window) {
      Add(absl::StrCat(test, "_test_due"), PLAN_STATE_AT_RISK, "",
          {A::Time("due", due.due), A::Duration("in", due.due - now_)});
    }
  }

  void EvaluateRestoreTests() {
    std::optional<RestoreTest> latest, latest_good;
    auto consider = [&](const RestoreTest& t) {
      if (!latest || t.time > latest->time) latest = t;
      if (t.succeeded && (!latest_good || t.time > latest_good->time)) latest_good = t;
    };
    for (const std::string& key : plan_.restore_test) {
      const SourceState* s = Source(key);
      if (s == nullptr || !s->latest_conclusive) continue;
      const Observation& o = *s->latest_conclusive;
      if (auto ahead = Ahead(o, o.finished)) {  // a test "passed" in the future is never due
        InFuture(key, "restore_test_dated", o.finished, *ahead);
        continue;
      }
      RestoreTest t;
      t.time = o.finished;
      t.succeeded = Passing(o) && o.restore_succeeded.value_or(true);
      t.duration_seconds = o.restore_duration_seconds ? o.restore_duration_seconds
                                                      : std::optional<double>(absl::ToDoubleSeconds(o.duration));
      t.from = key;
      t.message = o.message;
      t.validated = o.restore_succeeded.value_or(false);
      t.fresh = s->latest && IsFresh(*s->latest, now_, options_);
      consider(t);
    }
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    if (const ExerciseObservation* e = ex ? ex->Latest("restore") : nullptr) {
      consider(RestoreTest{e->performed, e->passed, e->duration_seconds, "exercise", "restore exercise"});
    }
    // A real recovery, from an incident closed, is the strongest measurement of recovery time.
    if (const IncidentObservation* i = ex && ex->continuity.last_closed ? &*ex->continuity.last_closed : nullptr) {
      consider(RestoreTest{*i->recovered, true, absl::ToDoubleSeconds(*i->recovered - i->started), "incident",
                           "recovery from an incident"});
    }
    if (plan_.restore_test.empty() && !plan_.restore_every && !latest) return;

    latest_restore_ = latest;
    if (latest) {
      out_.restore_test_time = latest->time;
      out_.restore_test_duration_seconds = latest->duration_seconds;
      out_.restore_test_succeeded = latest->succeeded;
    }
    if (latest_good) {
      out_.good_restore_time = latest_good->time;
      out_.good_restore_duration_seconds = latest_good->duration_seconds;
    }
    if (!latest) {
      Add("restore_test_missing", PLAN_STATE_UNKNOWN, "");
    } else if (!latest->succeeded) {
      // Not from a source: a restore exercise (a recovery from an incident always counts as one
      // that succeeded), whose words are the catalogue's.
      const bool source = FromSource(*latest);
      Add("restore_test_failed", PLAN_STATE_NOT_READY, source ? latest->from : "",
          {A::Time("t", latest->time),
           source ? A::Text("from", latest->from) : A::Term("from", "reason.part.from_exercise"),
           source ? A::Text("message", latest->message) : A::Term("message", "reason.part.message_exercise")});
    } else if (!latest->duration_seconds) {
      Add("rto_unmeasured", PLAN_STATE_UNKNOWN, "", {A::Time("t", latest->time)});
    } else {
      const absl::Duration took = absl::Seconds(*latest->duration_seconds);
      const std::string src = FromSource(*latest) ? latest->from : "";
      const char* variant = latest->from == "incident" ? "incident" : nullptr;
      if (took > plan_.rto) {
        Add("rto_exceeded", PLAN_STATE_NOT_READY, src, {A::Duration("took", took), A::Duration("rto", plan_.rto)},
            variant);
      } else if (took > plan_.rto * options_.margin) {
        Add("rto_margin", PLAN_STATE_AT_RISK, src,
            {A::Duration("took", took), A::Share("margin", options_.margin), A::Duration("rto", plan_.rto)}, variant);
      }
    }
    Cadence("restore", plan_.restore_every, latest_good ? std::optional<absl::Time>(latest_good->time) : std::nullopt);
  }

  void EvaluateFailover() {
    if (!plan_.failover.empty()) {
      bool all_ready = true;
      for (const std::string& key : plan_.failover) {
        const Observation* o = Usable(key);
        if (o == nullptr) {
          all_ready = false;  // missing, stale or could not run: reported by CheckSourceHealth
          continue;
        }
        if (!Passing(*o) || o->ready == false) {
          all_ready = false;
          Add("failover_not_ready", PLAN_STATE_NOT_READY, key,
              {A::Text("source", key), A::Text("message", o->message)});
        }
      }
      out_.failover_ready = all_ready;
    }
    if (!plan_.failover_every) return;
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    const ExerciseObservation* e = ex ? ex->Latest("failover") : nullptr;
    if (e == nullptr) {
      Add("failover_test_missing", PLAN_STATE_UNKNOWN, "");
    } else if (!e->passed) {
      Add("failover_test_failed", PLAN_STATE_NOT_READY, "", {A::Time("t", e->performed)});
    }
    Cadence("failover", plan_.failover_every, e && e->passed ? std::optional<absl::Time>(e->performed) : std::nullopt);
  }

  void EvaluateIntegrity() {
    for (const std::string& key : plan_.integrity) {
      const SourceState* s = Source(key);
      // A corrupt finding stands until a later conclusive result says otherwise, fresh or not.
      if (s != nullptr && s->latest_conclusive && s->latest_conclusive->integrity == paraat::v1::INTEGRITY_CORRUPT) {
        Add("integrity_corrupt", PLAN_STATE_NOT_READY, key,
            {A::Text("source", key), A::Text("message", s->latest_conclusive->message)});
        continue;
      }
      const Observation* o = Usable(key);
      if (o == nullptr) continue;
      if (o->integrity == paraat::v1::INTEGRITY_VERIFIED) verified_ = true;
      if (o->integrity != paraat::v1::INTEGRITY_VERIFIED) {
        Add("integrity_unverified", PLAN_STATE_UNKNOWN, key, {A::Text("source", key)},
            o->integrity == paraat::v1::INTEGRITY_UNSPECIFIED ? "unsupported" : nullptr);
      }
    }
  }

  void EvaluateExercises() {
    if (!plan_.exercise_every) return;
    const PlanExercises* ex = evidence_.Exercises(plan_.id);
    const ExerciseObservation* e = nullptr;
    std::optional<absl::Time> last_good;
    if (ex != nullptr) {
      for (const auto& [kind, obs] : ex->latest_by_kind) {
        if (kind == "training") continue;  // training has its own cadence (training_every)
        if (e == nullptr || obs.performed > e->performed) e = &obs;
        if (obs.passed && (!last_good || obs.performed > *last_good)) last_good = obs.performed;
      }
    }
    if (e == nullptr) {
      Add("exercise_missing", PLAN_STATE_UNKNOWN, "");
    } else if (!e->passed) {
      Add("exercise_failed", PLAN_STATE_NOT_READY, "", {A::Text("kind", e->kind), A::Time("t", e->performed)});
    }
    Cadence("exercise", plan_.exercise_every, last_good);
  }

  const Plan& plan_;
  const EvidenceView& evidence_;
  const absl::Time now_;
  const EvaluationOptions& options_;
  Evaluation out_;
  std::vector<std::string> in_future_;  // sources already reported as dated in the future
  bool verified_ = false;               // a usable source reports INTEGRITY_VERIFIED
  std::optional<RestoreTest> latest_restore_;
};

}  // namespace

Evaluation Evaluate(const Plan& plan, const EvidenceView& evidence, absl::Time now, const EvaluationOptions& options) {
  return PlanEvaluator(plan, evidence, now, options).Run();
}

}  // namespace paraat
