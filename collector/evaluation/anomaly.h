// Backup size anomalies: a newest backup far smaller or larger than the source's usual ones (a
// job that suddenly writes a tenth of its size, a file count that collapsed) while the check
// still passes.
//
// The baseline is the source's earlier backups (history.h): those taken on the same weekday
// (UTC) when there are at least kMinWeekdayBaseline of them, so weekly fulls are held against
// fulls and daily incrementals against incrementals; otherwise all of them, and then the newest
// must also differ by more than `min_change` from every earlier backup (a young history of fulls
// and incrementals has both). Sizes vary by factors, so the test is on their logarithms: the
// newest is anomalous when it lies more than `deviations` robust standard deviations (1.4826 ×
// the median absolute deviation) from the baseline's median and differs from it by more than
// `min_change` (50 %: half again as large, or two thirds the size). Pure.
#ifndef PARAAT_COLLECTOR_EVALUATION_ANOMALY_H_
#define PARAAT_COLLECTOR_EVALUATION_ANOMALY_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "collector/evaluation/foresight_types.h"
#include "collector/evaluation/history.h"
#include "common/detail.h"

namespace paraat {

struct SizeAnomaly {
  std::string what;  // "size" | "file count"
  uint64_t value = 0;
  double median = 0;
  double spread = 0;    // robust relative spread of the baseline: exp(1.4826 × MAD of the logs) - 1
  size_t baseline = 0;  // backups in the baseline
  bool by_weekday = false;
  absl::Time time;  // the newest backup's
};

// Backups of the newest one's weekday needed for a weekday baseline.
constexpr size_t kMinWeekdayBaseline = 8;

// The anomaly of the newest backup in `backups` (oldest first), or nullopt.
std::optional<SizeAnomaly> DetectSizeAnomaly(const std::deque<BackupSample>& backups, const SizeAnomalyPolicy& policy);

// "newest backup (2026-11-29T02:00:00Z) is 512.0 MiB, 10% of the usual 5.0 GiB for a Sunday
// (median of 8 backups, which vary by 12%)".
// MachineText(SizeAnomalyDetail(a)).
std::string DescribeSizeAnomaly(const SizeAnomaly& a);
Detail SizeAnomalyDetail(const SizeAnomaly& a);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_ANOMALY_H_
