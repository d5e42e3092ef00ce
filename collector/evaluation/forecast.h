// Restore-time forecasts: when will a restore that grows with the data stop fitting the RTO?
//
// A robust trend over a source's recent successful restore tests (history.h): the Theil–Sen
// slope (the median of the slopes between every pair of tests; one outlier does not bend it),
// kept only when the Mann–Kendall test says the growth is real (one-sided, about 95 %), not
// day-to-day noise. The date the trend line crosses the RTO is the forecast breach. Pure.
#ifndef PARAAT_COLLECTOR_EVALUATION_FORECAST_H_
#define PARAAT_COLLECTOR_EVALUATION_FORECAST_H_

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/evaluation/history.h"
#include "common/detail.h"

namespace paraat {

// y = intercept + slope * x.
struct Trend {
  double slope = 0;
  double intercept = 0;
};

// The Theil–Sen line through (x[i], y[i]); nullopt with fewer than two distinct x.
std::optional<Trend> TheilSen(const std::vector<double>& x, const std::vector<double>& y);
// Mann–Kendall's z for an upward trend of y over x (continuity-corrected; > 1.645: one-sided 95 %).
double MannKendallZ(const std::vector<double>& x, const std::vector<double>& y);

struct ForecastOptions {
  size_t window = 12;    // the newest this many successful tests
  size_t min_tests = 4;  // no forecast from fewer
  double min_z = 1.645;  // Mann–Kendall z the growth must reach
};

struct RestoreForecast {
  absl::Time latest_time;  // the newest test in the trend
  double latest_seconds = 0;
  size_t tests = 0;                        // in the trend
  double growth_per_second = 0;            // seconds of restore time per second of calendar time (> 0)
  absl::Time breach;                       // the trend crosses the RTO (at the latest test if it already has)
  std::optional<double> bytes_per_second;  // the newest test's throughput, when its bytes are known
};

// The forecast for one source's restore tests, or nullopt: too few tests, or no real growth.
std::optional<RestoreForecast> ForecastRestore(const std::deque<RestoreSample>& tests, absl::Duration rto,
                                               const ForecastOptions& options = {});

// "restore 3h12m growing 4m a week; exceeds the RTO of 4h around 2027-02-10 (trend of ...)":
// MachineText(ForecastDetail(f, rto)).
std::string DescribeForecast(const RestoreForecast& f, absl::Duration rto);
Detail ForecastDetail(const RestoreForecast& f, absl::Duration rto);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_FORECAST_H_
