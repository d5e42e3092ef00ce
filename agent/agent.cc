#include "agent/agent.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/units.h"

namespace paraat {

Agent::~Agent() { Stop(); }

absl::Status Agent::Init() {
  auto spool = Spool::Open(config_.spool_dir, config_.spool_max_size);
  if (!spool.ok()) {
    return absl::Status(spool.status().code(),
                        absl::StrCat("cannot open the spool ", config_.spool_dir, ": ", spool.status().message()));
  }
  spool_ = *std::move(spool);
  sender_ = std::make_unique<Sender>(config_, spool_.get(), clock_);
  return sender_->Init();
}

void Agent::Record(paraat::v1::Result result) {
  std::vector<paraat::v1::Result> one;
  one.push_back(std::move(result));
  auto seq = spool_->Append(std::move(one));
  if (!seq.ok()) {
    LogError("cannot write a result to the spool ", config_.spool_dir, ": ", seq.status().message(),
             " (the result is lost)");
    return;
  }
  sender_->Wake();
}

void Agent::Start() {
  auto st = spool_->stats();
  if (st.batches > 0) LogInfo("spool holds ", st.results, " results not yet acknowledged; sending them first");
  sender_->Start();
  scheduler_ = std::make_unique<Scheduler>(&config_.checks, config_.concurrency, config_.state_dir, clock_,
                                           [this](paraat::v1::Result r) { Record(std::move(r)); });
  scheduler_->Start();
  LogInfo("paraat-agent ", config_.agent_id, ": ", CountOf(config_.checks.size(), "check"), ", collector ",
          config_.collector_address);
}

void Agent::Stop() {
  if (scheduler_) scheduler_->Stop();
  scheduler_.reset();
  if (sender_) sender_->Stop();
}

std::vector<paraat::v1::Result> Agent::RunAllOnce() {
  std::vector<paraat::v1::Result> results(config_.checks.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  const int n = std::min<int>(config_.concurrency, static_cast<int>(config_.checks.size()));
  for (int w = 0; w < n; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < config_.checks.size(); i = next++) {
        results[i] = RunCheck(config_.checks[i], clock_, config_.state_dir);
      }
    });
  }
  for (auto& t : workers) t.join();
  return results;
}

bool Agent::Deliver(std::vector<paraat::v1::Result> results, absl::Duration timeout) {
  for (auto& r : results) Record(std::move(r));
  sender_->Start();
  bool done = sender_->Flush(timeout);
  sender_->Stop();
  return done;
}

}  // namespace paraat
