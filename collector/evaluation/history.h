// A short history of each source, beside its latest results: the durations of its recent
// successful restore tests and the sizes of its recent backups. The forecast (forecast.h) and the
// anomaly detection (anomaly.h) read it. Bounded per source; it survives a restart: each result
// that adds a sample is also in the store's history of SampleHistorySubject(source), and
// start-up folds the newest of those back in (collector/ingest/ingest.h).
#ifndef PARAAT_COLLECTOR_EVALUATION_HISTORY_H_
#define PARAAT_COLLECTOR_EVALUATION_HISTORY_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace paraat {

struct Observation;

// One successful restore test.
struct RestoreSample {
  absl::Time time;  // when it finished
  double seconds = 0;
  std::optional<uint64_t> bytes;  // restored (verified) bytes, when the kind knows them
  uint64_t evidence_seq = 0;
};

// One backup as its check reported it: the newest backup behind the recovery point.
struct BackupSample {
  absl::Time time;  // the backup's recovery point, else when the check finished
  uint64_t bytes = 0;
  std::optional<uint64_t> files;
  std::optional<double> entropy_bits;  // sampled content entropy (entropy_anomaly.h)
  uint64_t evidence_seq = 0;
};

struct SourceHistory {
  static constexpr size_t kMaxRestores = 32;
  static constexpr size_t kMaxBackups = 128;  // 18 weeks of daily backups: 8 of each weekday and more

  std::deque<RestoreSample> restores;  // oldest first
  std::deque<BackupSample> backups;    // oldest first, one per backup (not per check run)

  // Folds in what `o` says, if anything: a passing restore test with a measured duration, a
  // passing result naming a backup's size. In time order; a backup seen again is not repeated.
  void Add(const Observation& o);

  // Whether `next` adds a sample that `previous` (the source's result before it, null when none
  // is known) did not: a restore test, or a backup other than the one `previous` reported.
  static bool AddsSample(const Observation& next, const Observation* previous);
};

// The store's history subject of the results that added samples to source `key` (agent/check):
// "samples:agent/check", apart from the source's own history (no plan id or source key has ':').
std::string SampleHistorySubject(const std::string& key);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_HISTORY_H_
