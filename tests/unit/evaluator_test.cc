// Plan evaluation with an injected clock: every rule of docs/design.md's "Evaluation", table-driven.
#include "collector/evaluation/evaluator.h"

#include <functional>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAreArray;
using v1::CHECK_STATUS_ERROR;
using v1::CHECK_STATUS_FAILED;
using v1::CHECK_STATUS_OK;
using v1::CHECK_STATUS_WARNING;
using v1::INTEGRITY_CORRUPT;
using v1::INTEGRITY_UNVERIFIED;
using v1::INTEGRITY_VERIFIED;
using v1::PLAN_STATE_AT_RISK;
using v1::PLAN_STATE_NOT_READY;
using v1::PLAN_STATE_READY;
using v1::PLAN_STATE_UNKNOWN;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Duration kDay = absl::Hours(24);

class FakeEvidence : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override {
    auto it = sources.find(key);
    return it == sources.end() ? nullptr : &it->second;
  }
  const PlanExercises* Exercises(const std::string& plan_id) const override {
    auto it = exercises.find(plan_id);
    return it == exercises.end() ? nullptr : &it->second;
  }
  // A result that finished `ago` before now.
  Observation& Add(const std::string& key, v1::CheckStatus status, absl::Duration ago,
                   absl::Duration interval = absl::Minutes(1)) {
    Observation o;
    o.status = status;
    o.kind = "test";
    o.duration = absl::Seconds(1);
    o.finished = kNow - ago;
    o.started = o.finished - o.duration;
    o.interval = interval;
    o.message = "message from " + key;
    SourceState& s = sources[key];
    s.Add(o, o.finished);
    return s.latest.value();
  }
  void Exercise(const std::string& kind, absl::Duration ago, bool passed,
                std::optional<double> duration = std::nullopt) {
    exercises["p"].Add(ExerciseObservation{kind, kNow - ago, passed, duration, 0});
  }
  std::map<std::string, SourceState> sources;
  std::map<std::string, PlanExercises> exercises;
};

Plan BasePlan() {
  Plan p;
  p.id = "p";
  p.name = "P";
  p.rpo = absl::Minutes(15);
  p.rto = absl::Hours(4);
  // The cases below are about the other rules; rto_unevidenced has its own tests
  // (dependencies_test.cc), and a case that records a restore test or failover is evidence anyway.
  p.accept_unevidenced["rto"] = "not the subject of these cases";
  return p;
}

struct Case {
  std::string name;
  std::function<void(Plan&, FakeEvidence&)> setup;
  PlanState state;
  std::vector<std::string> codes;
};

// Recovery point source with a backup taken `age` ago, reported by a fresh result.
void Backup(FakeEvidence& e, const std::string& key, absl::Duration age, v1::Integrity integrity = INTEGRITY_VERIFIED) {
  Observation& o = e.Add(key, CHECK_STATUS_OK, absl::Seconds(10));
  o.recovery_point = kNow - age;
  o.integrity = integrity;
  e.sources[key].latest_conclusive = o;
  e.sources[key].latest_ok = o;
}

// A restore test that ran `ago` and took `took`.
void Restore(FakeEvidence& e, absl::Duration ago, absl::Duration took, bool ok = true) {
  Observation& o = e.Add("a/drill", ok ? CHECK_STATUS_OK : CHECK_STATUS_FAILED, ago, kDay);
  o.restore_duration_seconds = absl::ToDoubleSeconds(took);
  o.restore_succeeded = ok;
  e.sources["a/drill"].latest_conclusive = o;
}

class EvaluateTest : public ::testing::TestWithParam<Case> {};

