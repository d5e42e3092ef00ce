#include "collector/ingest/history_marker.h"

#include "common/time_util.h"

namespace paraat {
namespace {

// A new recovery point counts on its own once the achieved RPO before it reached this: below it
// (a replica streaming every few seconds) the hourly point says enough.
constexpr absl::Duration kNotableRpo = absl::Minutes(1);
constexpr absl::Duration kAtLeastEvery = absl::Hours(1);

}  // namespace

HistoryMarker::Mark HistoryMarker::Decide(const std::string& key, const Observation& next,
                                          const Observation* previous) {
  Mark m;
  if (previous != nullptr && previous->recovery_point) m.previous_point_ns = ToUnixNs(*previous->recovery_point);
  bool notable = previous == nullptr || next.status != previous->status || next.integrity != previous->integrity ||
                 next.ready != previous->ready || next.restore_duration_seconds || next.restore_succeeded ||
                 next.kind == "restore_test";
  if (!notable && previous != nullptr && next.recovery_point && next.recovery_point != previous->recovery_point) {
    notable = !previous->recovery_point || next.finished - *previous->recovery_point >= kNotableRpo;
  }
  auto [it, first] = last_marked_.try_emplace(key, next.finished);
  if (!first && !notable && next.finished - it->second < kAtLeastEvery) return m;
  it->second = next.finished;
  m.marked = true;
  return m;
}

}  // namespace paraat
