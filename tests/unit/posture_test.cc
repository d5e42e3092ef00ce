// Copies kept apart (3-2-1-1-0), counted from the plan's recovery point sources: usable copies,
// off-site by the `location` label, immutable as the agent verified, distinct media; and the
// coverage age of a source's rotating verification against its check's verify_within.
#include "collector/evaluation/posture.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class Sources : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override {
    auto it = states.find(key);
    return it == states.end() ? nullptr : &it->second;
  }
  const PlanExercises* Exercises(const std::string&) const override { return nullptr; }
  void Copy(const std::string& key, const std::string& location, const std::string& media, bool immutable,
            v1::CheckStatus status = v1::CHECK_STATUS_OK) {
    Observation o;
    o.status = status;
    o.kind = "file_backup";
    o.interval = absl::Hours(1);
    o.finished = o.started = kNow - absl::Minutes(1);
    o.recovery_point = kNow - absl::Hours(2);
    o.immutable = immutable;
    o.location = location;
    o.media = media;
    states[key].Add(o, o.finished);
  }
  // A rotating verification's latest result: its coverage age, reach and verify_within (0: unset).
  void Rotation(const std::string& key, absl::Duration age, absl::Duration reach, absl::Duration within) {
    Copy(key, "ams", "disk", false, v1::CHECK_STATUS_WARNING);
    Observation o = *states[key].latest;
    o.coverage_age_seconds = absl::ToDoubleSeconds(age);
    if (within > absl::ZeroDuration()) {
      o.verify_within_seconds = absl::ToDoubleSeconds(within);
      o.coverage_reach_seconds = absl::ToDoubleSeconds(reach);
    }
    o.finished += absl::Seconds(1);
    states[key].Add(o, o.finished);
  }
  std::map<std::string, SourceState> states;
};

absl::StatusOr<Plan> PlanWith(const std::string& copies) {
  return ParsePlan(
      absl::StrCat(
          "id: p\nname: P\nobjectives: {rpo: 1d, rto: 4h}\naccept_unevidenced: {rto: \"not what these cases test\"}\n",
          copies, "sources: {recovery_point: [a/local, b/offsite, c/vault]}\n"),
      "p.yaml");
}

TEST(Copies, CountedFromWhatTheSourcesVerified) {
  auto plan = PlanWith("copies: {min: 3, offsite: 1, immutable: 1, media: 2, site: ams}\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  Sources s;
  s.Copy("a/local", "ams", "disk", false);
  s.Copy("b/offsite", "rtm", "disk", false);
  s.Copy("c/vault", "rtm", "tape", true);
  Evaluation e = Evaluate(*plan, s, kNow);
  ASSERT_TRUE(e.foresight.copies);
  EXPECT_EQ(*e.foresight.copies, (CopiesCount{3, 2, 1, 2}));
  EXPECT_EQ(e.state, v1::PLAN_STATE_READY) << e.reasons[0].text;

  // The immutable copy fails its check: 0 errors means it no longer counts.
  s.Copy("c/vault", "rtm", "tape", true, v1::CHECK_STATUS_FAILED);
  e = Evaluate(*plan, s, kNow);
  EXPECT_EQ(*e.foresight.copies, (CopiesCount{2, 1, 0, 1}));
  EXPECT_EQ(e.state, v1::PLAN_STATE_NOT_READY);
  ASSERT_TRUE(e.HasReason("copies_insufficient"));
  const Reason& r = *std::find_if(e.reasons.begin(), e.reasons.end(),
                                  [](const Reason& x) { return x.code == "copies_insufficient"; });
  EXPECT_EQ(r.text,
            "copies kept apart fall short: 2 usable copies (need 3), 0 immutable (need 1), 1 kind of media (need 2)");
}

TEST(Copies, WithoutASiteEachOtherLocationCountsOnce) {
  auto plan = PlanWith("copies: {offsite: 1}\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  Sources s;
  s.Copy("a/local", "ams", "", false);
  s.Copy("b/offsite", "ams", "", false);
  Evaluation e = Evaluate(*plan, s, kNow);
  EXPECT_EQ(e.foresight.copies->offsite, 0);
  EXPECT_TRUE(e.HasReason("copies_insufficient"));
  s.Copy("c/vault", "rtm", "", false);
  e = Evaluate(*plan, s, kNow);
  EXPECT_EQ(e.foresight.copies->offsite, 1);
  EXPECT_FALSE(e.HasReason("copies_insufficient"));
}

TEST(Copies, CountedWithoutARequirementAndBadKeysAreErrors) {
  auto plan = PlanWith("");
  ASSERT_TRUE(plan.ok());
  Sources s;
  s.Copy("a/local", "", "", true);
  Evaluation e = Evaluate(*plan, s, kNow);
  EXPECT_EQ(*e.foresight.copies, (CopiesCount{1, 0, 1, 0}));
  EXPECT_FALSE(e.HasReason("copies_insufficient"));
  auto bad = PlanWith("copies: {min: -1, offline: 1}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("p.yaml:5: copies.min:"));
  EXPECT_THAT(bad.status().message(), HasSubstr("copies.offline"));
}

TEST(CoverageAge, ARotationMissingItsVerifyWithinPutsThePlanAtRisk) {
  auto plan = PlanWith("");
  ASSERT_TRUE(plan.ok()) << plan.status();
  Sources s;
  s.Copy("b/offsite", "rtm", "disk", false);
  s.Copy("c/vault", "rtm", "tape", false);
  // Within its bound: nothing to say.
  s.Rotation("a/local", absl::Hours(24 * 20), absl::Hours(24 * 10), absl::Hours(24 * 30));
  Evaluation e = Evaluate(*plan, s, kNow);
  EXPECT_FALSE(e.HasReason("coverage_age_exceeded"));
  EXPECT_EQ(e.state, v1::PLAN_STATE_READY) << e.reasons[0].text;
  // The oldest byte unread for 40 days, against 30.
  s.Rotation("a/local", absl::Hours(24 * 40), absl::Hours(24 * 10), absl::Hours(24 * 30));
  e = Evaluate(*plan, s, kNow);
  EXPECT_EQ(e.state, v1::PLAN_STATE_AT_RISK);
  ASSERT_TRUE(e.HasReason("coverage_age_exceeded"));
  EXPECT_EQ(e.reasons[0].text,
            "a/local: the oldest byte has not been read back for 40d, longer than verify_within 30d");
  // A rotation that cannot reach every byte in time says so first, whatever the age.
  s.Rotation("a/local", absl::Hours(1), absl::Hours(24 * 70), absl::Hours(24 * 30));
  e = Evaluate(*plan, s, kNow);
  ASSERT_TRUE(e.HasReason("coverage_age_exceeded"));
  EXPECT_EQ(e.reasons[0].text,
            "a/local: the rotation needs 70d to read every byte back, longer than verify_within 30d");
  // Without verify_within the age is only a measurement.
  s.Rotation("a/local", absl::Hours(24 * 400), absl::ZeroDuration(), absl::ZeroDuration());
  EXPECT_FALSE(Evaluate(*plan, s, kNow).HasReason("coverage_age_exceeded"));
}

}  // namespace
}  // namespace paraat
