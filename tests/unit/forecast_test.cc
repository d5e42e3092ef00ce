// Restore-time forecasts against known answers: growing, flat, noisy and outlier histories, the
// text people read, and the plan evaluation that turns at_risk within the forecast horizon.
#include "collector/evaluation/forecast.h"

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
const absl::Duration kWeek = absl::Hours(24 * 7);
const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 9, 1, 2, 0, 0), absl::UTCTimeZone());

// Daily tests from kStart: the i-th took seconds(i).
template <typename F>
std::deque<RestoreSample> Daily(int n, F seconds) {
  std::deque<RestoreSample> out;
  for (int i = 0; i < n; ++i) out.push_back(RestoreSample{kStart + i * kDay, seconds(i), std::nullopt, 0});
  return out;
}

// 3h growing 4 minutes a week: crosses 4h after exactly 15 weeks.
double Growing(int day) { return 3 * 3600 + 240.0 * day / 7; }

TEST(TheilSen, ExactLineAndOutlier) {
  std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7}, y;
  for (double v : x) y.push_back(10 + 2 * v);
  auto t = TheilSen(x, y);
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->slope, 2);
  EXPECT_DOUBLE_EQ(t->intercept, 10);
  y[5] = 500;  // one wild outlier: the median of the pairwise slopes does not move much
  t = TheilSen(x, y);
  ASSERT_TRUE(t);
  EXPECT_NEAR(t->slope, 2, 0.5);
  EXPECT_FALSE(TheilSen({3, 3}, {1, 2})) << "no two distinct times: no line";
}

TEST(Forecast, GrowingHistoryBreachesOnTheKnownDate) {
  auto f = ForecastRestore(Daily(10, Growing), absl::Hours(4));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->tests, 10u);
  EXPECT_NEAR(f->growth_per_second * absl::ToDoubleSeconds(kWeek), 240, 1e-6);
  EXPECT_LT(absl::AbsDuration(f->breach - (kStart + 15 * kWeek)), absl::Seconds(1)) << f->breach;
}

TEST(Forecast, FlatHistoryHasNoForecast) {
  EXPECT_FALSE(ForecastRestore(Daily(12, [](int) { return 3600.0; }), absl::Hours(4)));
}

TEST(Forecast, ShrinkingHistoryHasNoForecast) {
  EXPECT_FALSE(ForecastRestore(Daily(12, [](int i) { return 3600.0 - 60 * i; }), absl::Hours(4)));
}

TEST(Forecast, TooFewTestsHaveNoForecast) {
  EXPECT_FALSE(ForecastRestore(Daily(3, Growing), absl::Hours(4)));
  EXPECT_TRUE(ForecastRestore(Daily(4, Growing), absl::Hours(4)));
}

TEST(Forecast, NoisyFlatHistoriesRarelyForecast) {
  // Restore times that only vary (±10 %, uniform) from day to day: the Mann–Kendall gate lets
  // at most its nominal 5 % through (a few more for the continuity and small samples).
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> noise(-0.1, 0.1);
  int forecasts = 0;
  const int kHistories = 2000;
  for (int h = 0; h < kHistories; ++h) {
    if (ForecastRestore(Daily(12, [&](int) { return 3600 * (1 + noise(rng)); }), absl::Hours(4))) ++forecasts;
  }
  const double rate = static_cast<double>(forecasts) / kHistories;
  EXPECT_LT(rate, 0.06) << forecasts << " of " << kHistories;
  std::cout << "noisy flat histories with a forecast: " << forecasts << " of " << kHistories << "\n";
}

TEST(Forecast, NoisyGrowingHistoryFindsTheTrend) {
  // The growth (4 min a week over 12 weeks of weekly tests: 44 min) against ±2 min of noise.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> noise(-120, 120);
  std::deque<RestoreSample> tests;
  for (int i = 0; i < 12; ++i) {
    tests.push_back(RestoreSample{kStart + i * kWeek, 3 * 3600 + 240.0 * i + noise(rng), std::nullopt, 0});
  }
  auto f = ForecastRestore(tests, absl::Hours(4));
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->growth_per_second * absl::ToDoubleSeconds(kWeek), 240, 40);
  EXPECT_LT(absl::AbsDuration(f->breach - (kStart + 15 * kWeek)), 2 * kWeek) << f->breach;
}

TEST(Forecast, OneOutlierDoesNotBendTheTrend) {
  // One test that took four times as long (a loaded night) among steady growth.
  auto f = ForecastRestore(Daily(12, [](int i) { return i == 8 ? 4 * Growing(i) : Growing(i); }), absl::Hours(4));
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->growth_per_second * absl::ToDoubleSeconds(kWeek), 240, 10);
  EXPECT_LT(absl::AbsDuration(f->breach - (kStart + 15 * kWeek)), kDay) << f->breach;
}

