// Plan, check and agent series for Prometheus, derived at scrape time from the latest
// evaluation snapshot and the evidence state (DESIGN.md, "Metrics").
#ifndef PARAAT_COLLECTOR_METRICS_EXPORTER_H_
#define PARAAT_COLLECTOR_METRICS_EXPORTER_H_

#include <functional>
#include <vector>

#include "collector/evaluation_loop.h"
#include "collector/state.h"
#include "common/clock.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace paraat {

class StateMetrics : public prometheus::Collectable {
 public:
  // `exports_plans` says whether this collector publishes plan series (with several collectors
  // on one database, only the one evaluating does).
  StateMetrics(const EvaluationLoop* loop, const EvidenceState* state, const AgentRegistry* agents, const Clock* clock,
               std::function<bool()> exports_plans = nullptr);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void CollectPlans(std::vector<prometheus::MetricFamily>* out) const;
  void CollectChecks(std::vector<prometheus::MetricFamily>* out) const;
  void CollectAgents(std::vector<prometheus::MetricFamily>* out) const;

  const EvaluationLoop* loop_;
  const EvidenceState* state_;
  const AgentRegistry* agents_;
  const Clock* clock_;
  std::function<bool()> exports_plans_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_METRICS_EXPORTER_H_
