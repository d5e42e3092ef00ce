// Recording an exercise people carried out, once for both ways in: the query API
// (paraatctl exercise record) and the web console's form. The same checks, the same messages.
//
// Thread-safety: Record() may be called from any thread; the ingest writer commits.
#ifndef PARAAT_COLLECTOR_SERVING_EXERCISE_RECORDER_H_
#define PARAAT_COLLECTOR_SERVING_EXERCISE_RECORDER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/ingest/ingest.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

class ExerciseRecorder {
 public:
  ExerciseRecorder(EvaluationLoop* loop, Store* store, Ingest* ingest, const Clock* clock)
      : loop_(loop), store_(store), ingest_(ingest), clock_(clock) {}

  // Stores the attachment (under its SHA-256), appends the exercise as evidence, waits for the
  // commit and re-evaluates the plans. Returns the record's seq. NOT_FOUND for an unknown plan,
  // INVALID_ARGUMENT with ValidateExercise's message, the store's errors as they are.
  [[nodiscard]] absl::StatusOr<uint64_t> Record(paraat::v1::ExerciseRecord exercise, const std::string& attachment);

 private:
  EvaluationLoop* loop_;
  Store* store_;
  Ingest* ingest_;
  const Clock* clock_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_EXERCISE_RECORDER_H_
