// Living plans with an injected clock: review and training cadences, the incident clock against
// RTO and MTPD, NIS2 deadlines as exact durations (also across DST changes), the recovery of a
// closed incident as the plan's latest recovery-time measurement, and the contacts plan key.
#include <map>

#include "collector/evaluation/continuity.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan.h"
#include "collector/evaluation/plan_living.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;
using v1::PLAN_STATE_AT_RISK;
using v1::PLAN_STATE_NOT_READY;
using v1::PLAN_STATE_READY;

const absl::Duration kDay = absl::Hours(24);

class FakeEvidence : public EvidenceView {
 public:
  const SourceState* Source(const std::string&) const override { return nullptr; }
  const PlanExercises* Exercises(const std::string& plan_id) const override {
    auto it = plans.find(plan_id);
    return it == plans.end() ? nullptr : &it->second;
  }
  PlanContinuity& continuity() { return plans["p"].continuity; }
  uint64_t seq = 100;
  void Review(absl::Time at, const std::string& sha = "sha-now") {
    v1::ReviewRecord r;
    r.set_plan_id("p");
    r.set_reviewed_unix_ns(ToUnixNs(at));
    r.set_reviewed_by("Anne");
    r.set_plan_sha256(sha);
    continuity().AddReview(r, ++seq);
  }
  // Records an event the way the collector does: checked at `now` first.
  absl::Status Incident(v1::IncidentRecord r, absl::Time now) {
    r.set_plan_id("p");
    const PlanExercises* ex = Exercises("p");
    absl::Status st = CheckIncidentEvent(ex ? &ex->continuity : nullptr, now, &r);
    if (st.ok()) continuity().AddIncident(r, ++seq);
    return st;
  }
  absl::Status Open(absl::Time started, absl::Time now, bool significant = false) {
    v1::IncidentRecord r;
    r.set_event("opened");
    r.set_summary("database lost");
    r.set_significant(significant);
    r.set_started_unix_ns(ToUnixNs(started));
    return Incident(r, now);
  }
  absl::Status Close(absl::Time recovered, absl::Time now) {
    v1::IncidentRecord r;
    r.set_event("closed");
    r.set_recovered_unix_ns(ToUnixNs(recovered));
    return Incident(r, now);
  }
  absl::Status Report(const std::string& kind, absl::Time at, absl::Time now) {
    v1::IncidentRecord r;
    r.set_event("report");
    r.set_report_kind(kind);
    r.set_reported_unix_ns(ToUnixNs(at));
    return Incident(r, now);
  }
  std::map<std::string, PlanExercises> plans;
};

