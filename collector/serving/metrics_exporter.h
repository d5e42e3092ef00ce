// Plan, check and agent series for Prometheus, derived at scrape time from the latest
// evaluation snapshot and the evidence state (docs/design.md, "Metrics").
//
// Rendered straight to the text exposition format: a fleet has 100,000 checks and more, and
// building prometheus-cpp's MetricFamily objects for each series (labels as string pairs,
// then serialised through an ostream) cost ~1.4 µs a series (bench/RESULTS.md).
#ifndef PARAAT_COLLECTOR_SERVING_METRICS_EXPORTER_H_
#define PARAAT_COLLECTOR_SERVING_METRICS_EXPORTER_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_registry.h"
#include "common/clock.h"

namespace paraat {

// One metric family in Prometheus text format: the HELP/TYPE header, then samples in the order
// added. Nothing is written for a family without samples.
class TextFamily {
 public:
  TextFamily(absl::string_view name, absl::string_view help, absl::string_view type = "gauge");
  // `labels` is a label list without braces as LabelText builds it (may be empty).
  void Add(absl::string_view labels, double value);
  void AppendTo(std::string* out) const;

 private:
  std::string name_;
  std::string header_;
  std::string body_;
};

// Appends `name="value"` to a label list, with a separating comma and the value escaped.
void AppendLabel(std::string* labels, absl::string_view name, absl::string_view value);
// A sample value as Prometheus reads it: shortest round-trip decimal, NaN, +Inf, -Inf.
void AppendValue(std::string* out, double value);

class StateMetrics {
 public:
  // `exports_plans` says whether this collector publishes plan series (with several collectors
  // on one database, only the one evaluating does). Check series of a source silent for longer
  // than `retention` (agent_retention), and agent series of an agent without a stream silent
  // that long, are left out: what an agent once sent, or a client invented, does not stay on
  // every scrape forever. Plan series still name such sources; their evidence stays.
  // `verdicts_stale` says whether the plans' verdicts are the last ones before a store outage
  // (paraat_plan_verdict_stale).
  StateMetrics(const EvaluationLoop* loop, const EvidenceState* state, const AgentRegistry* agents, const Clock* clock,
               std::function<bool()> exports_plans = nullptr, absl::Duration retention = absl::InfiniteDuration(),
               std::function<bool()> verdicts_stale = nullptr);

  // Appends every plan, check and agent family to `out`.
  void Render(std::string* out) const;

 private:
  void RenderPlans(std::string* out) const;
  // The recovery chain's figures (docs/design.md, "Dependencies and recovery time").
  void RenderChains(const EvaluationSnapshot& snap, std::string* out) const;
  void RenderChecks(std::string* out) const;
  void RenderAgents(std::string* out) const;

  const EvaluationLoop* loop_;
  const EvidenceState* state_;
  const AgentRegistry* agents_;
  const Clock* clock_;
  std::function<bool()> exports_plans_;
  absl::Duration retention_;
  std::function<bool()> verdicts_stale_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_METRICS_EXPORTER_H_
