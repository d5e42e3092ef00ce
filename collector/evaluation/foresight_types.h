// What a plan asks of its foresight signals (forecast.h, anomaly.h, posture.h) and what the
// evaluation found, kept apart from the evaluator's own rules so each signal stays in its file.
#ifndef PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_
#define PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace paraat {

// size_anomaly: {deviations: 5, min_change: 50%, min_history: 8}, or size_anomaly: off; per
// source (a recovery_point or integrity source of the plan), starting from the plan's:
//   size_anomaly: {min_change: 50%, per_source: {db-01/logs: {min_change: 90%}, db-01/tmp: off}}
struct SizeAnomalyPolicy {
  bool enabled = true;
  double deviations = 5;    // robust standard deviations from the baseline's median
  double min_change = 0.5;  // and at least this share of it
  size_t min_history = 8;   // earlier backups needed before any verdict
  bool operator==(const SizeAnomalyPolicy&) const = default;
};

// entropy_anomaly: off, or on (the default; entropy_anomaly.h). The thresholds are fixed: a
// baseline at most kCompressibleBits, a newest backup at least kRandomBits and that much higher.
struct EntropyAnomalyPolicy {
  bool enabled = true;
  size_t min_history = 3;  // earlier sampled backups needed before any verdict
  bool operator==(const EntropyAnomalyPolicy&) const = default;
};

// copies: {min: 3, offsite: 1, immutable: 1, media: 2, site: dc-ams} (posture.h).
struct CopiesRequirement {
  int min = 0;
  int offsite = 0;
  int immutable = 0;
  int media = 0;
  std::string site;  // the production site: copies with another `location` label are off-site
  bool operator==(const CopiesRequirement&) const = default;
};

// The plan's keys (docs/design.md, "Plan file"):
//   forecast_horizon: 30d        # at_risk when the restore forecast breaches the RTO within this
//   size_anomaly: {...}          # the backup size baseline's thresholds (anomaly.h)
//   entropy_anomaly: off         # no verdict on sampled content entropy (entropy_anomaly.h)
struct ForesightPolicy {
  absl::Duration forecast_horizon = absl::Hours(24 * 30);
  SizeAnomalyPolicy size_anomaly;
  std::map<std::string, SizeAnomalyPolicy> size_anomaly_by_source;  // agent/check -> its own thresholds
  EntropyAnomalyPolicy entropy_anomaly;
  std::optional<CopiesRequirement> copies;
  bool operator==(const ForesightPolicy&) const = default;

  // The size anomaly thresholds of source `key`: its own, else the plan's.
  const SizeAnomalyPolicy& SizeAnomalyFor(const std::string& key) const {
    auto it = size_anomaly_by_source.find(key);
    return it == size_anomaly_by_source.end() ? size_anomaly : it->second;
  }
};

// Copies of the plan's data counted from its recovery point sources (posture.h).
struct CopiesCount {
  int total = 0;
  int offsite = 0;
  int immutable = 0;
  int media = 0;  // distinct `media` labels
  bool operator==(const CopiesCount&) const = default;
};

struct ForesightFindings {
  // The earliest date any restore_test source's trend crosses the RTO (forecast.h).
  std::optional<absl::Time> restore_forecast_breach;
  std::string restore_forecast_source;
  std::optional<CopiesCount> copies;  // when the plan has recovery point sources
  bool operator==(const ForesightFindings&) const = default;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_
