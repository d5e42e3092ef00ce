// Every reason the evaluator gives, in every form, renders from both catalogues: each form is
// produced here (by the evaluator where a scenario is short, else by the function that builds
// it), and the test fails when a catalogue lacks its key, one of its {placeholders}, or a term,
// or when a catalogue holds a reason form that no case produces.
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "collector/evaluation/anomaly.h"
#include "collector/evaluation/dependencies.h"
#include "collector/evaluation/entropy_anomaly.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/forecast.h"
#include "collector/evaluation/foresight.h"
#include "common/detail.h"
#include "common/i18n.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using v1::PLAN_STATE_NOT_READY;
using v1::PLAN_STATE_READY;
using v1::PLAN_STATE_UNKNOWN;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kDay = absl::Hours(24);

class Evidence : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override {
    auto it = sources.find(key);
    return it == sources.end() ? nullptr : &it->second;
  }
  const PlanExercises* Exercises(const std::string&) const override { return has_exercises ? &exercises : nullptr; }

  // A result that finished `ago` before now and arrived `late` after it finished.
  Observation& Result(const std::string& key, v1::CheckStatus status, absl::Duration ago,
                      absl::Duration late = absl::ZeroDuration()) {
    Observation o;
    o.status = status;
    o.kind = "test";
    o.duration = absl::Seconds(1);
    o.finished = kNow - ago;
    o.started = o.finished - o.duration;
    o.interval = absl::Minutes(1);
    o.message = "message from " + key;
    o.recovery_point = kNow - absl::Minutes(5);
    o.integrity = v1::INTEGRITY_VERIFIED;
    SourceState& s = sources[key];
    s.Add(o, o.finished + late);
    return *s.latest;
  }
  void Exercise(const std::string& kind, absl::Duration ago, bool passed, std::optional<double> seconds = 3600) {
    has_exercises = true;
    exercises.Add(ExerciseObservation{kind, kNow - ago, passed, seconds, 0});
  }
  PlanContinuity& Continuity() {
    has_exercises = true;
    return exercises.continuity;
  }

  std::map<std::string, SourceState> sources;
  PlanExercises exercises;
  bool has_exercises = false;
};

Plan BasePlan() {
  Plan p;
  p.id = "p";
  p.name = "P";
  p.rpo = absl::Minutes(15);
  p.rto = absl::Hours(4);
  p.accept_unevidenced["rto"] = "other cases";
  return p;
}

struct Scenario {
  std::string name;
  std::function<void(Plan&, Evidence&)> setup;
};

IncidentObservation Incident(absl::Duration ago, bool significant = true) {
  IncidentObservation i;
  i.opened_seq = 1;
  i.started = kNow - ago;
  i.summary = "outage";
  i.significant = significant;
  return i;
}

std::vector<Scenario> SourceScenarios() {
  using E = Evidence;
  auto rp = [](Plan& p) { p.recovery_point = {"a/dump"}; };
  return {
      {"missing", [&](Plan& p, E&) { rp(p); }},
      {"stale", [&](Plan& p, E& e) { rp(p), e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Hours(1)); }},
      {"error", [&](Plan& p, E& e) { rp(p), e.Result("a/dump", v1::CHECK_STATUS_ERROR, absl::Seconds(5)); }},
      {"future",
       [&](Plan& p, E& e) { rp(p), e.Result("a/dump", v1::CHECK_STATUS_OK, -absl::Hours(3), absl::Hours(-3)); }},
      {"future_point",
       [&](Plan& p, E& e) {
         rp(p);
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5));
         e.sources["a/dump"].latest->recovery_point = kNow + absl::Hours(2);
       }},
      {"future_restore",
       [&](Plan& p, E& e) {
         p.restore_test = {"a/drill"};
         e.Result("a/drill", v1::CHECK_STATUS_OK, -absl::Hours(3), absl::Hours(-3));
         // The latest result could not run; the latest that could is dated ahead.
         SourceState& s = e.sources["a/drill"];
         s.latest_conclusive = s.latest;
         s.latest->status = v1::CHECK_STATUS_ERROR;
         s.latest->finished = s.latest->received = kNow - absl::Seconds(5);
       }},
      {"no_point",
       [&](Plan& p, E& e) {
         p.recovery_point = {"a/dump", "b/dump"};
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).recovery_point.reset();
         e.Result("b/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).integrity = v1::INTEGRITY_CORRUPT;
       }},
      {"corrupt_one",
       [&](Plan& p, E& e) {
         p.recovery_point = {"a/dump", "b/dump"};
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5));
         e.Result("b/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).integrity = v1::INTEGRITY_CORRUPT;
       }},
      {"rpo",
       [&](Plan& p, E& e) {
         rp(p), e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).recovery_point = kNow - absl::Hours(1);
       }},
      {"rpo_margin",
       [&](Plan& p, E& e) {
         rp(p), e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).recovery_point = kNow - absl::Minutes(13);
       }},
  };
}

