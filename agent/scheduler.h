// Runs checks on their intervals with bounded concurrency: a worker pool takes the check that
// is due first. A check never runs twice at once; its next run is due an interval after its
// last one started, plus a little jitter so agents do not run in lock-step. Due times, timeouts
// and waits are the clock's monotonic time (wall time only stamps the results), so a FakeClock
// drives the scheduler in tests. Thread-safe: Start and Stop from one thread, the sink is called
// from the workers.
#ifndef PARAAT_AGENT_SCHEDULER_H_
#define PARAAT_AGENT_SCHEDULER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/config.h"
#include "common/clock.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

// Runs one check once, with its timeout; fills in the common fields (id, kind, times,
// interval, labels). Never throws.
paraat::v1::Result RunCheck(
    const CheckSpec& spec, const Clock* clock, const std::string& state_dir, Progress* progress = Progress::None(),
    const std::function<bool()>& stopping = [] { return false; });

class Scheduler {
 public:
  using Sink = std::function<void(paraat::v1::Result)>;

  Scheduler(const std::vector<CheckSpec>* checks, int concurrency, std::string state_dir, const Clock* clock,
            Sink sink);
  ~Scheduler();

  void Start();
  // Stops taking new runs, lets running checks finish for up to `grace` (their results are
  // kept), then asks the rest to stop, and joins the workers.
  void Stop(absl::Duration grace = absl::Seconds(10));

 private:
  struct Due {
    absl::Duration at;  // monotonic
    size_t index;
    bool operator>(const Due& o) const { return at > o.at; }
  };
  void Worker();
  absl::Duration Jitter(absl::Duration interval);

  const std::vector<CheckSpec>* checks_;
  const int concurrency_;
  const std::string state_dir_;
  const Clock* clock_;
  Sink sink_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> queue_;
  bool stopping_ = false;
  int running_ = 0;
  uint64_t queue_version_ = 0;  // changes with every push
  std::atomic<bool> stop_flag_{false};
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<std::thread> workers_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_SCHEDULER_H_
