// Recording what people do with a plan beyond exercises: reviews (paraatctl plan review) and
// incidents (paraatctl incident open|close|report). Each is one evidence record, checked against
// what is known first, so a close without an open incident or an incident opened twice records
// nothing.
//
// Thread-safety: any thread; one record at a time (the check and the commit are one step).
#ifndef PARAAT_COLLECTOR_SERVING_CONTINUITY_RECORDER_H_
#define PARAAT_COLLECTOR_SERVING_CONTINUITY_RECORDER_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "collector/evaluation/continuity.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/state.h"
#include "collector/ingest/ingest.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

class ContinuityRecorder {
 public:
  ContinuityRecorder(EvaluationLoop* loop, const EvidenceState* state, Store* store, Ingest* ingest, const Clock* clock)
      : loop_(loop), state_(state), store_(store), ingest_(ingest), clock_(clock) {}

  // Records a review of the plan as it is loaded now (its file and SHA-256 are filled in).
  // NOT_FOUND for an unknown plan; INVALID_ARGUMENT for a missing reviewer, a time in the future,
  // notes too long; RESOURCE_EXHAUSTED for an attachment over the limit. Returns the seq.
  [[nodiscard]] absl::StatusOr<uint64_t> RecordReview(paraat::v1::ReviewRecord review, const std::string& attachment);
  // Records an incident event (IncidentEventProblem's rules). Returns the seq; INVALID_ARGUMENT
  // in English for a problem, which is also put in `*problem` when given (the web console says
  // it in its reader's language).
  [[nodiscard]] absl::StatusOr<uint64_t> RecordIncident(paraat::v1::IncidentRecord incident,
                                                        std::optional<IncidentProblem>* problem = nullptr);

 private:
  absl::StatusOr<uint64_t> Append(RecordType type, const std::string& plan_id, paraat::v1::EvidenceRecord rec);

  EvaluationLoop* loop_;
  const EvidenceState* state_;
  Store* store_;
  Ingest* ingest_;
  const Clock* clock_;
  std::mutex mu_;  // one check-and-commit at a time
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_SERVING_CONTINUITY_RECORDER_H_
