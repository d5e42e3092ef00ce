// Encryption (ransomware) indicator: a source whose backups were compressible and whose newest
// backup is near-random. The agent samples blocks of a backup it can read and reports their mean
// Shannon entropy (facts.content_entropy_bits, agent/checks/support/entropy.h); dumps, archives
// and logs lie well below 7 bits per byte, compressed or encrypted data near 8.
//
// The newest backup is an anomaly when the median of the source's earlier sampled backups is at
// most kCompressibleBits, the newest is at least kRandomBits, and it lies at least kMinRiseBits
// above that median. A source that is compressed or encrypted by design has a baseline near 8
// and never qualifies, so it needs no setting; `entropy_anomaly: off` in a plan, or
// `sample_entropy: false` on the check, turns the indicator off. Pure.
#ifndef PARAAT_COLLECTOR_EVALUATION_ENTROPY_ANOMALY_H_
#define PARAAT_COLLECTOR_EVALUATION_ENTROPY_ANOMALY_H_

#include <deque>
#include <optional>
#include <string>

#include "collector/evaluation/foresight_types.h"
#include "collector/evaluation/history.h"
#include "common/detail.h"

namespace paraat {

constexpr double kCompressibleBits = 7.0;
constexpr double kRandomBits = 7.5;
constexpr double kMinRiseBits = 1.0;

struct EntropyAnomaly {
  double bits = 0;    // the newest backup's
  double median = 0;  // the baseline's
  size_t baseline = 0;
  absl::Time time;  // the newest backup's
};

// The anomaly of the newest backup in `backups` (oldest first), or nullopt; only backups with a
// sampled entropy count.
std::optional<EntropyAnomaly> DetectEntropyAnomaly(const std::deque<BackupSample>& backups,
                                                   const EntropyAnomalyPolicy& policy);

// "newest backup (2026-11-29T02:00:00Z) looks encrypted: 8.00 bits per byte, where its earlier
// backups had 4.91 (median of 6); ransomware encrypting the data before it was backed up?"
// MachineText(EntropyAnomalyDetail(a)).
std::string DescribeEntropyAnomaly(const EntropyAnomaly& a);
Detail EntropyAnomalyDetail(const EntropyAnomaly& a);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_ENTROPY_ANOMALY_H_