std::vector<Scenario> TestScenarios() {
  using E = Evidence;
  return {
      {"restore_missing", [](Plan& p, E&) { p.restore_every = 30 * kDay; }},
      {"restore_failed",
       [](Plan& p, E& e) {
         p.restore_test = {"a/drill"};
         e.Result("a/drill", v1::CHECK_STATUS_FAILED, absl::Seconds(5));
       }},
      {"restore_exercise_failed", [](Plan& p, E& e) { e.Exercise("restore", kDay, false); }},
      {"unmeasured", [](Plan& p, E& e) { e.Exercise("restore", kDay, true, std::nullopt); }},
      {"rto_exceeded", [](Plan& p, E& e) { e.Exercise("restore", kDay, true, 5 * 3600); }},
      {"rto_margin", [](Plan& p, E& e) { e.Exercise("restore", kDay, true, 3.5 * 3600); }},
      {"incident_exceeded",
       [](Plan& p, E& e) {
         IncidentObservation i = Incident(absl::Hours(7), false);
         i.recovered = kNow - absl::Hours(2);
         e.Continuity().last_closed = i;
       }},
      {"incident_margin",
       [](Plan& p, E& e) {
         IncidentObservation i = Incident(absl::Hours(5.5), false);
         i.recovered = kNow - absl::Hours(2);
         e.Continuity().last_closed = i;
       }},
      {"restore_overdue", [](Plan& p, E& e) { p.restore_every = 30 * kDay, e.Exercise("restore", 40 * kDay, true); }},
      {"restore_due", [](Plan& p, E& e) { p.restore_every = 30 * kDay, e.Exercise("restore", 29 * kDay, true); }},
      {"failover_not_ready",
       [](Plan& p, E& e) {
         p.failover = {"b/standby"}, e.Result("b/standby", v1::CHECK_STATUS_FAILED, absl::Seconds(5));
       }},
      {"failover_missing", [](Plan& p, E&) { p.failover_every = 30 * kDay; }},
      {"failover_failed", [](Plan& p, E& e) { p.failover_every = 30 * kDay, e.Exercise("failover", kDay, false); }},
      {"failover_overdue",
       [](Plan& p, E& e) { p.failover_every = 30 * kDay, e.Exercise("failover", 40 * kDay, true); }},
      {"failover_due", [](Plan& p, E& e) { p.failover_every = 30 * kDay, e.Exercise("failover", 29 * kDay, true); }},
      {"integrity_corrupt",
       [](Plan& p, E& e) {
         p.integrity = {"c/verify"};
         e.Result("c/verify", v1::CHECK_STATUS_FAILED, absl::Seconds(5)).integrity = v1::INTEGRITY_CORRUPT;
         e.sources["c/verify"].latest_conclusive = e.sources["c/verify"].latest;
       }},
      {"integrity_unverified",
       [](Plan& p, E& e) {
         p.integrity = {"c/verify"};
         e.Result("c/verify", v1::CHECK_STATUS_OK, absl::Seconds(5)).integrity = v1::INTEGRITY_UNVERIFIED;
       }},
      {"integrity_unsupported",
       [](Plan& p, E& e) {
         p.integrity = {"c/verify"};
         e.Result("c/verify", v1::CHECK_STATUS_OK, absl::Seconds(5)).integrity = v1::INTEGRITY_UNSPECIFIED;
       }},
  };
}

