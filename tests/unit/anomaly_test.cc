// Backup size anomalies: the false-positive rate on a synthetic 90-day history of weekly fulls
// and daily incrementals, the detection of a backup that shrank or grew tenfold, and the plan
// evaluation that carries the finding.
#include "collector/evaluation/anomaly.h"

#include <cmath>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

const absl::Duration kDay = absl::Hours(24);
// A Sunday, 02:00 UTC.
const absl::Time kSunday = absl::FromCivil(absl::CivilSecond(2026, 8, 30, 2, 0, 0), absl::UTCTimeZone());
constexpr double kGiB = 1024.0 * 1024 * 1024;

// 90 days: a full on Sundays (100 GiB growing 0.2 % a week, ±2 %), incrementals on the other days
// (5 GiB, log-normal spread of 25 %, Mondays half again as large after the weekend's changes).
std::deque<BackupSample> History(std::mt19937& rng, int days = 90) {
  std::normal_distribution<double> unit(0, 1);
  std::deque<BackupSample> out;
  for (int d = 0; d < days; ++d) {
    BackupSample b;
    b.time = kSunday + d * kDay + absl::Minutes(static_cast<int>(std::abs(unit(rng)) * 20));
    if (d % 7 == 0) {
      b.bytes = static_cast<uint64_t>(100 * kGiB * (1 + 0.002 * d / 7) * (1 + 0.02 * unit(rng)));
      b.files = static_cast<uint64_t>(200000 * (1 + 0.001 * d) * (1 + 0.01 * unit(rng)));
    } else {
      const double monday = d % 7 == 1 ? 1.5 : 1.0;
      b.bytes = static_cast<uint64_t>(5 * kGiB * monday * std::exp(0.25 * unit(rng)));
      b.files = static_cast<uint64_t>(4000 * monday * std::exp(0.25 * unit(rng)));
    }
    out.push_back(b);
  }
  return out;
}

// Each day's verdict as the collector makes it, with that day's backup the newest.
int Anomalies(const std::deque<BackupSample>& all, const SizeAnomalyPolicy& policy, int* verdicts) {
  std::deque<BackupSample> seen;
  int n = 0;
  for (const BackupSample& b : all) {
    seen.push_back(b);
    if (seen.size() > SourceHistory::kMaxBackups) seen.pop_front();
    if (seen.size() > policy.min_history) ++*verdicts;
    if (DetectSizeAnomaly(seen, policy)) ++n;
  }
  return n;
}

TEST(SizeAnomaly, FalsePositivesOnNinetyDaysOfFullsAndIncrementals) {
  std::mt19937 rng(90);
  const SizeAnomalyPolicy policy;
  int anomalies = 0, verdicts = 0;
  const int kHistories = 200;
  for (int h = 0; h < kHistories; ++h) anomalies += Anomalies(History(rng), policy, &verdicts);
  const double rate = static_cast<double>(anomalies) / verdicts;
  std::cout << "backup_size_anomaly false positives: " << anomalies << " of " << verdicts << " daily verdicts ("
            << rate * 100 << "%), " << kHistories << " synthetic 90-day histories\n";
  EXPECT_LT(rate, 0.005);
}

TEST(SizeAnomaly, ATenthOfTheUsualSizeIsFound) {
  std::mt19937 rng(7);
  int found_small = 0, found_large = 0, found_full = 0;
  const int kHistories = 200;
  for (int h = 0; h < kHistories; ++h) {
    std::deque<BackupSample> history = History(rng, 61);  // day 60 is a Thursday incremental
    history.back().bytes /= 10;
    if (DetectSizeAnomaly(history, {})) ++found_small;
    history.back().bytes *= 100;
    if (DetectSizeAnomaly(history, {})) ++found_large;
    history = History(rng, 64);  // day 63 is a Sunday full, held against the fulls
    history.back().bytes /= 10;
    if (DetectSizeAnomaly(history, {})) ++found_full;
  }
  std::cout << "found: a tenth " << found_small << ", ten times " << found_large << ", a tenth of a full " << found_full
            << " of " << kHistories << "\n";
  EXPECT_GE(found_small, kHistories * 95 / 100);
  EXPECT_GE(found_large, kHistories * 95 / 100);
  EXPECT_EQ(found_full, kHistories);
}

