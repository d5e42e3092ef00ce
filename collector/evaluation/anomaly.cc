#include "collector/evaluation/anomaly.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

absl::Weekday WeekdayOf(absl::Time t) { return absl::GetWeekday(absl::ToCivilDay(t, absl::UTCTimeZone())); }

// Sizes vary by factors, not by amounts: the baseline is judged on their logarithms.
double Log(double v) { return std::log(std::max(v, 1.0)); }

// The anomaly of `value` against `baseline`, if it is one. Without a weekday baseline (`mixed`:
// fulls and incrementals together), it must also be far from every earlier backup.
std::optional<SizeAnomaly> Judge(const char* what, double value, const std::vector<double>& baseline, bool mixed,
                                 const SizeAnomalyPolicy& policy) {
  std::vector<double> logs;
  for (double v : baseline) logs.push_back(Log(v));
  const double median = Median(logs);
  std::vector<double> dev;
  for (double v : logs) dev.push_back(std::abs(v - median));
  const double sigma = 1.4826 * Median(dev);
  // Smaller than (1 - min_change) of the usual, or larger than (1 + min_change) of it.
  const double l = Log(value);
  const double min_off = l < median ? -std::log1p(-std::min(policy.min_change, 0.999)) : std::log1p(policy.min_change);
  const double off = std::abs(l - median);
  if (off <= policy.deviations * sigma || off <= min_off) return std::nullopt;
  if (mixed) {
    for (double v : logs) {
      if (std::abs(l - v) <= min_off) return std::nullopt;
    }
  }
  SizeAnomaly a;
  a.what = what;
  a.value = static_cast<uint64_t>(value);
  a.median = Median(baseline);
  a.spread = std::expm1(sigma);
  a.baseline = baseline.size();
  return a;
}

}  // namespace

std::optional<SizeAnomaly> DetectSizeAnomaly(const std::deque<BackupSample>& backups, const SizeAnomalyPolicy& policy) {
  if (!policy.enabled || backups.size() < policy.min_history + 1) return std::nullopt;
  const BackupSample& newest = backups.back();
  const absl::Weekday day = WeekdayOf(newest.time);
  std::vector<const BackupSample*> same_day, all;
  for (size_t i = 0; i + 1 < backups.size(); ++i) {
    all.push_back(&backups[i]);
    if (WeekdayOf(backups[i].time) == day) same_day.push_back(&backups[i]);
  }
  const bool by_weekday = same_day.size() >= kMinWeekdayBaseline;
  const std::vector<const BackupSample*>& base = by_weekday ? same_day : all;
  std::vector<double> bytes, files;
  for (const BackupSample* b : base) {
    bytes.push_back(static_cast<double>(b->bytes));
    if (b->files) files.push_back(static_cast<double>(*b->files));
  }
  std::optional<SizeAnomaly> a = Judge("size", static_cast<double>(newest.bytes), bytes, !by_weekday, policy);
  if (!a && newest.files && files.size() == base.size()) {
    a = Judge("file count", static_cast<double>(*newest.files), files, !by_weekday, policy);
  }
  if (a) {
    a->by_weekday = by_weekday;
    a->time = newest.time;
  }
  return a;
}

std::string DescribeSizeAnomaly(const SizeAnomaly& a) { return MachineText(SizeAnomalyDetail(a)); }

Detail SizeAnomalyDetail(const SizeAnomaly& a) {
  const bool size = a.what == "size";
  auto amount = [&](const char* name, double v) {
    return size ? DetailArg::Size(name, static_cast<uint64_t>(v)) : DetailArg::Count(name, std::llround(v));
  };
  Detail share = a.median > 0 ? Detail{"reason.part.share_of",
                                       {DetailArg::Share("share", static_cast<double>(a.value) / a.median)}}
                              : Detail{"reason.part.against", {}};
  std::vector<DetailArg> args = {DetailArg::Time("t", a.time),
                                 amount("value", static_cast<double>(a.value)),
                                 DetailArg::Nested("share", std::move(share)),
                                 amount("median", a.median),
                                 DetailArg::Count("n", static_cast<int64_t>(a.baseline)),
                                 DetailArg::Share("spread", a.spread)};
  if (a.by_weekday) {
    args.push_back(DetailArg::Term("day", absl::StrCat("reason.part.weekday.", static_cast<int>(WeekdayOf(a.time)))));
  }
  return Detail{absl::StrCat("reason.part.size_anomaly.", size ? "size" : "files", a.by_weekday ? "_weekday" : ""),
                std::move(args)};
}

}  // namespace paraat
