// The agent stream endpoint (gRPC callback API: one reactor per stream, no thread per agent).
//
// Per stream: Hello first (validated, identity checked), then batches. Each valid batch becomes
// one WriteGroup for the Ingest writer; its Ack is sent only after the commit. Up to
// `max_inflight_batches` batches per stream are read ahead; beyond that the stream stops
// reading until acknowledgements free a slot (backpressure). Across all streams, a stream with a
// batch in flight also stops reading while the writer's queue holds more than
// `max_queued_records`: memory and acknowledgement latency stay bounded however many agents
// send at once. A malformed or oversized message
// ends only its own stream, with INVALID_ARGUMENT or RESOURCE_EXHAUSTED.
//
// What one agent can make the collector hold is bounded: results for checks its hello did not
// list are refused and counted (`unknown_check`), the rest of the batch stored; the agents and
// their checks count against AgentQuota (max_agents, 10,000 checks an agent). Without TLS a
// connection speaks for one agent id at a time: a hello for another id on a connection with a
// stream open is refused. The rate limit applies per agent id and per connection.
#ifndef PARAAT_COLLECTOR_INGEST_AGENT_SERVICE_H_
#define PARAAT_COLLECTOR_INGEST_AGENT_SERVICE_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "collector/ingest/agent_quota.h"
#include "collector/ingest/agent_registry.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/rate_limiter.h"
#include "collector/ingest/validation.h"
#include "common/clock.h"
#include "paraat/v1/agent.grpc.pb.h"

namespace paraat {

struct AgentServiceOptions {
  IngestLimits limits;
  uint32_t max_inflight_batches = 2;
  size_t max_queued_records = 100000;
  // Per-agent ingest limit (token bucket over all of an agent's streams).
  double results_per_second = 5000;
  double results_burst = 50000;
  // Given a stream's context, the agent ids it may speak for; empty means any (plaintext
  // loopback or no identity configured). Set when mTLS is on.
  std::function<std::vector<std::string>(const grpc::CallbackServerContext&)> identities;
};

class AgentServiceImpl final : public paraat::v1::AgentService::CallbackService {
 public:
  // `quota` may be null (no bound on agents and their checks beyond the hello's).
  AgentServiceImpl(Ingest* ingest, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
                   AgentServiceOptions options, AgentQuota* quota = nullptr);

  grpc::ServerBidiReactor<paraat::v1::AgentMessage, paraat::v1::CollectorMessage>* Stream(
      grpc::CallbackServerContext* context) override;

 private:
  friend class AgentStreamReactor;
  // A hello's admission beyond its own content: the connection's agent (plaintext) and the
  // quota. On refusal, the metric reason in *reason.
  grpc::Status Admit(const std::string& connection, const paraat::v1::Hello& hello, const char** reason);
  // A stream that was admitted ends.
  void Release(const std::string& connection);

  Ingest* ingest_;
  AgentRegistry* agents_;
  CollectorMetrics* metrics_;
  const Clock* clock_;
  const AgentServiceOptions options_;
  AgentQuota* const quota_;
  std::atomic<int64_t> last_forget_ms_{-60000};  // monotonic: when the registry was swept of silent agents
  AgentRateLimiter limiter_;
  // Plaintext only: the agent id each connection (peer) speaks for, while it has streams open.
  struct Connection {
    std::string agent;
    int streams = 0;
  };
  std::mutex connections_mu_;
  absl::flat_hash_map<std::string, Connection> connections_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_AGENT_SERVICE_H_
