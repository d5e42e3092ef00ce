// Wires the collector together: evidence store, state, ingest writer, evaluation loop,
// gRPC services (agents, query, health, reflection) and the HTTP endpoints.
#ifndef PARAAT_COLLECTOR_COLLECTOR_H_
#define PARAAT_COLLECTOR_COLLECTOR_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "collector/config.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/ingest/ingest.h"
#include "collector/serving/auth.h"
#include "collector/serving/http_server.h"
#include "collector/serving/metrics_exporter.h"
#include "collector/serving/query_service.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "grpcpp/server.h"

namespace paraat {

class Collector {
 public:
  Collector(CollectorConfig config, const Clock* clock);
  ~Collector();

  // Opens the store, restores state, loads plans and starts serving. InvalidArgument means
  // bad plans or config (exit 2); anything else is a runtime failure.
  [[nodiscard]] absl::Status Start();
  void Shutdown();
  // Re-reads plans_dir; on any problem the plans in use stay and the problems are returned.
  [[nodiscard]] absl::StatusOr<size_t> ReloadPlans();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return http_.port(); }
  EvaluationLoop& evaluation() { return *loop_; }
  Store& store() { return *store_; }

 private:
  absl::Status RestoreState();
  absl::Status RecordPlanChanges(const std::vector<Plan>& plans);
  absl::Status StartGrpc();
  absl::Status StartHttp();
  // Re-verifies the evidence chain every verify_every (and soon after start) for the metrics.
  void VerifyLoop();
  // Folds one stored result or exercise into the state; adds the source a result changed.
  void Fold(const StoredRecord& r, std::vector<std::string>* changed);
  // Shared stores: folds in what other collectors committed (every 250 ms) and keeps
  // leadership current (every second).
  void Coordinate();
  // Folds records after tail_cursor_; with `all`, until caught up, else at most one slice.
  void Tail(bool all);
  void UpdateLeadership();

  CollectorConfig config_;
  const Clock* clock_;
  CollectorMetrics metrics_;
  std::unique_ptr<Store> store_;
  EvidenceState state_;
  AgentRegistry agents_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<EvaluationLoop> loop_;
  std::shared_ptr<StateMetrics> state_metrics_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<QueryServiceImpl> query_service_;
  std::optional<Authorizer> authorizer_;
  std::string metrics_password_;
  std::unique_ptr<grpc::Server> server_;
  HttpServer http_;
  int grpc_port_ = 0;
  std::mutex reload_mu_;
  std::map<std::string, std::string> plan_versions_;  // plan id -> recorded sha256 ("" when removed)
  bool started_ = false;
  bool shared_ = false;                      // other collectors write to the store too
  std::atomic<bool> leading_{true};          // this collector evaluates, records and maintains
  std::atomic<uint64_t> tail_cursor_{0};     // every record up to here is folded into state_
  std::map<uint64_t, uint64_t> own_ranges_;  // seq ranges this collector committed, not yet tailed
  std::thread coordinator_;
  std::thread verifier_;
  std::mutex verifier_mu_;
  std::condition_variable verifier_cv_;
  bool stopping_ = false;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_COLLECTOR_H_