TEST_P(EvaluateTest, StateAndReasons) {
  const Case& c = GetParam();
  Plan plan = BasePlan();
  FakeEvidence evidence;
  c.setup(plan, evidence);
  Evaluation e = Evaluate(plan, evidence, kNow);
  std::vector<std::string> codes;
  for (const Reason& r : e.reasons) codes.push_back(r.code);
  EXPECT_EQ(PlanStateName(e.state), std::string(PlanStateName(c.state)));
  EXPECT_THAT(codes, UnorderedElementsAreArray(c.codes));
  // The state is always the worst state any reason implies.
  for (const Reason& r : e.reasons)
    EXPECT_LE(r.implies == PLAN_STATE_NOT_READY ? 3
              : r.implies == PLAN_STATE_UNKNOWN ? 2
                                                : 1,
              e.state == PLAN_STATE_NOT_READY ? 3
              : e.state == PLAN_STATE_UNKNOWN ? 2
                                              : 1);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, EvaluateTest,
    ::testing::Values(
        // --- recovery point -----------------------------------------------------------------
        Case{"fresh_backup_within_rpo",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               Backup(e, "a/dump", absl::Minutes(5));
             },
             PLAN_STATE_READY,
             {}},
        Case{"backup_aged_past_rpo",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               Backup(e, "a/dump", absl::Minutes(16));
             },
             PLAN_STATE_NOT_READY,
             {"rpo_breached"}},
        Case{"backup_beyond_80_percent_of_rpo",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               Backup(e, "a/dump", absl::Minutes(13));
             },
             PLAN_STATE_AT_RISK,
             {"rpo_margin"}},
        Case{"no_evidence_at_all",
             [](Plan& p, FakeEvidence&) { p.recovery_point = {"a/dump"}; },
             PLAN_STATE_UNKNOWN,
             {"source_missing", "recovery_point_unknown"}},
        Case{"stale_source_is_unknown_not_ready",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               Observation& o = e.Add("a/dump", CHECK_STATUS_OK, absl::Minutes(20), absl::Minutes(1));
               o.recovery_point = kNow - absl::Minutes(21);
             },
             PLAN_STATE_UNKNOWN,
             {"source_stale", "recovery_point_unknown"}},
        Case{"fresh_until_three_intervals",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               p.rpo = absl::Hours(2);
               Observation& o = e.Add("a/dump", CHECK_STATUS_OK, absl::Minutes(29), absl::Minutes(10));
               o.recovery_point = kNow - absl::Minutes(30);
             },
             PLAN_STATE_READY,
             {}},
        Case{"stale_after_at_least_five_minutes",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               // Interval 10s: 3 intervals is 30s, but staleness needs 5 minutes.
               Observation& o = e.Add("a/dump", CHECK_STATUS_OK, absl::Minutes(4), absl::Seconds(10));
               o.recovery_point = kNow - absl::Minutes(4);
             },
             PLAN_STATE_READY,
             {}},
        Case{"check_could_not_run",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               e.Add("a/dump", CHECK_STATUS_ERROR, absl::Seconds(5));
             },
             PLAN_STATE_UNKNOWN,
             {"source_error", "recovery_point_unknown"}},
        Case{"one_of_two_sources_stale",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/standby", "a/dump"};
               Backup(e, "a/dump", absl::Minutes(2));
               e.Add("a/standby", CHECK_STATUS_OK, absl::Hours(1));
             },
             PLAN_STATE_UNKNOWN,
             {"source_stale"}},
        Case{"newest_of_two_sources_counts",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/standby", "a/dump"};
               Backup(e, "a/dump", absl::Hours(20));
               Backup(e, "a/standby", absl::Seconds(3));
             },
             PLAN_STATE_READY,
             {}},
        Case{"only_backup_corrupt",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               Backup(e, "a/dump", absl::Minutes(1), INTEGRITY_CORRUPT);
             },
             PLAN_STATE_NOT_READY,
             {"no_recovery_point"}},
        Case{"backup_missing_is_a_breach",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               e.Add("a/dump", CHECK_STATUS_FAILED, absl::Seconds(5));
             },
             PLAN_STATE_NOT_READY,
             {"no_recovery_point"}},
        Case{"corrupt_source_beside_a_good_one",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/standby", "a/dump"};
               Backup(e, "a/standby", absl::Seconds(3));
               Backup(e, "a/dump", absl::Minutes(1), INTEGRITY_CORRUPT);
             },
             PLAN_STATE_AT_RISK,
             {"recovery_point_corrupt"}},
        Case{"replica_failed_but_recovery_point_known",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/standby"};
               Observation& o = e.Add("a/standby", CHECK_STATUS_FAILED, absl::Seconds(5));
               o.recovery_point = kNow - absl::Minutes(30);
             },
             PLAN_STATE_NOT_READY,
             {"rpo_breached"}},
        // --- restore tests and RTO -------------------------------------------------------------
        Case{"restore_test_passed_within_rto",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               Restore(e, absl::Hours(2), absl::Hours(1));
             },
             PLAN_STATE_READY,
             {}},
        Case{"restore_test_failed",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               Restore(e, absl::Hours(2), absl::Hours(1), false);
             },
             PLAN_STATE_NOT_READY,
             {"restore_test_failed"}},
        Case{"restore_test_too_slow",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               Restore(e, absl::Hours(2), absl::Hours(5));
             },
             PLAN_STATE_NOT_READY,
             {"rto_exceeded"}},
        Case{"restore_test_near_rto",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               Restore(e, absl::Hours(2), absl::Hours(3.5));
             },
             PLAN_STATE_AT_RISK,
             {"rto_margin"}},
        Case{"restore_test_overdue",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               p.restore_every = 7 * kDay;
               Restore(e, absl::Hours(2), absl::Hours(1));
               // The check itself last ran (and reported) 8 days ago: overdue and stale.
               for (auto* o : {&*e.sources["a/drill"].latest, &*e.sources["a/drill"].latest_conclusive}) {
                 o->finished = o->received = kNow - 8 * kDay;
               }
             },
             PLAN_STATE_NOT_READY,
             {"restore_test_overdue", "source_stale"}},
        Case{"restore_test_due_soon",
             [](Plan& p, FakeEvidence& e) {
               p.restore_every = 90 * kDay;
               e.Exercise("restore", 80 * kDay, true, 3600);
             },
             PLAN_STATE_AT_RISK,
             {"restore_test_due"}},
        Case{"no_restore_test_yet",
             [](Plan& p, FakeEvidence& e) { p.restore_every = 90 * kDay; },
             PLAN_STATE_UNKNOWN,
             {"restore_test_missing"}},
        Case{"restore_drill_could_not_run_tonight",
             [](Plan& p, FakeEvidence& e) {
               p.restore_test = {"a/drill"};
               Restore(e, absl::Hours(26), absl::Hours(1));
               e.Add("a/drill", CHECK_STATUS_ERROR, absl::Hours(2), kDay);
             },
             PLAN_STATE_UNKNOWN,
             {"source_error"}},
        Case{"restore_exercise_by_people_counts",
             [](Plan& p, FakeEvidence& e) {
               p.restore_every = 365 * kDay;
               e.Exercise("restore", 30 * kDay, true, 2 * 3600);
             },
             PLAN_STATE_READY,
             {}},
        Case{"restore_exercise_without_duration_cannot_prove_rto",
             [](Plan& p, FakeEvidence& e) {
               p.restore_every = 365 * kDay;
               e.Exercise("restore", 30 * kDay, true);
             },
             PLAN_STATE_UNKNOWN,
             {"rto_unmeasured"}},
        // --- failover ----------------------------------------------------------------------------
        Case{"failover_target_ready",
             [](Plan& p, FakeEvidence& e) {
               p.failover = {"dr/http"};
               e.Add("dr/http", CHECK_STATUS_OK, absl::Seconds(5)).ready = true;
             },
             PLAN_STATE_READY,
             {}},
        Case{"failover_target_down",
             [](Plan& p, FakeEvidence& e) {
               p.failover = {"dr/http"};
               e.Add("dr/http", CHECK_STATUS_FAILED, absl::Seconds(5));
             },
             PLAN_STATE_NOT_READY,
             {"failover_not_ready"}},
        Case{"failover_target_reports_not_ready",
             [](Plan& p, FakeEvidence& e) {
               p.failover = {"dr/pg"};
               e.Add("dr/pg", CHECK_STATUS_WARNING, absl::Seconds(5)).ready = false;
             },
             PLAN_STATE_NOT_READY,
             {"failover_not_ready"}},
        Case{"failover_test_never_done",
             [](Plan& p, FakeEvidence& e) { p.failover_every = 365 * kDay; },
             PLAN_STATE_UNKNOWN,
             {"failover_test_missing"}},
        Case{"failover_test_failed",
             [](Plan& p, FakeEvidence& e) {
               p.failover_every = 365 * kDay;
               e.Exercise("failover", 10 * kDay, false);
             },
             PLAN_STATE_NOT_READY,
             {"failover_test_failed"}},
        Case{"failover_test_overdue",
             [](Plan& p, FakeEvidence& e) {
               p.failover_every = 365 * kDay;
               e.Exercise("failover", 400 * kDay, true);
             },
             PLAN_STATE_NOT_READY,
             {"failover_test_overdue"}},
        // --- integrity ---------------------------------------------------------------------------
        Case{"integrity_verified",
             [](Plan& p, FakeEvidence& e) {
               p.integrity = {"b/restic"};
               e.Add("b/restic", CHECK_STATUS_OK, absl::Seconds(5)).integrity = INTEGRITY_VERIFIED;
             },
             PLAN_STATE_READY,
             {}},
        Case{"integrity_corrupt",
             [](Plan& p, FakeEvidence& e) {
               p.integrity = {"b/restic"};
               Observation& o = e.Add("b/restic", CHECK_STATUS_FAILED, absl::Seconds(5));
               o.integrity = INTEGRITY_CORRUPT;
               e.sources["b/restic"].latest_conclusive = o;
             },
             PLAN_STATE_NOT_READY,
             {"integrity_corrupt"}},
        Case{"corrupt_stays_until_disproved_even_when_stale",
             [](Plan& p, FakeEvidence& e) {
               p.integrity = {"b/restic"};
               Observation& o = e.Add("b/restic", CHECK_STATUS_FAILED, 3 * kDay);
               o.integrity = INTEGRITY_CORRUPT;
               e.sources["b/restic"].latest_conclusive = o;
             },
             PLAN_STATE_NOT_READY,
             {"integrity_corrupt", "source_stale"}},
        Case{"integrity_unverified",
             [](Plan& p, FakeEvidence& e) {
               p.integrity = {"b/files"};
               e.Add("b/files", CHECK_STATUS_OK, absl::Seconds(5)).integrity = INTEGRITY_UNVERIFIED;
             },
             PLAN_STATE_UNKNOWN,
             {"integrity_unverified"}},
        // --- exercises ---------------------------------------------------------------------------
        Case{"exercise_missing",
             [](Plan& p, FakeEvidence&) { p.exercise_every = 365 * kDay; },
             PLAN_STATE_UNKNOWN,
             {"exercise_missing"}},
        Case{"exercise_recent",
             [](Plan& p, FakeEvidence& e) {
               p.exercise_every = 365 * kDay;
               e.Exercise("tabletop", 100 * kDay, true);
             },
             PLAN_STATE_READY,
             {}},
        Case{"exercise_due_within_14_days",
             [](Plan& p, FakeEvidence& e) {
               p.exercise_every = 365 * kDay;
               e.Exercise("tabletop", 360 * kDay, true);
             },
             PLAN_STATE_AT_RISK,
             {"exercise_test_due"}},
        Case{"exercise_overdue",
             [](Plan& p, FakeEvidence& e) {
               p.exercise_every = 365 * kDay;
               e.Exercise("tabletop", 366 * kDay, true);
             },
             PLAN_STATE_NOT_READY,
             {"exercise_test_overdue"}},
        Case{"latest_exercise_failed",
             [](Plan& p, FakeEvidence& e) {
               p.exercise_every = 365 * kDay;
               e.Exercise("tabletop", 100 * kDay, true);
               e.Exercise("failover", 5 * kDay, false);
             },
             PLAN_STATE_NOT_READY,
             {"exercise_failed"}},
        // --- combinations: the worst state wins --------------------------------------------------
        Case{"breach_outranks_missing_evidence",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               p.failover = {"dr/http"};
               Backup(e, "a/dump", absl::Hours(1));
             },
             PLAN_STATE_NOT_READY,
             {"rpo_breached", "source_missing"}},
        Case{"missing_evidence_outranks_margin",
             [](Plan& p, FakeEvidence& e) {
               p.recovery_point = {"a/dump"};
               p.exercise_every = 365 * kDay;
               Backup(e, "a/dump", absl::Minutes(14));
             },
             PLAN_STATE_UNKNOWN,
             {"rpo_margin", "exercise_missing"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(Evaluate, ReportsAchievedRpoAndItsSource) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/standby", "a/dump"};
  FakeEvidence e;
  Backup(e, "a/dump", absl::Hours(3));
  Backup(e, "a/standby", absl::Seconds(42));
  Evaluation ev = Evaluate(plan, e, kNow);
  ASSERT_TRUE(ev.achieved_rpo);
  EXPECT_EQ(*ev.achieved_rpo, absl::Seconds(42));
  EXPECT_EQ(ev.recovery_point_source, "a/standby");
  EXPECT_EQ(*ev.recovery_point, kNow - absl::Seconds(42));
}

TEST(Evaluate, ReasonsAreWorstFirstAndReadable) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/dump"};
  plan.exercise_every = 365 * kDay;
  FakeEvidence e;
  Backup(e, "a/dump", absl::Minutes(47));
  Evaluation ev = Evaluate(plan, e, kNow);
  ASSERT_EQ(ev.reasons.size(), 2u);
  EXPECT_EQ(ev.reasons[0].code, "rpo_breached");
  EXPECT_EQ(ev.reasons[0].source, "a/dump");
  EXPECT_EQ(ev.reasons[0].text,
            "achieved RPO 47m exceeds the target 15m (newest recovery point 2027-01-15T07:13:00Z from a/dump)");
  EXPECT_EQ(ev.reasons[1].code, "exercise_missing");
}

