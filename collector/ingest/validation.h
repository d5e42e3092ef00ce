// Checks on what agents and the query API send, before anything is stored. Pure functions:
// fuzzed and unit-tested.
#ifndef PARAAT_COLLECTOR_INGEST_VALIDATION_H_
#define PARAAT_COLLECTOR_INGEST_VALIDATION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/limits.h"
#include "paraat/v1/agent.pb.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

struct IngestLimits {
  size_t max_results_per_batch = 10000;
  size_t max_gaps_per_batch = 64;
  size_t max_id = 128;
  size_t max_kind = 64;
  size_t max_message = 4096;
  size_t max_output_tail = 16384;
  size_t max_details = 64;
  size_t max_detail_value = 4096;
  size_t max_values = 64;
  size_t max_labels = 32;
  size_t max_label = 256;
  size_t max_checks = kMaxChecksPerAgent;
};

// InvalidArgument with a message naming the field, e.g. "results[3].check_id: ...".
[[nodiscard]] absl::Status ValidateHello(const paraat::v1::Hello& hello, const IngestLimits& limits);
// InvalidArgument for malformed content, ResourceExhausted for content over the limits.
[[nodiscard]] absl::Status ValidateBatch(const paraat::v1::ResultBatch& batch, const IngestLimits& limits);

// What is wrong with one field a person filled in: the field ("kind", "date", ...) and the
// message catalogue's key for the problem (common/i18n.h), so that the web console shows it in
// the reader's language and paraatctl in English, with the same words.
struct FieldProblem {
  std::string field;
  std::string message_key;
};

// Every problem of an exercise recorded by a person (paraatctl exercise record, the web
// console's form). The date may not lie more than a day after `now` (wall time).
std::vector<FieldProblem> ExerciseProblems(const paraat::v1::ExerciseRecord& exercise, absl::Time now);
// The first of them as InvalidArgument, in English; OK when there is none.
[[nodiscard]] absl::Status ValidateExercise(const paraat::v1::ExerciseRecord& exercise, absl::Time now);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_VALIDATION_H_