std::vector<Scenario> ContinuityScenarios() {
  using E = Evidence;
  auto rp = [](Plan& p) { p.recovery_point = {"a/dump"}; };
  return {
      {"exercise_missing", [](Plan& p, E&) { p.exercise_every = 90 * kDay; }},
      {"exercise_failed", [](Plan& p, E& e) { p.exercise_every = 90 * kDay, e.Exercise("tabletop", kDay, false); }},
      {"exercise_overdue",
       [](Plan& p, E& e) { p.exercise_every = 90 * kDay, e.Exercise("tabletop", 100 * kDay, true); }},
      {"exercise_due", [](Plan& p, E& e) { p.exercise_every = 90 * kDay, e.Exercise("tabletop", 85 * kDay, true); }},
      {"review_never", [](Plan& p, E&) { p.review_every = 365 * kDay; }},
      {"review_overdue",
       [](Plan& p, E& e) {
         p.review_every = 365 * kDay;
         e.Continuity().last_review = ReviewObservation{kNow - 400 * kDay, "Anna", "x", 0};
       }},
      {"review_due",
       [](Plan& p, E& e) {
         p.review_every = 365 * kDay;
         e.Continuity().last_review = ReviewObservation{kNow - 360 * kDay, "Anna", "x", 0};
       }},
      {"training_missing", [](Plan& p, E&) { p.training_every = 365 * kDay; }},
      {"training_failed", [](Plan& p, E& e) { p.training_every = 365 * kDay, e.Exercise("training", kDay, false); }},
      {"training_overdue",
       [](Plan& p, E& e) { p.training_every = 365 * kDay, e.Exercise("training", 400 * kDay, true); }},
      {"training_due", [](Plan& p, E& e) { p.training_every = 365 * kDay, e.Exercise("training", 360 * kDay, true); }},
      {"incident_open", [](Plan& p, E& e) { e.Continuity().open = Incident(absl::Hours(1)); }},
      {"incident_rto", [](Plan& p, E& e) { e.Continuity().open = Incident(absl::Hours(5)); }},
      {"incident_rto_mtpd",
       [](Plan& p, E& e) { p.mtpd = absl::Hours(48), e.Continuity().open = Incident(absl::Hours(5)); }},
      {"nis2_final",
       [](Plan& p, E& e) {
         IncidentObservation i = Incident(absl::Hours(80));
         i.reports = {{"early-warning", kNow - absl::Hours(70)}, {"notification", kNow - absl::Hours(20)}};
         e.Continuity().open = i;
       }},
      {"incident_mtpd",
       [](Plan& p, E& e) { p.mtpd = absl::Hours(24), e.Continuity().open = Incident(absl::Hours(30)); }},
      {"unevidenced", [&](Plan& p, E& e) { rp(p), p.accept_unevidenced.clear(); }},
      {"assurance_below_required",
       [&](Plan& p, E& e) {
         rp(p), p.require["rto"] = Assurance::kRestored;
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5));
       }},
      {"copies_one",
       [&](Plan& p, E& e) {
         rp(p);
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5));
         p.foresight.copies = CopiesRequirement{3, 1, 1, 2, ""};
       }},
      {"copies_two",
       [&](Plan& p, E& e) {
         p.recovery_point = {"a/dump", "b/dump"};
         e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).media = "disk";
         e.Result("b/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).media = "disk";
         p.foresight.copies = CopiesRequirement{3, 0, 0, 2, ""};
       }},
      {"forecast",
       [](Plan& p, E& e) {
         p.restore_test = {"a/drill"};
         for (int i = 0; i < 10; ++i) {
           Observation o;
           o.status = v1::CHECK_STATUS_OK;
           o.kind = "restore_test";
           o.interval = kDay;
           o.finished = kNow - (9 - i) * kDay - absl::Minutes(1);
           o.duration = absl::Seconds(3 * 3600 + i * 600);
           o.started = o.finished - o.duration;
           o.restore_duration_seconds = absl::ToDoubleSeconds(o.duration);
           o.restore_succeeded = true;
           e.sources["a/drill"].Add(o, o.finished);
         }
       }},
  };
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all = SourceScenarios();
  for (auto more : {TestScenarios(), ContinuityScenarios()}) all.insert(all.end(), more.begin(), more.end());
  return all;
}

