// The collector's own instruments (prometheus-cpp). Plan, check and agent series are not kept
// here: they are derived from the evaluation snapshot and the evidence state at scrape time
// (see serving/metrics_exporter.h), so there is nothing to keep in sync.
#ifndef PARAAT_COLLECTOR_INGEST_COLLECTOR_METRICS_H_
#define PARAAT_COLLECTOR_INGEST_COLLECTOR_METRICS_H_

#include <memory>
#include <string>

#include "collector/evaluation/outputs.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace paraat {

// Bounded reasons for rejected results and streams.
namespace reject_reason {
inline constexpr const char kInvalid[] = "invalid";
inline constexpr const char kTooLarge[] = "too_large";
inline constexpr const char kNoHello[] = "no_hello";
inline constexpr const char kIdentity[] = "identity_mismatch";
inline constexpr const char kRateLimited[] = "rate_limited";
inline constexpr const char kStoreError[] = "store_error";
inline constexpr const char kUnknownCheck[] = "unknown_check";     // a result for a check the hello did not list
inline constexpr const char kTooManyChecks[] = "too_many_checks";  // a hello beyond an agent's checks
inline constexpr const char kTooManyAgents[] = "too_many_agents";  // a hello beyond limits.max_agents
}  // namespace reject_reason

class CollectorMetrics : public EvaluationMetrics {
 private:
  // Declared first: the instruments below are registered in it as they are initialised.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  CollectorMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  void Evaluated(absl::Duration took) override { evaluation_duration.Observe(absl::ToDoubleSeconds(took)); }
  void TransitionsRecorded(size_t n) override { plan_transitions.Increment(static_cast<double>(n)); }
  prometheus::Counter& Rejected(const std::string& reason) { return rejected_->Add({{"reason", reason}}); }

  prometheus::Counter& results_received;
  prometheus::Counter& results_duplicate;
  prometheus::Counter& evidence_records;
  prometheus::Counter& agent_dropped_results;
  prometheus::Counter& store_errors;
  prometheus::Histogram& ingest_duration;
  prometheus::Histogram& commit_duration;
  prometheus::Histogram& commit_size;
  prometheus::Histogram& evaluation_duration;
  prometheus::Counter& plan_transitions;
  prometheus::Gauge& streams;
  prometheus::Gauge& chain_verified;             // 1 when the last verification found the chain intact
  prometheus::Gauge& chain_verified_time;        // when it ran
  prometheus::Gauge& chain_records;              // records it checked
  prometheus::Gauge& store_up;                   // 1 while the evidence store can be used (StoreHealth)
  prometheus::Gauge& clock_step;                 // the system clock's step the collector does not follow (yet)
  prometheus::Gauge& signing_enabled;            // 1 with a signing key (signing_key), else 0
  prometheus::Gauge& checkpoint_time;            // when the newest signed checkpoint was signed (0: none)
  prometheus::Gauge& checkpoint_tree_size;       // the records it covers
  prometheus::Gauge& checkpoints_untimestamped;  // signed checkpoints still without an RFC 3161 token
  prometheus::Counter& checkpoint_errors;        // checkpoints that could not be signed or stored
  prometheus::Counter& timestamp_errors;         // time-stamp requests that failed

 private:
  prometheus::Family<prometheus::Counter>* rejected_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_COLLECTOR_METRICS_H_