TEST(SizeAnomaly, AFullIsNotAnAnomalyAmongFulls) {
  std::mt19937 rng(1);
  std::deque<BackupSample> history = History(rng, 64);
  auto a = DetectSizeAnomaly(history, {});
  EXPECT_FALSE(a) << DescribeSizeAnomaly(*a);
  // A young history (no weekday baseline yet) that holds last week's full: not one either.
  std::deque<BackupSample> young(history.end() - 10, history.end());
  SizeAnomalyPolicy policy;
  policy.min_history = 9;
  a = DetectSizeAnomaly(young, policy);
  EXPECT_FALSE(a) << DescribeSizeAnomaly(*a);
  // The first full after only incrementals is (nothing says fulls are usual yet).
  std::deque<BackupSample> first(history.end() - 7, history.end());
  policy.min_history = 6;
  a = DetectSizeAnomaly(first, policy);
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->by_weekday);
}

TEST(SizeAnomaly, FileCountCollapseIsFoundAndTextReads) {
  std::deque<BackupSample> history;
  for (int d = 0; d < 10; ++d) {
    history.push_back(
        BackupSample{kSunday + d * kDay, static_cast<uint64_t>(5 * kGiB + d * 1000), 1000u + d, std::nullopt, 0});
  }
  history.back().files = 12;  // same size, but the files are gone: one big blob
  auto a = DetectSizeAnomaly(history, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->what, "file count");
  EXPECT_EQ(DescribeSizeAnomaly(*a),
            "newest backup (2026-09-08T02:00:00Z) holds 12 files, 1% of the usual 1004 files (median of 9 backups, "
            "which vary by 0%)");
  SizeAnomalyPolicy off;
  off.enabled = false;
  EXPECT_FALSE(DetectSizeAnomaly(history, off));
}

class OneSource : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override { return key == "db/dump" ? &state : nullptr; }
  const PlanExercises* Exercises(const std::string&) const override { return nullptr; }
  SourceState state;
};

// Twelve daily backups of about 4 GiB, the newest 400 MiB; `now` is when the newest was checked.
void ShrinkingBackups(OneSource* evidence, absl::Time* now) {
  for (int d = 0; d < 12; ++d) {
    Observation o;
    o.status = v1::CHECK_STATUS_OK;
    o.kind = "file_backup";
    o.interval = absl::Hours(1);
    o.finished = o.started = kSunday + d * kDay + absl::Minutes(5);
    o.recovery_point = kSunday + d * kDay;
    o.backup_bytes = d == 11 ? uint64_t{400} << 20 : (uint64_t{4} << 30) + d * (uint64_t{1} << 20);
    o.backup_files = 1;
    evidence->state.Add(o, o.finished);
    *now = o.finished;
  }
}

TEST(SizeAnomalyEvaluation, PlanTurnsAtRiskAndThresholdsAreThePlans) {
  auto plan = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 2d, rto: 4h}\naccept_unevidenced: {rto: \"not what these cases "
      "test\"}\nsources: {recovery_point: [db/dump]}\n",
      "p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  OneSource evidence;
  absl::Time now;
  ShrinkingBackups(&evidence, &now);
  Evaluation e = Evaluate(*plan, evidence, now);
  EXPECT_EQ(e.state, v1::PLAN_STATE_AT_RISK);
  ASSERT_TRUE(e.HasReason("backup_size_anomaly"));
  EXPECT_THAT(e.reasons[0].text, HasSubstr("db/dump: newest backup (2026-09-10T02:00:00Z) is 400.0 MiB, 10% of"));

  auto lenient = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 2d, rto: 4h}\naccept_unevidenced: {rto: \"not what these cases "
      "test\"}\nsize_anomaly: {min_change: 95%}\n"
      "sources: {recovery_point: [db/dump]}\n",
      "p.yaml");
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  EXPECT_EQ(Evaluate(*lenient, evidence, now).state, v1::PLAN_STATE_READY);
  auto off = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 2d, rto: 4h}\naccept_unevidenced: {rto: \"not what these cases "
      "test\"}\nsize_anomaly: off\nsources: {recovery_point: [db/dump]}\n",
      "p.yaml");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(Evaluate(*off, evidence, now).state, v1::PLAN_STATE_READY);
  auto bad = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 2d, rto: 4h}\naccept_unevidenced: {rto: \"not what these cases "
      "test\"}\nsize_anomaly: {deviations: 0}\n"
      "sources: {recovery_point: [db/dump]}\n",
      "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("p.yaml:5: size_anomaly.deviations:"));
}

