// The foresight rules of plan evaluation: findings that see a breach coming (a restore that will
// outgrow the RTO) or that are hidden in evidence that still passes. Called by the evaluator;
// pure, like it.
//
//   rto_forecast  at_risk  a restore_test source's restore time grows and its trend crosses the
//                          RTO within the plan's forecast_horizon (forecast.h)
//   backup_size_anomaly  at_risk  the newest backup of a recovery point or integrity source is far
//                          smaller or larger than its earlier ones (anomaly.h)
//   backup_entropy_anomaly  at_risk  the newest backup of such a source is near-random where its
//                          earlier ones were compressible (entropy_anomaly.h)
//   coverage_age_exceeded  at_risk  such a source's rotating verification misses its check's
//                          verify_within: it cannot read every byte back in time, or has not
//   copies_insufficient  not_ready  fewer copies, off-site, immutable copies or media than the
//                          plan's `copies` asks (posture.h)
#ifndef PARAAT_COLLECTOR_EVALUATION_FORESIGHT_H_
#define PARAAT_COLLECTOR_EVALUATION_FORESIGHT_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/foresight_types.h"
#include "collector/evaluation/plan.h"
#include "common/yaml_reader.h"

namespace paraat {

// Reads the plan's foresight keys from its top-level map (before doc.Finish()), after its
// sources (size_anomaly.per_source names them).
void ParseForesight(YamlMap& doc, Plan* plan);

// The coverage_age_exceeded detail of a recovery point or integrity source's latest passing
// result `o`: its rotation needs longer than its check's verify_within to read every byte back,
// or its oldest byte has gone unread longer; nullopt when it keeps to it or has no bound.
std::optional<Detail> CoverageAgeDetail(const std::string& key, const Observation& o);

// Adds the foresight findings and reasons to `out` (reasons unsorted, like the evaluator's).
void EvaluateForesight(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_FORESIGHT_H_
