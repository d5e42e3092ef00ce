#include "collector/evaluation/entropy_anomaly.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time_util.h"

namespace paraat {

std::optional<EntropyAnomaly> DetectEntropyAnomaly(const std::deque<BackupSample>& backups,
                                                   const EntropyAnomalyPolicy& policy) {
  if (!policy.enabled || backups.empty() || !backups.back().entropy_bits) return std::nullopt;
  const BackupSample& newest = backups.back();
  std::vector<double> earlier;
  for (size_t i = 0; i + 1 < backups.size(); ++i) {
    if (backups[i].entropy_bits) earlier.push_back(*backups[i].entropy_bits);
  }
  if (earlier.size() < policy.min_history) return std::nullopt;
  std::sort(earlier.begin(), earlier.end());
  const size_t mid = earlier.size() / 2;
  const double median = earlier.size() % 2 == 1 ? earlier[mid] : (earlier[mid - 1] + earlier[mid]) / 2;
  const double bits = *newest.entropy_bits;
  if (median > kCompressibleBits || bits < kRandomBits || bits - median < kMinRiseBits) return std::nullopt;
  return EntropyAnomaly{bits, median, earlier.size(), newest.time};
}

std::string DescribeEntropyAnomaly(const EntropyAnomaly& a) { return MachineText(EntropyAnomalyDetail(a)); }

Detail EntropyAnomalyDetail(const EntropyAnomaly& a) {
  return Detail{"reason.part.entropy_anomaly",
                {DetailArg::Time("t", a.time), DetailArg::Number("bits", a.bits), DetailArg::Number("median", a.median),
                 DetailArg::Count("n", static_cast<int64_t>(a.baseline))}};
}

}  // namespace paraat