// Every detail reachable from `d`, and every term it names.
void Collect(const Detail& d, std::set<std::string>* keys) {
  keys->insert(d.key);
  for (const DetailArg& a : d.args) {
    if (a.kind == DetailKind::kTerm) keys->insert(a.text);
    for (const Detail& item : a.items) Collect(item, keys);
  }
}

class ReasonCatalog : public ::testing::Test {
 protected:
  // Checks one reason's detail in both languages and remembers the keys it reached.
  void Check(const std::string& where, const std::string& code, const Detail& d, const std::string& text) {
    SCOPED_TRACE(where + ": " + code);
    EXPECT_THAT(d.key, ::testing::StartsWith("reason." + code + ".detail"));
    for (Lang lang : kAllLangs) EXPECT_THAT(DetailProblems(d, lang), IsEmpty());
    if (!text.empty()) {
      EXPECT_EQ(MachineText(d), text);
    }
    const std::string nl = RenderDetail(d, Localizer(Lang::kNl, amsterdam_), DetailStyle::kPage);
    const std::string en = RenderDetail(d, Localizer(Lang::kEn, amsterdam_), DetailStyle::kPage);
    EXPECT_NE(nl, en);
    for (const std::string& s : {nl, en}) {
      EXPECT_THAT(s, ::testing::Not(HasSubstr("[[")));
      EXPECT_FALSE(std::regex_search(s, std::regex("\\{[a-z_0-9]+\\}"))) << s;
    }
    Collect(d, &reached_);
  }
  void CheckAll(const std::string& where, const Evaluation& e) {
    for (const Reason& r : e.reasons) Check(where, r.code, r.detail, r.text);
  }

  absl::TimeZone amsterdam_ = LoadZone("Europe/Amsterdam").value();
  std::set<std::string> reached_;
};