TEST(Evaluate, StaleSourcesAreCounted) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/one", "a/two", "a/three"};
  FakeEvidence e;
  Backup(e, "a/one", absl::Minutes(1));
  e.Add("a/two", CHECK_STATUS_OK, absl::Hours(1));
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.stale_sources, 2);  // a/two stale, a/three never seen
}

TEST(Evaluate, TestDueDatesFollowTheCadence) {
  Plan plan = BasePlan();
  plan.restore_every = 90 * kDay;
  plan.exercise_every = 365 * kDay;
  FakeEvidence e;
  e.Exercise("restore", 10 * kDay, true, 600);
  Evaluation ev = Evaluate(plan, e, kNow);
  ASSERT_EQ(ev.tests.size(), 2u);
  EXPECT_EQ(ev.tests[0].test, "restore");
  EXPECT_EQ(ev.tests[0].due, kNow + 80 * kDay);
  EXPECT_EQ(ev.tests[1].test, "exercise");
  EXPECT_EQ(ev.tests[1].due, kNow + 355 * kDay);  // a restore exercise is an exercise too
}

TEST(Evaluate, ShortCadenceUsesAFifthOfItAsWarning) {
  Plan plan = BasePlan();
  plan.restore_every = 7 * kDay;
  FakeEvidence e;
  e.Exercise("restore", 5 * kDay, true, 600);  // due in 2 days; 14 days would always warn
  EXPECT_EQ(Evaluate(plan, e, kNow).state, PLAN_STATE_READY);
  e.Exercise("restore", 6 * kDay - absl::Hours(1), true, 600);
  e.exercises["p"].latest_by_kind.clear();
  e.Exercise("restore", 6 * kDay, true, 600);  // due in 1 day: within a fifth of 7 days
  EXPECT_EQ(Evaluate(plan, e, kNow).state, PLAN_STATE_AT_RISK);
}

