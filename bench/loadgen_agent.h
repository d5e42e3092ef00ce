// paraat-loadgen's simulated agents: gRPC callback streams that speak the real agent protocol
// (hello, numbered result batches, acknowledgements), and the probe agent that measures how long
// a result takes to show on /metrics.
//
// Thread-safety: a Stream's callbacks run on gRPC's threads and Drain/Tick on the caller's; the
// stream's own mutex serialises them. What all streams share (Run) is atomics, a condition
// variable and a mutex-guarded Stats.
#ifndef PARAAT_BENCH_LOADGEN_AGENT_H_
#define PARAAT_BENCH_LOADGEN_AGENT_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bench/loadgen_options.h"
#include "grpcpp/grpcpp.h"
#include "paraat/v1/agent.grpc.pb.h"

namespace paraat::loadgen {

// Realistic results: file backups with checksum facts and PostgreSQL standbys with lag, the
// shapes the real checks produce (sizes, details, perfdata values).
paraat::v1::Result MakeResult(int check, std::mt19937_64& rng);

struct Stats {
  std::mutex mu;
  std::vector<float> latencies_ms;  // acknowledgements inside the measuring window
  uint64_t results = 0;
  uint64_t duplicates = 0;
  std::vector<std::string> failures;
};

// What every stream shares: when measuring starts and ends, and when to stop sending.
struct Run {
  // Unix nanoseconds; batches sent from measure_start and acknowledged by measure_end count.
  std::atomic<int64_t> measure_start{INT64_MAX};
  std::atomic<int64_t> measure_end{INT64_MAX};
  std::atomic<bool> stop{false};
  std::atomic<int> welcomed{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::condition_variable cv;
  Stats stats;
};

// One simulated agent on its own stream: sends batches of `batch` results, at most `window`
// unacknowledged (0: what the collector's welcome allows), and counts the acknowledgements
// inside the measuring window into `run`.
class Stream : public grpc::ClientBidiReactor<paraat::v1::AgentMessage, paraat::v1::CollectorMessage> {
 public:
  Stream(paraat::v1::AgentService::Stub* stub, const std::string& agent_id, uint64_t epoch, const Options& o, int batch,
         int window, Run* run);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // Stops sending; once everything is acknowledged the stream half-closes and the collector
  // ends it.
  void Drain();
  // Keeps sending at the paced rate (call from a timer loop when --rate is set).
  void Tick() { Drain(); }

 private:
  // Sends the next batch when the window and the pacing allow; half-closes when stopping.
  void SendMoreLocked(std::unique_lock<std::mutex>& lock);

  grpc::ClientContext context_;
  const std::string agent_id_;
  const int batch_size_;
  int window_;
  const double rate_;
  Run* const run_;
  std::mt19937_64 rng_;
  paraat::v1::AgentMessage hello_;
  std::vector<paraat::v1::AgentMessage> batch_templates_;
  paraat::v1::CollectorMessage in_;

  std::mutex mu_;
  bool writing_ = true;  // the hello
  bool finishing_ = false;
  bool welcomed_ = false;
  uint64_t sequence_ = 0;
  std::vector<std::pair<uint64_t, absl::Time>> inflight_;
  absl::Time next_send_ = absl::InfinitePast();
};

// Result -> metric latency: one more agent sends a single result, waits for the ack, then polls
// /metrics (o.probe_metrics) until the result shows; every 2s until `until`. Milliseconds per
// probe; empty when the probe could not connect.
std::vector<float> ProbeResultToMetric(const Options& o, std::shared_ptr<grpc::ChannelCredentials> creds,
                                       absl::Time until);

}  // namespace paraat::loadgen

#endif  // PARAAT_BENCH_LOADGEN_AGENT_H_
