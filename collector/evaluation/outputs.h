// What the evaluation hands to the layers above it, without knowing them: records to append to
// the evidence (the ingest writer implements RecordSink) and figures to count (the collector's
// metrics implement EvaluationMetrics). The wiring passes both in.
#ifndef PARAAT_COLLECTOR_EVALUATION_OUTPUTS_H_
#define PARAAT_COLLECTOR_EVALUATION_OUTPUTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/store/store.h"

namespace paraat {

class RecordSink {
 public:
  // `first_seq` is the seq of the first record (0 when the status is not OK).
  using Done = std::function<void(const absl::Status& status, uint64_t first_seq)>;
  virtual ~RecordSink() = default;
  // Appends `records` to the evidence as one group, all or nothing, and calls `done` once with
  // the outcome, on the sink's own thread: `done` must be quick and must not call back into it.
  // Thread-safe.
  virtual void Append(std::vector<PendingRecord> records, Done done) = 0;
};

class EvaluationMetrics {
 public:
  virtual ~EvaluationMetrics() = default;
  // One evaluation of every plan took `took` (monotonic time).
  virtual void Evaluated(absl::Duration took) = 0;
  // `n` plan state transitions were handed to the RecordSink.
  virtual void TransitionsRecorded(size_t n) = 0;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_OUTPUTS_H_