TEST(Evaluate, IsDeterministic) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/dump"};
  plan.restore_every = 90 * kDay;
  FakeEvidence e;
  Backup(e, "a/dump", absl::Minutes(3));
  Evaluation a = Evaluate(plan, e, kNow);
  Evaluation b = Evaluate(plan, e, kNow);
  EXPECT_EQ(a.reasons, b.reasons);
  EXPECT_EQ(a.state, b.state);
}

// --- time: the collector's receipt time, and times dated in the future ---------------------------

// A source whose agent dates its result `agent_ahead` ahead of the collector (received now-10s).
Observation& Skewed(FakeEvidence& e, const std::string& key, absl::Duration agent_ahead) {
  Observation& o = e.Add(key, CHECK_STATUS_OK, absl::Seconds(10));
  o.finished += agent_ahead;
  o.started += agent_ahead;
  e.sources[key].latest_conclusive = o;
  e.sources[key].latest_ok = o;
  return o;
}

TEST(EvaluateTime, FreshnessIsJudgedByWhenTheCollectorReceivedTheResult) {
  Plan plan = BasePlan();
  plan.failover = {"a/up"};
  FakeEvidence e;
  // An agent three hours behind: its result looks old, yet it arrived ten seconds ago.
  Skewed(e, "a/up", -absl::Hours(3));
  EXPECT_EQ(Evaluate(plan, e, kNow).state, PLAN_STATE_READY);
  // Received ten minutes ago, whatever the agent's clock says: stale.
  for (auto* o : {&*e.sources["a/up"].latest, &*e.sources["a/up"].latest_conclusive}) {
    o->received = kNow - absl::Minutes(10);
    o->finished = kNow;  // an agent's clock running ten minutes ahead keeps nothing fresh
  }
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN);
  EXPECT_TRUE(ev.HasReason("source_stale"));
}

