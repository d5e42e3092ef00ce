// Re-verifies the whole evidence chain in the background, soon after start and then every
// `every`, and publishes the outcome as metrics (paraat_evidence_chain_*) and in the log. With
// several collectors on one store only the leader verifies. Runs at the lowest CPU priority:
// ingest, evaluation and scrapes come first.
//
// Thread-safety: Start() and Stop() from one thread.
#ifndef PARAAT_COLLECTOR_INGEST_CHAIN_MONITOR_H_
#define PARAAT_COLLECTOR_INGEST_CHAIN_MONITOR_H_

#include <functional>
#include <mutex>
#include <optional>

#include "absl/time/time.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/store/store.h"
#include "common/background_thread.h"
#include "common/clock.h"

namespace paraat {

class ChainMonitor {
 public:
  // `leading`: whether this collector verifies (null: always).
  ChainMonitor(Store* store, CollectorMetrics* metrics, const Clock* clock, absl::Duration every,
               std::function<bool()> leading);
  ~ChainMonitor();

  void Start();
  void Stop();
  // The latest verification's outcome (for the web console), or nullopt before the first.
  // Any thread.
  std::optional<paraat::v1::ChainVerification> last() const;

 private:
  void Run();
  void VerifyOnce();

  Store* const store_;
  CollectorMetrics* const metrics_;
  const Clock* const clock_;
  const absl::Duration every_;
  const std::function<bool()> leading_;

  BackgroundThread thread_;
  mutable std::mutex mu_;
  std::optional<paraat::v1::ChainVerification> last_;  // guarded by mu_
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_CHAIN_MONITOR_H_
