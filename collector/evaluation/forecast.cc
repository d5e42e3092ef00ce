#include "collector/evaluation/forecast.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

namespace {

double Median(std::vector<double> v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)) + hi) / 2;
}

}  // namespace

std::optional<Trend> TheilSen(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> slopes;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  if (slopes.empty()) return std::nullopt;
  Trend t;
  t.slope = Median(std::move(slopes));
  std::vector<double> intercepts;
  for (size_t i = 0; i < x.size(); ++i) intercepts.push_back(y[i] - t.slope * x[i]);
  t.intercept = Median(std::move(intercepts));
  return t;
}

double MannKendallZ(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (x.size() < 3) return 0;
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[j] - x[i], dy = y[j] - y[i];
      if (dx == 0 || dy == 0) continue;
      s += (dx > 0) == (dy > 0) ? 1 : -1;
    }
  }
  const double var = n * (n - 1) * (2 * n + 5) / 18;
  if (s > 0) return (s - 1) / std::sqrt(var);
  if (s < 0) return (s + 1) / std::sqrt(var);
  return 0;
}

std::optional<RestoreForecast> ForecastRestore(const std::deque<RestoreSample>& tests, absl::Duration rto,
                                               const ForecastOptions& options) {
  if (tests.size() < std::max<size_t>(options.min_tests, 2)) return std::nullopt;
  const size_t first = tests.size() > options.window ? tests.size() - options.window : 0;
  const absl::Time origin = tests[first].time;
  std::vector<double> x, y;
  for (size_t i = first; i < tests.size(); ++i) {
    x.push_back(absl::ToDoubleSeconds(tests[i].time - origin));
    y.push_back(tests[i].seconds);
  }
  const std::optional<Trend> trend = TheilSen(x, y);
  if (!trend || trend->slope <= 0 || MannKendallZ(x, y) < options.min_z) return std::nullopt;
  const RestoreSample& latest = tests.back();
  RestoreForecast f;
  f.latest_time = latest.time;
  f.latest_seconds = latest.seconds;
  f.tests = x.size();
  f.growth_per_second = trend->slope;
  const double crossing = (absl::ToDoubleSeconds(rto) - trend->intercept) / trend->slope;
  // Years ahead are as good as never; keep the arithmetic in range.
  f.breach = origin + absl::Seconds(std::min(crossing, 1e11));
  if (f.breach < latest.time) f.breach = latest.time;
  if (latest.bytes && latest.seconds > 0) f.bytes_per_second = static_cast<double>(*latest.bytes) / latest.seconds;
  return f;
}

std::string DescribeForecast(const RestoreForecast& f, absl::Duration rto) {
  return MachineText(ForecastDetail(f, rto));
}

Detail ForecastDetail(const RestoreForecast& f, absl::Duration rto) {
  // Growth per the longest period that keeps it below the restore time itself: "4m a week"
  // for a slow drift, "300ms a second" for a drill that doubles within minutes.
  struct Period {
    absl::Duration length;
    const char* term;
  };
  static const Period kPeriods[] = {{absl::Hours(24 * 7), "reason.part.per_week"},
                                    {absl::Hours(24), "reason.part.per_day"},
                                    {absl::Hours(1), "reason.part.per_hour"},
                                    {absl::Minutes(1), "reason.part.per_minute"},
                                    {absl::Seconds(1), "reason.part.per_second"}};
  const double limit = std::max(f.latest_seconds, 1.0);
  const Period* period = &kPeriods[4];
  for (const Period& p : kPeriods) {
    if (f.growth_per_second * absl::ToDoubleSeconds(p.length) <= limit) {
      period = &p;
      break;
    }
  }
  const absl::Duration growth = absl::Seconds(f.growth_per_second * absl::ToDoubleSeconds(period->length));
  const DetailArg when = f.breach - f.latest_time < absl::Hours(48) ? DetailArg::Time("when", f.breach)
                                                                    : DetailArg::Date("when", f.breach);
  Detail outlook = f.breach <= f.latest_time
                       ? Detail{"reason.part.forecast_past", {DetailArg::Duration("rto", rto)}}
                       : Detail{"reason.part.forecast_around", {DetailArg::Duration("rto", rto), when}};
  std::vector<DetailArg> trend_args = {DetailArg::Count("tests", static_cast<int64_t>(f.tests))};
  if (f.bytes_per_second) trend_args.push_back(DetailArg::Size("rate", static_cast<uint64_t>(*f.bytes_per_second)));
  Detail trend{f.bytes_per_second ? "reason.part.forecast_trend_rate" : "reason.part.forecast_trend",
               std::move(trend_args)};
  return Detail{"reason.part.forecast",
                {DetailArg::Duration("latest", absl::Seconds(f.latest_seconds)), DetailArg::Duration("growth", growth),
                 DetailArg::Term("period", period->term), DetailArg::Nested("outlook", std::move(outlook)),
                 DetailArg::Nested("trend", std::move(trend))}};
}

}  // namespace paraat