TEST(Forecast, OnlyTheNewestWindowCounts) {
  // Long flat, then growing over the newest 12: the old flat tests are out of the window.
  auto tests = Daily(30, [](int i) { return i < 18 ? 3 * 3600.0 : 3 * 3600 + 240.0 * (i - 18) / 7; });
  auto f = ForecastRestore(tests, absl::Hours(4));
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->growth_per_second * absl::ToDoubleSeconds(kWeek), 240, 1e-6);
}

TEST(Forecast, TextNamesTheGrowthAndTheDate) {
  // 3h12m, growing 4 minutes a week: 48 minutes to go is 12 weeks after the newest test.
  const absl::Time latest = absl::FromCivil(absl::CivilSecond(2026, 11, 18, 2, 0, 0), absl::UTCTimeZone());
  std::deque<RestoreSample> tests;
  for (int i = 7; i >= 0; --i) {
    tests.push_back(RestoreSample{latest - i * kWeek, 3 * 3600 + 12 * 60 - 240.0 * i, 3ull << 40, 0});
  }
  auto f = ForecastRestore(tests, absl::Hours(4));
  ASSERT_TRUE(f);
  EXPECT_EQ(DescribeForecast(*f, absl::Hours(4)),
            "restore 3h12m growing 4m a week; exceeds the RTO of 4h around 2027-02-10 (trend of the last 8 "
            "successful tests, last at 273.1 MiB/s)");
}

class OneSource : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override { return key == "db/drill" ? &state : nullptr; }
  const PlanExercises* Exercises(const std::string&) const override { return nullptr; }
  SourceState state;
};

// A plan whose restore drill ran daily, the last one finished at `now`.
Evaluation EvaluateDrill(const Plan& plan, int tests, double (*seconds)(int), absl::Time* now) {
  OneSource evidence;
  for (int i = 0; i < tests; ++i) {
    Observation o;
    o.status = v1::CHECK_STATUS_OK;
    o.kind = "restore_test";
    o.interval = kDay;
    o.finished = kStart + i * kDay;
    o.started = o.finished - absl::Seconds(seconds(i));
    o.duration = absl::Seconds(seconds(i));
    o.restore_duration_seconds = seconds(i);
    o.restore_succeeded = true;
    evidence.state.Add(o, o.finished);
  }
  *now = kStart + (tests - 1) * kDay + absl::Minutes(1);
  return Evaluate(plan, evidence, *now);
}

TEST(ForecastEvaluation, PlanTurnsAtRiskWithinTheHorizon) {
  // 15 weeks to the breach from kStart; after 10 daily tests it is 95 days away.
  auto plan = ParsePlan(R"(id: p
name: P
objectives: {rpo: 1d, rto: 4h}
forecast_horizon: 120d
sources: {restore_test: [db/drill]}
)",
                        "p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->foresight.forecast_horizon, absl::Hours(24 * 120));
  absl::Time now;
  Evaluation e = EvaluateDrill(*plan, 10, Growing, &now);
  EXPECT_EQ(e.state, v1::PLAN_STATE_AT_RISK);
  ASSERT_TRUE(e.HasReason("rto_forecast"));
  ASSERT_TRUE(e.foresight.restore_forecast_breach);
  EXPECT_LT(absl::AbsDuration(*e.foresight.restore_forecast_breach - (kStart + 15 * kWeek)), absl::Seconds(1));
  EXPECT_EQ(e.reasons[0].source, "db/drill");
  EXPECT_THAT(e.reasons[0].text, HasSubstr("db/drill: restore 3h5m growing 4m a week; exceeds the RTO of 4h around "
                                           "2026-12-15"));

  // The default horizon (30 days) is nearer than the breach: ready, the date still exported.
  plan->foresight = ForesightPolicy{};
  e = EvaluateDrill(*plan, 10, Growing, &now);
  EXPECT_EQ(e.state, v1::PLAN_STATE_READY);
  EXPECT_TRUE(e.foresight.restore_forecast_breach);

  // Flat restore times: no forecast at all.
  e = EvaluateDrill(
      *plan, 10, [](int) { return 3 * 3600.0; }, &now);
  EXPECT_EQ(e.state, v1::PLAN_STATE_READY);
  EXPECT_FALSE(e.foresight.restore_forecast_breach);
}

TEST(ForecastEvaluation, BadHorizonIsAPlanError) {
  auto plan = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 1d, rto: 4h}\nforecast_horizon: soon\n"
      "sources: {restore_test: [db/drill]}\n",
      "p.yaml");
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("p.yaml:4: forecast_horizon:"));
}

}  // namespace
}  // namespace paraat