TEST(EvaluateTime, AResultDatedInTheFutureIsNotUsable) {
  Plan plan = BasePlan();
  plan.failover = {"a/up"};
  FakeEvidence e;
  Skewed(e, "a/up", absl::Hours(3));
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN);
  ASSERT_TRUE(ev.HasReason("recovery_point_in_future"));
  EXPECT_EQ(ev.reasons[0].source, "a/up");
  EXPECT_THAT(ev.reasons[0].text, ::testing::HasSubstr("3h ahead of the collector's clock (tolerance 5m)"));
  EXPECT_EQ(ev.failover_ready, false);
  // Within the tolerance it counts.
  FakeEvidence near;
  Skewed(near, "a/up", absl::Minutes(4));
  EXPECT_EQ(Evaluate(plan, near, kNow).state, PLAN_STATE_READY);
  EvaluationOptions strict;
  strict.future_tolerance = absl::Minutes(1);
  EXPECT_EQ(Evaluate(plan, near, kNow, strict).state, PLAN_STATE_UNKNOWN);
}

TEST(EvaluateTime, ABackupDatedInTheFutureNeitherCountsNorWins) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/future", "a/honest"};
  FakeEvidence e;
  Backup(e, "a/honest", absl::Minutes(5));
  Backup(e, "a/future", -absl::Hours(3));  // a backup host whose clock runs three hours ahead
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN) << "unknown at best, never ready on it";
  EXPECT_TRUE(ev.HasReason("recovery_point_in_future"));
  EXPECT_EQ(ev.recovery_point_source, "a/honest");
  EXPECT_EQ(*ev.achieved_rpo, absl::Minutes(5));
  // Alone, it gives no recovery point at all.
  plan.recovery_point = {"a/future"};
  ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN);
  EXPECT_FALSE(ev.recovery_point);
  EXPECT_TRUE(ev.HasReason("recovery_point_unknown"));
}

