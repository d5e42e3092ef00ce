#include "collector/evaluation/foresight.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/anomaly.h"
#include "collector/evaluation/entropy_anomaly.h"
#include "collector/evaluation/forecast.h"
#include "collector/evaluation/posture.h"
#include "common/units.h"

namespace paraat {

void ParseForesight(YamlMap& doc, ForesightPolicy* out) {
  if (auto horizon = doc.PositiveDuration("forecast_horizon")) out->forecast_horizon = *horizon;
  if (doc.Has("size_anomaly") && doc.Raw("size_anomaly").IsScalar()) {
    if (auto off = doc.Bool("size_anomaly")) {
      if (*off) {
        doc.Error("size_anomaly", "write off, or the thresholds: {deviations: 5, min_change: 50%, min_history: 8}");
      } else {
        out->size_anomaly.enabled = false;
      }
    }
  } else if (auto m = doc.Map("size_anomaly")) {
    SizeAnomalyPolicy& p = out->size_anomaly;
    if (auto d = m->Int("deviations", 1, 1000)) p.deviations = static_cast<double>(*d);
    if (auto c = m->Percent("min_change")) p.min_change = *c;
    if (auto h = m->Int("min_history", 2, static_cast<int64_t>(SourceHistory::kMaxBackups) - 1)) {
      p.min_history = static_cast<size_t>(*h);
    }
    m->Finish();
  }
  if (auto on = doc.Bool("entropy_anomaly")) out->entropy_anomaly.enabled = *on;
  ParseCopies(doc, out);
}

namespace {

void EvaluateRestoreForecast(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out) {
  std::optional<RestoreForecast> earliest;
  std::string from;
  for (const std::string& key : plan.restore_test) {
    const SourceState* s = evidence.Source(key);
    if (s == nullptr) continue;
    std::optional<RestoreForecast> f = ForecastRestore(s->history.restores, plan.rto);
    if (f && (!earliest || f->breach < earliest->breach)) {
      earliest = f;
      from = key;
    }
  }
  if (!earliest) return;
  out->foresight.restore_forecast_breach = earliest->breach;
  out->foresight.restore_forecast_source = from;
  // A restore already over the RTO is rto_exceeded; a failed one says nothing about its time.
  if (out->HasReason("rto_exceeded") || out->HasReason("restore_test_failed")) return;
  if (earliest->breach - now > plan.foresight.forecast_horizon) return;
  out->AddReason(
      "rto_forecast", paraat::v1::PLAN_STATE_AT_RISK, from,
      Detail{"reason.rto_forecast.detail",
             {DetailArg::Text("source", from), DetailArg::Nested("forecast", ForecastDetail(*earliest, plan.rto)),
              DetailArg::Duration("horizon", plan.foresight.forecast_horizon)}});
}

// Each backup source once (recovery point and integrity roles): its newest backup's size and
// content entropy against its baseline.
void EvaluateSizeAnomalies(const Plan& plan, const EvidenceView& evidence, Evaluation* out) {
  std::vector<const std::string*> done;
  for (Role role : {Role::kRecoveryPoint, Role::kIntegrity}) {
    for (const std::string& key : plan.Sources(role)) {
      if (std::find_if(done.begin(), done.end(), [&](const std::string* d) { return *d == key; }) != done.end()) {
        continue;
      }
      done.push_back(&key);
      const SourceState* s = evidence.Source(key);
      if (s == nullptr) continue;
      std::optional<SizeAnomaly> a = DetectSizeAnomaly(s->history.backups, plan.foresight.size_anomaly);
      if (a) {
        out->AddReason("backup_size_anomaly", paraat::v1::PLAN_STATE_AT_RISK, key,
                       Detail{"reason.backup_size_anomaly.detail",
                              {DetailArg::Text("source", key), DetailArg::Nested("anomaly", SizeAnomalyDetail(*a))}});
      }
      std::optional<EntropyAnomaly> e = DetectEntropyAnomaly(s->history.backups, plan.foresight.entropy_anomaly);
      if (e) {
        out->AddReason(
            "backup_entropy_anomaly", paraat::v1::PLAN_STATE_AT_RISK, key,
            Detail{"reason.backup_entropy_anomaly.detail",
                   {DetailArg::Text("source", key), DetailArg::Nested("anomaly", EntropyAnomalyDetail(*e))}});
      }
    }
  }
}

}  // namespace

void EvaluateForesight(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out) {
  EvaluateRestoreForecast(plan, evidence, now, out);
  EvaluateSizeAnomalies(plan, evidence, out);
  EvaluateCopies(plan, evidence, now, out);
}

}  // namespace paraat
