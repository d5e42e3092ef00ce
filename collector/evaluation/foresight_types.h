// What a plan asks of its foresight signals (forecast.h, anomaly.h, posture.h) and what the
// evaluation found, kept apart from the evaluator's own rules so each signal stays in its file.
#ifndef PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_
#define PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace paraat {

// size_anomaly: {deviations: 5, min_change: 50%, min_history: 8}, or size_anomaly: off.
struct SizeAnomalyPolicy {
  bool enabled = true;
  double deviations = 5;    // robust standard deviations from the baseline's median
  double min_change = 0.5;  // and at least this share of it
  size_t min_history = 8;   // earlier backups needed before any verdict
  bool operator==(const SizeAnomalyPolicy&) const = default;
};

// The plan's keys (docs/design.md, "Plan file"):
//   forecast_horizon: 30d        # at_risk when the restore forecast breaches the RTO within this
//   size_anomaly: {...}          # the backup size baseline's thresholds (anomaly.h)
struct ForesightPolicy {
  absl::Duration forecast_horizon = absl::Hours(24 * 30);
  SizeAnomalyPolicy size_anomaly;
  bool operator==(const ForesightPolicy&) const = default;
};

struct ForesightFindings {
  // The earliest date any restore_test source's trend crosses the RTO (forecast.h).
  std::optional<absl::Time> restore_forecast_breach;
  std::string restore_forecast_source;
  bool operator==(const ForesightFindings&) const = default;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_FORESIGHT_TYPES_H_