TEST(EvaluateTime, ARestoreTestDatedInTheFutureIsNotATest) {
  Plan plan = BasePlan();
  plan.restore_test = {"a/drill"};
  plan.restore_every = 7 * kDay;
  FakeEvidence e;
  Restore(e, absl::Hours(2), absl::Minutes(10));
  Restore(e, -absl::Hours(5), absl::Minutes(10));  // "finished" five hours from now
  e.sources["a/drill"].latest->received = e.sources["a/drill"].latest_conclusive->received = kNow;
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN);
  EXPECT_TRUE(ev.HasReason("recovery_point_in_future"));
  EXPECT_TRUE(ev.HasReason("restore_test_missing"));
  EXPECT_EQ(std::count_if(ev.reasons.begin(), ev.reasons.end(),
                          [](const Reason& r) { return r.code == "recovery_point_in_future"; }),
            1)
      << "once per source";
}

// --- assurance (collector/evaluation/assurance.h) ---------------------------------------------

struct AssuranceCase {
  std::string name;
  std::function<void(Plan&, FakeEvidence&)> setup;
  Assurance rpo, rto;
};

class AssuranceTest : public ::testing::TestWithParam<AssuranceCase> {};

TEST_P(AssuranceTest, Levels) {
  const AssuranceCase& c = GetParam();
  Plan plan = BasePlan();
  FakeEvidence evidence;
  c.setup(plan, evidence);
  const Evaluation e = Evaluate(plan, evidence, kNow);
  EXPECT_EQ(AssuranceName(e.assurance.rpo), std::string(AssuranceName(c.rpo))) << "RPO";
  EXPECT_EQ(AssuranceName(e.assurance.rto), std::string(AssuranceName(c.rto))) << "RTO";
}