TEST_F(ReasonCatalog, EveryFormRendersInBothLanguagesAndNoneIsLeftOut) {
  for (const Scenario& s : Scenarios()) {
    Plan p = BasePlan();
    Evidence e;
    s.setup(p, e);
    Evaluation ev = Evaluate(p, e, kNow);
    EXPECT_FALSE(ev.reasons.empty()) << s.name;
    CheckAll(s.name, ev);
  }

  // Chains: a process on a database that is not ready, one whose state is unknown, one that
  // recovers near the RTO, and one that depends on a plan without a measured recovery time.
  Plan db = BasePlan(), db2 = BasePlan(), db3 = BasePlan(), app = BasePlan(), app2 = BasePlan(), app3 = BasePlan();
  db.id = "db", db2.id = "db2", db3.id = "db3", app.id = "app", app2.id = "app2", app3.id = "app3";
  db.rto = absl::Hours(8), db.mtpd = absl::Hours(48), app.mtpd = absl::Hours(4.5);
  app.depends_on = {"db", "db3"}, app2.depends_on = {"db2"}, app3.depends_on = {"db3"};
  Evaluation edb, edb2, edb3, eapp, eapp2, eapp3;
  edb.AddReason("source_missing", PLAN_STATE_NOT_READY, "db/dump",
                Detail{"reason.source_missing.detail", {DetailArg::Text("source", "db/dump")}});
  edb.own_recovery_seconds = 5 * 3600;
  edb2.own_recovery_seconds = 3.5 * 3600;
  edb3.AddReason("source_missing", PLAN_STATE_UNKNOWN, "db3/dump",
                 Detail{"reason.source_missing.detail", {DetailArg::Text("source", "db3/dump")}});
  eapp.own_recovery_seconds = 0, eapp2.own_recovery_seconds = 0, eapp3.own_recovery_seconds = 5 * 3600;
  for (Evaluation* x : {&edb, &edb2, &edb3, &eapp, &eapp2, &eapp3}) x->Settle();
  ApplyDependencies({{&db, &edb}, {&db2, &edb2}, {&db3, &edb3}, {&app, &eapp}, {&app2, &eapp2}, {&app3, &eapp3}});
  for (const Evaluation* x : {&eapp, &eapp2, &eapp3}) CheckAll("chain", *x);

  // Forms that take long histories to reach: built by the functions the evaluator calls.
  RestoreForecast f{kNow, 3 * 3600, 10, 1e-3, kNow + 10 * kDay, std::nullopt};
  std::vector<RestoreForecast> forecasts = {f, f, f};
  forecasts[1].breach = kNow - kDay, forecasts[1].bytes_per_second = 50e6;
  forecasts[2].breach = kNow + absl::Hours(5);
  for (double growth : {0.05, 1.0, 100.0, 1e5}) {  // a day, an hour, a minute, a second
    forecasts.push_back(f);
    forecasts.back().growth_per_second = growth;
  }
  for (const RestoreForecast& x : forecasts) {
    Check(
        "forecast", "rto_forecast",
        Detail{"reason.rto_forecast.detail",
               {DetailArg::Text("source", "a/drill"), DetailArg::Nested("forecast", ForecastDetail(x, absl::Hours(4))),
                DetailArg::Duration("horizon", 30 * kDay)}},
        "");
  }
  for (const char* what : {"size", "file count"}) {
    for (bool weekday : {false, true}) {
      for (double median : {0.0, 5e9}) {
        SizeAnomaly a{what, 400 << 20, median, 0.12, 8, weekday, kNow};
        Check("size", "backup_size_anomaly",
              Detail{"reason.backup_size_anomaly.detail",
                     {DetailArg::Text("source", "a/dump"), DetailArg::Nested("anomaly", SizeAnomalyDetail(a))}},
              "");
      }
    }
  }
  for (int day = 0; day < 7; ++day) reached_.insert(absl::StrCat("reason.part.weekday.", day));
  Check("entropy", "backup_entropy_anomaly",
        Detail{"reason.backup_entropy_anomaly.detail",
               {DetailArg::Text("source", "a/dump"),
                DetailArg::Nested("anomaly", EntropyAnomalyDetail(EntropyAnomaly{7.99, 4.91, 6, kNow}))}},
        "");

  Observation rotation;
  rotation.verify_within_seconds = 30 * 86400;
  rotation.coverage_reach_seconds = 70 * 86400;
  Check("coverage", "coverage_age_exceeded", CoverageAgeDetail("a/dump", rotation).value(),
        "a/dump: the rotation needs 70d to read every byte back, longer than verify_within 30d");
  rotation.coverage_reach_seconds = 10 * 86400;
  rotation.coverage_age_seconds = 40 * 86400;
  Check("coverage", "coverage_age_exceeded", CoverageAgeDetail("a/dump", rotation).value(),
        "a/dump: the oldest byte has not been read back for 40d, longer than verify_within 30d");

  // No reason form in the catalogue that nothing produces (a form renamed in the code only).
  for (const auto& [key, text] : Catalog::Builtin().Entries(Lang::kEn)) {
    if (key.rfind("reason.", 0) != 0) continue;
    if (key.find(".detail") == std::string::npos && key.rfind("reason.part.", 0) != 0) continue;
    EXPECT_TRUE(reached_.count(key)) << key << " is in the catalogue, but no case produced it";
  }
}

TEST_F(ReasonCatalog, DutchDetailUsesTheZoneAndTheLocalizersFormats) {
  Plan p = BasePlan();
  p.recovery_point = {"a/dump"};
  Evidence e;
  e.Result("a/dump", v1::CHECK_STATUS_OK, absl::Seconds(5)).recovery_point = kNow - absl::Minutes(90);
  Evaluation ev = Evaluate(p, e, kNow);
  ASSERT_TRUE(ev.HasReason("rpo_breached"));
  // kNow is 2027-01-15T08:00:00Z: 09:30 in Amsterdam (CET), 90 minutes earlier.
  EXPECT_EQ(RenderDetail(ev.reasons[0].detail, Localizer(Lang::kNl, amsterdam_), DetailStyle::kPage),
            "behaalde RPO 1 u 30 min overschrijdt het doel 15 min (nieuwste herstelpunt 15 jan 2027 07:30 van a/dump)");
  EXPECT_EQ(ev.reasons[0].text,
            "achieved RPO 1h30m exceeds the target 15m (newest recovery point 2027-01-15T06:30:00Z from a/dump)");

  // Through the proto and back, as paraatctl and the console receive it.
  v1::ReasonDetail pd;
  ToProto(ev.reasons[0].detail, &pd);
  EXPECT_EQ(FromProto(pd), ev.reasons[0].detail);
}

}  // namespace
}  // namespace paraat
