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

namespace {

constexpr char kSizeAnomalyForm[] = "write off, or the thresholds: {deviations: 5, min_change: 50%, min_history: 8}";

// deviations, min_change and min_history of a size_anomaly map (the plan's or a source's).
void ReadSizeThresholds(YamlMap& m, SizeAnomalyPolicy* p) {
  if (auto d = m.Int("deviations", 1, 1000)) p->deviations = static_cast<double>(*d);
  if (auto c = m.Percent("min_change")) p->min_change = *c;
  if (auto h = m.Int("min_history", 2, static_cast<int64_t>(SourceHistory::kMaxBackups) - 1)) {
    p->min_history = static_cast<size_t>(*h);
  }
}

bool IsBackupSource(const Plan& plan, const std::string& key) {
  return std::find(plan.recovery_point.begin(), plan.recovery_point.end(), key) != plan.recovery_point.end() ||
         std::find(plan.integrity.begin(), plan.integrity.end(), key) != plan.integrity.end();
}

// size_anomaly.per_source: {agent/check: {thresholds} | off}, each starting from the plan's.
void ReadSizeAnomalyPerSource(YamlMap& m, Plan* plan) {
  if (!m.Has("per_source")) return;
  const YAML::Node node = m.Raw("per_source");
  const std::string path = m.KeyPath("per_source");
  if (!node.IsMap()) {
    m.Error("per_source",
            "write the plan's backup sources with their thresholds, e.g. {db-01/logs: {min_change: "
            "90%}, db-01/tmp: off}");
    return;
  }
  ForesightPolicy& f = plan->foresight;
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string at = absl::StrCat(path, ".", ConfigExcerpt(key));
    if (!IsBackupSource(*plan, key)) {
      m.errors()->Add(entry.first, at, "is not a recovery_point or integrity source of this plan");
      continue;
    }
    if (f.size_anomaly_by_source.count(key)) {
      m.errors()->Add(entry.first, at, "is given twice");
      continue;
    }
    SizeAnomalyPolicy p = f.size_anomaly;
    p.enabled = true;
    if (entry.second.IsScalar()) {
      const std::string& v = entry.second.Scalar();
      if (v == "off" || v == "false" || v == "no") {
        p.enabled = false;
      } else {
        m.errors()->Add(entry.second, at, kSizeAnomalyForm);
        continue;
      }
    } else {
      YamlMap sub(entry.second, at, m.errors(), LineOf(entry.first));
      if (!sub.valid()) continue;
      ReadSizeThresholds(sub, &p);
      sub.Finish();
    }
    f.size_anomaly_by_source[key] = p;
  }
}

}  // namespace

void ParseForesight(YamlMap& doc, Plan* plan) {
  ForesightPolicy* out = &plan->foresight;
  if (auto horizon = doc.PositiveDuration("forecast_horizon")) out->forecast_horizon = *horizon;
  if (doc.Has("size_anomaly") && doc.Raw("size_anomaly").IsScalar()) {
    if (auto off = doc.Bool("size_anomaly")) {
      if (*off) {
        doc.Error("size_anomaly", kSizeAnomalyForm);
      } else {
        out->size_anomaly.enabled = false;
      }
    }
  } else if (auto m = doc.Map("size_anomaly")) {
    ReadSizeThresholds(*m, &out->size_anomaly);
    ReadSizeAnomalyPerSource(*m, plan);
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
// content entropy against its baseline, and its rotation's coverage age.
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
      std::optional<SizeAnomaly> a = DetectSizeAnomaly(s->history.backups, plan.foresight.SizeAnomalyFor(key));
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
      if (s->latest_ok) {
        if (std::optional<Detail> d = CoverageAgeDetail(key, *s->latest_ok)) {
          out->AddReason("coverage_age_exceeded", paraat::v1::PLAN_STATE_AT_RISK, key, std::move(*d));
        }
      }
    }
  }
}

}  // namespace

std::optional<Detail> CoverageAgeDetail(const std::string& key, const Observation& o) {
  if (!o.verify_within_seconds || *o.verify_within_seconds <= 0) return std::nullopt;
  const absl::Duration within = absl::Seconds(*o.verify_within_seconds);
  if (o.coverage_reach_seconds && absl::Seconds(*o.coverage_reach_seconds) > within) {
    return Detail{
        "reason.coverage_age_exceeded.detail.reach",
        {DetailArg::Text("source", key), DetailArg::Duration("reach", absl::Seconds(*o.coverage_reach_seconds)),
         DetailArg::Duration("within", within)}};
  }
  if (o.coverage_age_seconds && absl::Seconds(*o.coverage_age_seconds) > within) {
    return Detail{"reason.coverage_age_exceeded.detail.age",
                  {DetailArg::Text("source", key), DetailArg::Duration("age", absl::Seconds(*o.coverage_age_seconds)),
                   DetailArg::Duration("within", within)}};
  }
  return std::nullopt;
}

void EvaluateForesight(const Plan& plan, const EvidenceView& evidence, absl::Time now, Evaluation* out) {
  EvaluateRestoreForecast(plan, evidence, now, out);
  EvaluateSizeAnomalies(plan, evidence, out);
  EvaluateCopies(plan, evidence, now, out);
}

}  // namespace paraat