// A failover target that reports ready.
void Standby(FakeEvidence& e, bool ready = true) {
  e.Add("b/standby", CHECK_STATUS_OK, absl::Seconds(10)).ready = ready;
}

using As = Assurance;
INSTANTIATE_TEST_SUITE_P(
    Assurance, AssuranceTest,
    ::testing::Values(AssuranceCase{"no_evidence_is_declared",
                                    [](Plan& p, FakeEvidence&) { p.recovery_point = {"a/dump"}; }, As::kDeclared,
                                    As::kDeclared},
                      AssuranceCase{"a_listed_backup_is_monitored",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.recovery_point = {"a/dump"};
                                      Backup(e, "a/dump", absl::Minutes(5), INTEGRITY_UNVERIFIED);
                                    },
                                    As::kMonitored, As::kDeclared},
                      AssuranceCase{"a_stale_backup_counts_for_nothing",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.recovery_point = {"a/dump"};
                                      Backup(e, "a/dump", absl::Minutes(5));
                                      e.sources["a/dump"].latest->received = kNow - absl::Hours(1);
                                    },
                                    As::kDeclared, As::kDeclared},
                      AssuranceCase{"bytes_read_back_are_verified",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.recovery_point = {"a/dump"};
                                      p.integrity = {"a/verify"};
                                      Backup(e, "a/dump", absl::Minutes(5), INTEGRITY_UNVERIFIED);
                                      e.Add("a/verify", CHECK_STATUS_OK, absl::Seconds(10)).integrity =
                                          INTEGRITY_VERIFIED;
                                    },
                                    As::kVerified, As::kDeclared},
                      AssuranceCase{"a_corrupt_copy_is_not_verified",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.recovery_point = {"a/dump", "b/dump"};
                                      Backup(e, "a/dump", absl::Minutes(5));
                                      Backup(e, "b/dump", absl::Minutes(5), INTEGRITY_CORRUPT);
                                    },
                                    As::kMonitored, As::kDeclared},
                      AssuranceCase{"a_ready_standby_is_monitored",
                                    [](Plan& p, FakeEvidence& e) { p.failover = {"b/standby"}, Standby(e); },
                                    As::kDeclared, As::kMonitored},
                      AssuranceCase{"a_standby_not_ready_counts_for_nothing",
                                    [](Plan& p, FakeEvidence& e) { p.failover = {"b/standby"}, Standby(e, false); },
                                    As::kDeclared, As::kDeclared},
                      AssuranceCase{"a_validated_restore_test_is_restored",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.restore_test = {"a/drill"};
                                      Restore(e, absl::Hours(2), absl::Minutes(10));
                                    },
                                    As::kRestored, As::kRestored},
                      AssuranceCase{"a_restore_without_validation_is_verified",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.restore_test = {"a/drill"};
                                      Restore(e, absl::Hours(2), absl::Minutes(10));
                                      e.sources["a/drill"].latest->restore_succeeded.reset();
                                      e.sources["a/drill"].latest_conclusive->restore_succeeded.reset();
                                    },
                                    As::kVerified, As::kVerified},
                      AssuranceCase{"a_failed_restore_test_counts_for_nothing",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.restore_test = {"a/drill"};
                                      Restore(e, absl::Hours(2), absl::Minutes(10), false);
                                    },
                                    As::kDeclared, As::kDeclared},
                      AssuranceCase{"an_overdue_restore_test_counts_for_nothing",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.restore_test = {"a/drill"};
                                      p.restore_every = kDay;
                                      Restore(e, absl::Hours(30), absl::Minutes(10));
                                    },
                                    As::kDeclared, As::kDeclared},
                      AssuranceCase{"a_passed_restore_exercise_is_exercised",
                                    [](Plan& p, FakeEvidence& e) { e.Exercise("restore", kDay, true, 600); },
                                    As::kExercised, As::kExercised},
                      AssuranceCase{"a_failover_exercise_exercises_the_rto",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.recovery_point = {"a/dump"};
                                      p.failover = {"b/standby"};
                                      Backup(e, "a/dump", absl::Minutes(5), INTEGRITY_UNVERIFIED);
                                      Standby(e);
                                      e.Exercise("failover", kDay, true, 600);
                                    },
                                    As::kMonitored, As::kExercised},
                      AssuranceCase{"a_failover_exercise_with_the_target_down_is_not",
                                    [](Plan& p, FakeEvidence& e) {
                                      p.failover = {"b/standby"};
                                      Standby(e, false);
                                      e.Exercise("failover", kDay, true, 600);
                                    },
                                    As::kDeclared, As::kDeclared}),
    [](const auto& info) { return info.param.name; });

