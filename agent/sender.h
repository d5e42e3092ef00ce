// Streams spooled batches to the collector over one gRPC stream and drops each batch from the
// spool when the collector acknowledges it. Reconnects with exponential backoff and jitter;
// after a reconnect every unacknowledged batch is sent again (the collector deduplicates). The
// backoff grows while the collector is unreachable or refuses the agent — also when it refuses
// right after welcoming it (its store is down, the agent sends too fast) — and starts again from a
// second only after a session the collector kept for kHealthySession. Why a stream ended is the
// collector's own status (code and message), logged when it changes. The hello and each batch
// carry the agent's wall clock, and each batch when this stream's welcome arrived, so the
// collector can measure the agent's clock offset. Every wait is on the injected clock.
// Thread-safe: Start, Stop, Wake and Flush may be called from any thread.
#ifndef PARAAT_AGENT_SENDER_H_
#define PARAAT_AGENT_SENDER_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/config.h"
#include "agent/spool.h"
#include "common/clock.h"
#include "paraat/v1/agent.grpc.pb.h"

namespace paraat {

class Sender {
 public:
  // A session that lasted this long resets the backoff to a second.
  static constexpr absl::Duration kHealthySession = absl::Seconds(30);

  Sender(const AgentConfig& config, Spool* spool, const Clock* clock = Clock::Real());
  ~Sender();

  // Builds the channel credentials; fails on unreadable TLS files.
  [[nodiscard]] absl::Status Init();
  void Start();
  void Stop();
  // A new batch is in the spool.
  void Wake();
  // Waits until the spool is empty (everything acknowledged) or `timeout` passes.
  bool Flush(absl::Duration timeout);
  bool connected() const { return connected_.load(); }
  // How many reconnect waits were chosen so far, and the last one (for tests and diagnostics).
  int backoffs() const { return backoffs_.load(); }
  absl::Duration last_backoff() const { return absl::Milliseconds(last_backoff_ms_.load()); }

 private:
  using AgentStream = grpc::ClientReaderWriterInterface<paraat::v1::AgentMessage, paraat::v1::CollectorMessage>;
  void Run();
  // How one connection's life ended.
  struct Outcome {
    absl::Status status;    // the collector's status (code and message), or the transport's
    bool welcomed = false;  // the collector welcomed the agent
    bool healthy = false;   // ... and kept the session for kHealthySession
  };
  // One connection's life: hello, then batches until the stream breaks or Stop().
  Outcome Session();
  paraat::v1::AgentMessage Hello() const;
  // Hello, and the collector's welcome (which resets the backoff); UNAVAILABLE when refused.
  absl::Status Handshake(AgentStream* stream);
  // Until the stream ends: each acknowledged batch leaves the spool.
  void ReadAcks(AgentStream* stream, std::atomic<bool>* broken);
  // Sends spooled batches, at most `window_` unacknowledged, until the stream breaks or Stop().
  void SendBatches(AgentStream* stream, const std::atomic<bool>& broken, int64_t welcome_received_ns);
  absl::Duration NextBackoff();
  void FillStatus(paraat::v1::AgentStatus* status) const;

  const AgentConfig& config_;
  Spool* spool_;
  const Clock* clock_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<paraat::v1::AgentService::Stub> stub_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool wake_ = false;
  std::set<uint64_t> inflight_;
  uint32_t window_ = 8;
  std::atomic<bool> connected_{false};
  std::atomic<int> backoffs_{0};
  std::atomic<int64_t> last_backoff_ms_{0};
  grpc::ClientContext* active_ = nullptr;
  absl::Duration backoff_ = absl::Seconds(1);
  int64_t welcome_received_ns_ = 0;  // this stream's welcome, on the agent's wall clock
  std::thread thread_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_SENDER_H_
