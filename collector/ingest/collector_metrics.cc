#include "collector/ingest/collector_metrics.h"

#include "common/version.h"

namespace paraat {
namespace {

prometheus::Counter& NewCounter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& NewGauge(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Histogram& NewHistogram(prometheus::Registry& r, const std::string& name, const std::string& help,
                                    prometheus::Histogram::BucketBoundaries buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, std::move(buckets));
}

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                 0.25,  0.5,    1,     2.5,  5,     10};

}  // namespace

CollectorMetrics::CollectorMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      results_received(
          NewCounter(*registry_, "paraat_collector_results_received_total", "Results received from agents and stored")),
      results_duplicate(NewCounter(*registry_, "paraat_collector_results_duplicate_total",
                                   "Results received again after a reconnect and not stored twice")),
      evidence_records(
          NewCounter(*registry_, "paraat_collector_evidence_records_total", "Evidence records appended to the chain")),
      agent_dropped_results(NewCounter(*registry_, "paraat_collector_agent_dropped_results_total",
                                       "Results agents reported dropping from a full spool")),
      store_errors(
          NewCounter(*registry_, "paraat_collector_store_errors_total", "Failed commits to the evidence store")),
      ingest_duration(NewHistogram(*registry_, "paraat_collector_ingest_duration_seconds",
                                   "From a batch's arrival to its acknowledgement (durably stored)", kLatencyBuckets)),
      commit_duration(NewHistogram(*registry_, "paraat_collector_store_commit_duration_seconds",
                                   "Duration of one evidence store transaction", kLatencyBuckets)),
      commit_size(NewHistogram(*registry_, "paraat_collector_store_commit_records",
                               "Evidence records per store transaction",
                               {1, 10, 100, 1000, 5000, 10000, 25000, 50000})),
      evaluation_duration(NewHistogram(*registry_, "paraat_collector_evaluation_duration_seconds",
                                       "Duration of one evaluation of all plans", kLatencyBuckets)),
      plan_transitions(
          NewCounter(*registry_, "paraat_collector_plan_transitions_total", "Plan state changes recorded as evidence")),
      streams(NewGauge(*registry_, "paraat_collector_agent_streams", "Open agent streams")),
      chain_verified(NewGauge(*registry_, "paraat_evidence_chain_verified",
                              "1 when the last verification found the evidence chain intact, 0 when broken")),
      chain_verified_time(NewGauge(*registry_, "paraat_evidence_chain_last_verified_timestamp_seconds",
                                   "When the evidence chain was last verified (0: not yet)")),
      chain_records(
          NewGauge(*registry_, "paraat_evidence_chain_records", "Evidence records checked by the last verification")),
      store_up(NewGauge(*registry_, "paraat_collector_store_up",
                        "1 while the collector can use its evidence store, 0 while it cannot")),
      clock_step(NewGauge(*registry_, "paraat_collector_clock_step_seconds",
                          "How far the system clock stepped from the collector's own time, not followed (yet)")),
      signing_enabled(
          NewGauge(*registry_, "paraat_evidence_signing_enabled",
                   "1 when the collector has a signing key and signs checkpoints; 0: exports carry no proof")),
      checkpoint_time(NewGauge(*registry_, "paraat_evidence_checkpoint_timestamp_seconds",
                               "When the newest signed checkpoint of the evidence log was signed (0: none yet)")),
      checkpoint_tree_size(NewGauge(*registry_, "paraat_evidence_checkpoint_tree_size",
                                    "Evidence records the newest signed checkpoint covers")),
      checkpoints_untimestamped(NewGauge(*registry_, "paraat_evidence_checkpoints_without_timestamp",
                                         "Signed checkpoints the time-stamping authority has not stamped yet")),
      checkpoint_errors(NewCounter(*registry_, "paraat_evidence_checkpoint_errors_total",
                                   "Checkpoints that could not be signed or stored")),
      timestamp_errors(NewCounter(*registry_, "paraat_evidence_timestamp_errors_total",
                                  "Requests to the time-stamping authority that failed")) {
  store_up.Set(1);
  chain_verified.Set(1);  // innocent until verified otherwise; the timestamp says whether it ran
  rejected_ = &prometheus::BuildCounter()
                   .Name("paraat_collector_results_rejected_total")
                   .Help("Results or streams refused, by reason")
                   .Register(*registry_);
  for (const char* reason :
       {reject_reason::kInvalid, reject_reason::kTooLarge, reject_reason::kNoHello, reject_reason::kIdentity,
        reject_reason::kRateLimited, reject_reason::kStoreError, reject_reason::kUnknownCheck,
        reject_reason::kTooManyChecks, reject_reason::kTooManyAgents}) {
    rejected_->Add({{"reason", reason}});
  }
  prometheus::BuildGauge()
      .Name("paraat_build_info")
      .Help("Paraat collector build")
      .Register(*registry_)
      .Add({{"version", PARAAT_VERSION}})
      .Set(1);
}

}  // namespace paraat