Plan BasePlan() {
  Plan p;
  p.id = "p";
  p.name = "P";
  p.rpo = absl::Hours(1);
  p.rto = absl::Hours(4);
  p.mtpd = absl::Hours(24);
  p.sha256 = "sha-now";
  return p;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

const Reason* Find(const Evaluation& e, const std::string& code) {
  for (const Reason& r : e.reasons) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

TEST(ReviewCadence, NeverReviewedIsOverdueThenDueSoonThenOverdue) {
  Plan plan = BasePlan();
  plan.review_every = 365 * kDay;
  FakeEvidence ev;
  Evaluation e = Evaluate(plan, ev, kNow);
  ASSERT_NE(Find(e, "review_overdue"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_NOT_READY);
  EXPECT_THAT(Find(e, "review_overdue")->text, HasSubstr("never reviewed"));

  ev.Review(kNow - 300 * kDay);
  e = Evaluate(plan, ev, kNow);
  EXPECT_EQ(e.state, PLAN_STATE_READY) << (e.reasons.empty() ? "" : e.reasons[0].text);
  ASSERT_TRUE(e.continuity.last_review);
  EXPECT_FALSE(e.continuity.plan_changed_since_review);
  // Due in 10 days: within the 14-day window.
  e = Evaluate(plan, ev, kNow + 55 * kDay);
  ASSERT_NE(Find(e, "review_due"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_AT_RISK);
  // One second past the year.
  e = Evaluate(plan, ev, kNow + 65 * kDay + absl::Seconds(1));
  ASSERT_NE(Find(e, "review_overdue"), nullptr);
  EXPECT_THAT(Find(e, "review_overdue")->text, HasSubstr("by Anne"));
  EXPECT_EQ(e.state, PLAN_STATE_NOT_READY);
}

TEST(ReviewCadence, PlanFileChangedSinceItsReview) {
  Plan plan = BasePlan();
  FakeEvidence ev;
  ev.Review(kNow - kDay, "sha-before");
  Evaluation e = Evaluate(plan, ev, kNow);
  EXPECT_TRUE(e.continuity.plan_changed_since_review);
  EXPECT_EQ(e.state, PLAN_STATE_READY);  // no review_every: the review is informative only
  v1::PlanStatus s;
  ToProto(e.continuity, &s);
  EXPECT_TRUE(s.review().plan_changed());
  EXPECT_EQ(s.review().reviewed_by(), "Anne");
}

TEST(IncidentClock, ElapsedAgainstRtoAndMtpd) {
  Plan plan = BasePlan();
  FakeEvidence ev;
  const absl::Time start = kNow;
  ASSERT_TRUE(ev.Open(start, kNow).ok());
  Evaluation e = Evaluate(plan, ev, start + absl::Hours(3));
  ASSERT_NE(Find(e, "incident_open"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_AT_RISK);
  ASSERT_TRUE(e.continuity.incident);
  EXPECT_TRUE(e.continuity.deadlines.empty());  // not significant: no NIS2 reports
  e = Evaluate(plan, ev, start + absl::Hours(4) + absl::Seconds(1));
  ASSERT_NE(Find(e, "incident_rto_passed"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_NOT_READY);
  e = Evaluate(plan, ev, start + absl::Hours(24) + absl::Seconds(1));
  ASSERT_NE(Find(e, "incident_mtpd_passed"), nullptr);
  EXPECT_EQ(Find(e, "incident_rto_passed"), nullptr);
}

// DST in Europe/Amsterdam ends 2026-10-25 03:00 CEST; starts 2027-03-28 02:00 CET.
TEST(Nis2Deadlines, ExactDurationsAcrossDstChanges) {
  absl::TimeZone ams;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Amsterdam", &ams));
  // Started Saturday 2026-10-24 12:00 CEST: the early warning is due 24 hours later, which the
  // wall clock reads as 11:00 CET on Sunday; the notification 72 hours later, 11:00 CET Tuesday.
  const absl::Time start = absl::FromCivil(absl::CivilSecond(2026, 10, 24, 12, 0, 0), ams);
  FakeEvidence ev;
  ASSERT_TRUE(ev.Open(start, start, /*significant=*/true).ok());
  Evaluation e = Evaluate(BasePlan(), ev, start + absl::Hours(1));
  ASSERT_EQ(e.continuity.deadlines.size(), 3u);
  EXPECT_EQ(e.continuity.deadlines[0].due - start, absl::Hours(24));
  EXPECT_EQ(absl::ToCivilSecond(e.continuity.deadlines[0].due, ams), absl::CivilSecond(2026, 10, 25, 11, 0, 0));
  EXPECT_EQ(e.continuity.deadlines[1].due - start, absl::Hours(72));
  EXPECT_EQ(absl::ToCivilSecond(e.continuity.deadlines[1].due, ams), absl::CivilSecond(2026, 10, 27, 11, 0, 0));
  // Spring forward: started 2027-03-27 12:00 CET, due 2027-03-28 13:00 CEST.
  const absl::Time spring = absl::FromCivil(absl::CivilSecond(2027, 3, 27, 12, 0, 0), ams);
  IncidentObservation inc;
  inc.started = spring;
  inc.significant = true;
  std::vector<IncidentDeadline> d = Nis2Deadlines(inc);
  EXPECT_EQ(d[0].due - spring, absl::Hours(24));
  EXPECT_EQ(absl::ToCivilSecond(d[0].due, ams), absl::CivilSecond(2027, 3, 28, 13, 0, 0));
}

TEST(Nis2Deadlines, WhatIsDueNextAndWhenItIsOverdue) {
  const absl::Time start = absl::FromCivil(absl::CivilSecond(2026, 1, 28, 10, 0, 0), absl::UTCTimeZone());
  FakeEvidence ev;
  ASSERT_TRUE(ev.Open(start, start, true).ok());
  const absl::Time ew_due = start + absl::Hours(24);
  Evaluation e = Evaluate(BasePlan(), ev, ew_due - absl::Seconds(1));
  ASSERT_NE(Find(e, "nis2_report_due"), nullptr);
  EXPECT_THAT(Find(e, "nis2_report_due")->text, HasSubstr("early warning"));
  e = Evaluate(BasePlan(), ev, ew_due + absl::Seconds(1));
  ASSERT_NE(Find(e, "nis2_report_overdue"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_NOT_READY);

  ASSERT_TRUE(ev.Report("early-warning", ew_due - absl::Hours(1), ew_due).ok());
  e = Evaluate(BasePlan(), ev, ew_due + absl::Seconds(1));
  EXPECT_EQ(Find(e, "nis2_report_overdue"), nullptr);
  ASSERT_NE(Find(e, "nis2_report_due"), nullptr);
  EXPECT_THAT(Find(e, "nis2_report_due")->text, HasSubstr("notification"));
  ASSERT_NE(NextDeadline(e.continuity.deadlines), nullptr);
  EXPECT_EQ(NextDeadline(e.continuity.deadlines)->report, "notification");

  // The final report: one calendar month after the notification was made (31 Jan -> 28 Feb).
  const absl::Time notified = absl::FromCivil(absl::CivilSecond(2026, 1, 31, 9, 0, 0), absl::UTCTimeZone());
  ASSERT_TRUE(ev.Report("notification", notified, notified).ok());
  e = Evaluate(BasePlan(), ev, notified);
  EXPECT_EQ(e.continuity.deadlines[2].due,
            absl::FromCivil(absl::CivilSecond(2026, 2, 28, 9, 0, 0), absl::UTCTimeZone()));

  // Closed, the final report is still due: the clock stays until it is made.
  ASSERT_TRUE(ev.Close(notified + absl::Hours(1), notified + absl::Hours(2)).ok());
  e = Evaluate(BasePlan(), ev, notified + absl::Hours(2));
  ASSERT_TRUE(e.continuity.incident);
  EXPECT_TRUE(e.continuity.incident->recovered);
  ASSERT_NE(Find(e, "nis2_report_due"), nullptr);
  ASSERT_TRUE(ev.Report("final", notified + absl::Hours(3), notified + absl::Hours(3)).ok());
  e = Evaluate(BasePlan(), ev, notified + absl::Hours(3));
  EXPECT_FALSE(e.continuity.incident);
}

TEST(IncidentClosed, RecoveryTimeIsTheLatestMeasurementAndAReviewFallsDue) {
  Plan plan = BasePlan();
  FakeEvidence ev;
  ev.Review(kNow - 10 * kDay);
  ASSERT_TRUE(ev.Open(kNow - absl::Hours(6), kNow).ok());
  ASSERT_TRUE(ev.Close(kNow - absl::Hours(1), kNow).ok());
  Evaluation e = Evaluate(plan, ev, kNow);
  ASSERT_TRUE(e.restore_test_duration_seconds);
  EXPECT_DOUBLE_EQ(*e.restore_test_duration_seconds, 5 * 3600);
  EXPECT_EQ(*e.restore_test_time, kNow - absl::Hours(1));
  // Five hours against an RTO of four: the real recovery breached it.
  ASSERT_NE(Find(e, "rto_exceeded"), nullptr);
  EXPECT_THAT(Find(e, "rto_exceeded")->text, HasSubstr("real incident"));
  ASSERT_NE(Find(e, "review_due"), nullptr);
  EXPECT_THAT(Find(e, "review_due")->text, HasSubstr("calls for a review"));
  EXPECT_FALSE(e.continuity.incident);
  // Not reviewed within the window: overdue.
  e = Evaluate(plan, ev, kNow + 15 * kDay);
  EXPECT_NE(Find(e, "review_overdue"), nullptr);
  // Reviewed after the incident: nothing due.
  ev.Review(kNow + kDay);
  e = Evaluate(plan, ev, kNow + 2 * kDay);
  EXPECT_EQ(Find(e, "review_due"), nullptr);
  EXPECT_EQ(Find(e, "review_overdue"), nullptr);
}

TEST(IncidentEvents, BadInputIsRefusedAndChangesNothing) {
  FakeEvidence ev;
  absl::Status st = ev.Close(kNow, kNow);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("nothing to close"));
  EXPECT_THAT(ev.Report("final", kNow, kNow).message(), HasSubstr("no incident"));
  EXPECT_THAT(ev.Open(kNow + absl::Hours(1), kNow).message(), HasSubstr("in the future"));
  EXPECT_FALSE(ev.continuity().open);
  ASSERT_TRUE(ev.Open(kNow - absl::Hours(2), kNow).ok());
  st = ev.Open(kNow - absl::Hours(1), kNow);
  EXPECT_THAT(st.message(), HasSubstr("already open"));
  EXPECT_EQ(ev.continuity().open->started, kNow - absl::Hours(2));
  EXPECT_THAT(ev.Close(kNow - absl::Hours(3), kNow).message(), HasSubstr("before the incident started"));
  EXPECT_THAT(ev.Close(kNow + absl::Hours(3), kNow).message(), HasSubstr("in the future"));
  EXPECT_THAT(ev.Report("weekly", kNow, kNow).message(), HasSubstr("early-warning, notification or final"));
  ASSERT_TRUE(ev.Report("early-warning", kNow, kNow).ok());
  EXPECT_THAT(ev.Report("early-warning", kNow, kNow).message(), HasSubstr("already recorded"));
  EXPECT_TRUE(ev.continuity().open);
  EXPECT_FALSE(ev.continuity().last_closed);
}

TEST(TrainingCadence, OwnCadenceAndNotAnExercise) {
  Plan plan = BasePlan();
  plan.training_every = 365 * kDay;
  FakeEvidence ev;
  Evaluation e = Evaluate(plan, ev, kNow);
  EXPECT_NE(Find(e, "training_missing"), nullptr);
  ev.plans["p"].Add(ExerciseObservation{"training", kNow - 360 * kDay, true, std::nullopt, 1});
  e = Evaluate(plan, ev, kNow);
  EXPECT_NE(Find(e, "training_due"), nullptr);
  EXPECT_EQ(e.state, PLAN_STATE_AT_RISK);
  e = Evaluate(plan, ev, kNow + 6 * kDay);
  EXPECT_NE(Find(e, "training_overdue"), nullptr);
  // A training is no exercise of the plan: exercise_every still wants one.
  plan.training_every.reset();
  plan.exercise_every = 365 * kDay;
  e = Evaluate(plan, ev, kNow);
  EXPECT_NE(Find(e, "exercise_missing"), nullptr);
}

TEST(PlanKeys, ReviewTrainingAndContacts) {
  auto plan = ParsePlan(R"(id: p
name: P
objectives: {rpo: 1h, rto: 4h}
sources: {recovery_point: [a/b]}
review_every: 365d
training_every: 180d
contacts:
  - {role: owner, name: Anne de Vries, phone: "+31 6 1234 5678", email: anne@example.nl}
  - {role: supplier, name: Hosting BV, email: noc@hosting.example}
)",
                        "plans/p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(*plan->review_every, 365 * kDay);
  EXPECT_EQ(*plan->training_every, 180 * kDay);
  ASSERT_EQ(plan->contacts.size(), 2u);
  EXPECT_EQ(plan->contacts[0].phone, "+31 6 1234 5678");
  v1::PlanDefinition def = ToProto(*plan);
  EXPECT_EQ(def.contacts(1).email(), "noc@hosting.example");
  EXPECT_EQ(def.review_every_ns(), ToNs(365 * kDay));
}

TEST(PlanKeys, ContactsThatDoNotLookRight) {
  auto plan = ParsePlan(R"(id: p
name: P
objectives: {rpo: 1h, rto: 4h}
sources: {recovery_point: [a/b]}
contacts:
  - {role: owner, name: Anne, phone: call me, email: anne@example.nl}
  - {role: crisis, name: Team, email: "team at example"}
  - {role: deputy, name: Bob}
)",
                        "plans/p.yaml");
  ASSERT_FALSE(plan.ok());
  const std::string m(plan.status().message());
  EXPECT_THAT(m, HasSubstr("plans/p.yaml:6: contacts[0].phone: \"call me\" does not look like a telephone number"));
  EXPECT_THAT(m, HasSubstr("plans/p.yaml:7: contacts[1].email: \"team at example\" does not look like an e-mail"));
  EXPECT_THAT(m, HasSubstr("plans/p.yaml:8: contacts[2].phone: give a phone or an email"));
  EXPECT_FALSE(ParsePlan("id: p\nname: P\nobjectives: {rpo: 1h, rto: 4h}\nsources: {recovery_point: [a/b]}\n"
                         "contacts: {role: owner}\n",
                         "p.yaml")
                   .ok());
  EXPECT_TRUE(LooksLikePhone("(030) 123-4567"));
  EXPECT_FALSE(LooksLikePhone("12345"));
  EXPECT_FALSE(LooksLikeEmail("a@b"));
  EXPECT_TRUE(LooksLikeEmail("a.b@c.nl"));
}

}  // namespace
}  // namespace paraat