// size_anomaly.per_source: a source's own thresholds, starting from the plan's.
absl::StatusOr<Plan> PlanWithSizeAnomaly(const std::string& size_anomaly) {
  return ParsePlan(absl::StrCat("id: p\nname: P\nobjectives: {rpo: 2d, rto: 4h}\n"
                                "accept_unevidenced: {rto: \"not what these cases test\"}\n"
                                "sources:\n  recovery_point: [db/dump]\n",
                                size_anomaly),
                   "p.yaml");
}

TEST(SizeAnomalyEvaluation, ASourceMayHaveItsOwnThresholds) {
  OneSource evidence;
  absl::Time now;
  ShrinkingBackups(&evidence, &now);
  // The plan is lenient, the source strict: the source's thresholds count.
  auto strict = PlanWithSizeAnomaly(
      "size_anomaly:\n  min_change: 95%\n  per_source:\n    db/dump: {min_change: 50%, min_history: 4}\n");
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_EQ(strict->foresight.SizeAnomalyFor("db/dump").min_history, 4u);
  EXPECT_EQ(strict->foresight.SizeAnomalyFor("db/dump").deviations, 5);  // the plan's (the default)
  EXPECT_EQ(strict->foresight.SizeAnomalyFor("db/other").min_change, 0.95);
  Evaluation e = Evaluate(*strict, evidence, now);
  EXPECT_EQ(e.state, v1::PLAN_STATE_AT_RISK);
  EXPECT_TRUE(e.HasReason("backup_size_anomaly"));
  // The plan's default thresholds, the source off.
  auto off = PlanWithSizeAnomaly("size_anomaly:\n  per_source:\n    db/dump: off\n");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(Evaluate(*off, evidence, now).state, v1::PLAN_STATE_READY);

  // Mistakes name the line and the key.
  auto bad = PlanWithSizeAnomaly(
      "  restore_test: [db/drill]\nsize_anomaly:\n  per_source:\n    db/drill: off\n"
      "    db/dump: {deviations: 0, loud: true}\n");
  ASSERT_FALSE(bad.ok());
  const std::string message(bad.status().message());
  EXPECT_THAT(message, HasSubstr("p.yaml:10: size_anomaly.per_source.db/drill: is not a recovery_point or integrity "
                                 "source of this plan"));
  EXPECT_THAT(message, HasSubstr("p.yaml:11: size_anomaly.per_source.db/dump.deviations:"));
  EXPECT_THAT(message, HasSubstr("p.yaml:11: size_anomaly.per_source.db/dump.loud:"));
  bad = PlanWithSizeAnomaly("size_anomaly:\n  per_source:\n    db/dump: loud\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("p.yaml:9: size_anomaly.per_source.db/dump: write off, or the "
                                                "thresholds"));
  bad = PlanWithSizeAnomaly("size_anomaly:\n  per_source: [db/dump]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("p.yaml:8: size_anomaly.per_source: write the plan's backup sources"));
}

}  // namespace
}  // namespace paraat

namespace paraat {
namespace {

// Which results go into a source's sample history (kept in the store, folded back at start-up):
// a new backup or a restore test, not the same backup reported again.
TEST(SampleHistory, OnlyResultsThatAddASampleAreMarked) {
  Observation backup;
  backup.status = v1::CHECK_STATUS_OK;
  backup.recovery_point = absl::FromUnixSeconds(1000);
  backup.backup_bytes = 4096;
  EXPECT_TRUE(SourceHistory::AddsSample(backup, nullptr));
  Observation again = backup;
  EXPECT_FALSE(SourceHistory::AddsSample(again, &backup));
  again.backup_bytes = 8192;  // the same backup, grown since
  EXPECT_TRUE(SourceHistory::AddsSample(again, &backup));
  Observation next = backup;
  next.recovery_point = absl::FromUnixSeconds(2000);
  EXPECT_TRUE(SourceHistory::AddsSample(next, &backup));
  Observation failed = next;
  failed.status = v1::CHECK_STATUS_FAILED;
  EXPECT_FALSE(SourceHistory::AddsSample(failed, &backup));
  EXPECT_TRUE(SourceHistory::AddsSample(next, &failed));  // after a failure, a passing one counts again

  Observation restore;
  restore.status = v1::CHECK_STATUS_OK;
  restore.restore_duration_seconds = 12;
  EXPECT_TRUE(SourceHistory::AddsSample(restore, &restore));
  restore.restore_succeeded = false;
  EXPECT_FALSE(SourceHistory::AddsSample(restore, nullptr));
  EXPECT_EQ(SampleHistorySubject("db-01/dump"), "samples:db-01/dump");
}

}  // namespace
}  // namespace paraat
