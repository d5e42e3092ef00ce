// Wires the agent: scheduler -> spool -> sender, all on one injected clock. Not thread-safe
// itself: main() drives it from one thread (its parts run their own threads).
#ifndef PARAAT_AGENT_AGENT_H_
#define PARAAT_AGENT_AGENT_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "agent/config.h"
#include "agent/scheduler.h"
#include "agent/sender.h"
#include "agent/spool.h"
#include "common/clock.h"

namespace paraat {

class Agent {
 public:
  explicit Agent(AgentConfig config, const Clock* clock = Clock::Real()) : config_(std::move(config)), clock_(clock) {}
  ~Agent();

  // Opens the spool and prepares the connection. InvalidArgument: bad TLS files.
  [[nodiscard]] absl::Status Init();
  // Runs checks on their schedules until Stop().
  void Start();
  void Stop();

  // Runs every check once (bounded concurrency) and returns the results in config order.
  std::vector<paraat::v1::Result> RunAllOnce();
  // Spools results and tries to deliver the spool within `timeout`. False if some stayed.
  bool Deliver(std::vector<paraat::v1::Result> results, absl::Duration timeout);

  const AgentConfig& config() const { return config_; }
  Spool& spool() { return *spool_; }

 private:
  void Record(paraat::v1::Result result);

  AgentConfig config_;
  const Clock* clock_;
  std::unique_ptr<paraat::Spool> spool_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_AGENT_H_
