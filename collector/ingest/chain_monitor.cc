#include "collector/ingest/chain_monitor.h"

#include <algorithm>

#include "common/log.h"
#include "common/process.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

ChainMonitor::ChainMonitor(Store* store, CollectorMetrics* metrics, const Clock* clock, absl::Duration every,
                           std::function<bool()> leading)
    : store_(store), metrics_(metrics), clock_(clock), every_(every), leading_(std::move(leading)), thread_(clock) {}

ChainMonitor::~ChainMonitor() { Stop(); }

void ChainMonitor::Start() {
  thread_.Start([this] { Run(); });
}

void ChainMonitor::Stop() { thread_.Stop(); }

void ChainMonitor::Run() {
  // Background work: the scheduler gives ingest, evaluation and scrapes the CPU first. (The
  // thread the store starts to verify the chain's second half inherits this.) A paraatctl
  // verify runs on a request thread, at normal priority.
  if (absl::Status st = LowerThreadPriority(19); !st.ok()) {
    LogWarning("cannot lower the priority of chain verification: ", st.message());
  }
  // Soon after start, then every `every_`.
  absl::Duration wait = std::min(absl::Seconds(10), every_);
  while (!thread_.Wait(wait)) {
    wait = every_;
    if (leading_ && !leading_()) continue;  // one collector verifies the shared chain
    VerifyOnce();
  }
}

std::optional<paraat::v1::ChainVerification> ChainMonitor::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

void ChainMonitor::VerifyOnce() {
  const absl::Duration start = clock_->Monotonic();
  auto v = store_->Verify(nullptr);
  if (!v.ok()) {
    LogWarning("evidence chain verification could not run: ", v.status().message());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = *v;
    last_->set_verified_unix_ns(ToUnixNs(clock_->Now()));
  }
  metrics_->chain_verified.Set(v->ok() ? 1 : 0);
  metrics_->chain_verified_time.Set(absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch()));
  metrics_->chain_records.Set(static_cast<double>(v->records_checked()));
  if (v->ok()) {
    LogInfo("evidence chain verified: ", v->records_checked(), " records in ",
            HumanDuration(clock_->Monotonic() - start));
  } else {
    LogError("EVIDENCE CHAIN BROKEN at record ", v->first_bad_seq(), ": ", v->problem());
  }
}

}  // namespace paraat
