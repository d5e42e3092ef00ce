// Wires the collector together and nothing more: the evidence store, the state, the ingest
// writer, the evaluation loop, the plans, the coordination with other collectors, the gRPC
// services (agents, query, health, reflection) and the HTTP pages. What each part does is in its
// own room: collector/store, evaluation, ingest, serving (docs/architecture.md).
//
// Thread-safety: Start() and Shutdown() from one thread; ReloadPlans() from any.
#ifndef PARAAT_COLLECTOR_COLLECTOR_H_
#define PARAAT_COLLECTOR_COLLECTOR_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "collector/config.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/agent_quota.h"
#include "collector/ingest/agent_registry.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/chain_monitor.h"
#include "collector/ingest/cluster.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/notary.h"
#include "collector/ingest/plan_set.h"
#include "collector/ingest/store_health.h"
#include "collector/serving/auth.h"
#include "collector/serving/console/console.h"
#include "collector/serving/evidence_export.h"
#include "collector/serving/exercise_recorder.h"
#include "collector/serving/http_server.h"
#include "collector/serving/metrics_exporter.h"
#include "collector/serving/query_service.h"
#include "collector/serving/web.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "grpcpp/health_check_service_interface.h"
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
  absl::Status StartGrpc();
  absl::Status StartConsole(const WebAuth& auth);
  absl::Status StartHttp();

  CollectorConfig config_;
  // The collector's own time: the system clock, its steps followed only once they last
  // (common/clock.h). Everything below takes this one.
  std::unique_ptr<SteadyWallClock> steady_clock_;
  const Clock* clock_;
  CollectorMetrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreHealth> health_;
  EvidenceState state_;
  AgentRegistry agents_;
  std::unique_ptr<AgentQuota> quota_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<EvaluationLoop> loop_;
  std::unique_ptr<PlanSet> plans_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<ChainMonitor> chain_monitor_;
  std::unique_ptr<Notary> notary_;  // null without a signing key
  std::unique_ptr<StateMetrics> state_metrics_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<QueryServiceImpl> query_service_;
  std::optional<Authorizer> authorizer_;
  // Signs checkpoints for exports (unset fields without a notary).
  ExportSigner ExportSigning();
  absl::Status StartNotary();

  std::unique_ptr<grpc::Server> server_;
  // The web console's own recorder and exporter (stateless, as the query API's).
  std::unique_ptr<ExerciseRecorder> console_exercises_;
  std::unique_ptr<EvidenceExport> console_export_;
  std::unique_ptr<WebConsole> console_;
  std::atomic<grpc::HealthCheckServiceInterface*> grpc_health_{nullptr};  // follows health_
  HttpServer http_;  // last: stopped first, before what its handlers use
  int grpc_port_ = 0;
  bool started_ = false;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_COLLECTOR_H_