TEST(EvaluateAssurance, BelowTheRequiredMinimumIsUnknown) {
  Plan plan = BasePlan();
  plan.recovery_point = {"a/dump"};
  plan.failover = {"b/standby"};
  plan.require = {{"rpo", Assurance::kVerified}, {"rto", Assurance::kRestored}};
  FakeEvidence e;
  Backup(e, "a/dump", absl::Minutes(5));
  Standby(e);
  Evaluation ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_UNKNOWN);
  ASSERT_TRUE(ev.HasReason("assurance_below_required"));
  ASSERT_EQ(ev.reasons.size(), 1u) << "the RPO is verified: only the RTO falls short";
  EXPECT_EQ(ev.reasons[0].text, "the RTO rests on monitored evidence; the plan requires restored");
  // A validated restore test meets it: ready again.
  plan.restore_test = {"a/drill"};
  Restore(e, absl::Hours(2), absl::Minutes(10));
  ev = Evaluate(plan, e, kNow);
  EXPECT_EQ(ev.state, PLAN_STATE_READY);
  EXPECT_FALSE(ev.HasReason("assurance_below_required"));
  // The minimum never makes a plan better: a breached RPO stays not_ready.
  plan.rpo = absl::Minutes(1);
  EXPECT_EQ(Evaluate(plan, e, kNow).state, PLAN_STATE_NOT_READY);
}

TEST(EvaluateAssurance, NamesRoundTrip) {
  for (As level : {As::kDeclared, As::kMonitored, As::kVerified, As::kRestored, As::kExercised}) {
    EXPECT_EQ(AssuranceFromName(AssuranceName(level)), level);
  }
  EXPECT_EQ(AssuranceFromName("tested"), std::nullopt);
  EXPECT_EQ(AssuranceNames(), "declared, monitored, verified, restored or exercised");
}

}  // namespace
}  // namespace paraat
