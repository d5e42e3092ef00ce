// The plans the collector evaluates, and their changes as evidence: a plan file added, changed
// or removed is recorded (with its definition) before it is evaluated, so what the collector
// judged against is on the record. With several collectors on one store only the leader records.
//
// Thread-safety: every method may be called from any thread; they take turns.
#ifndef PARAAT_COLLECTOR_INGEST_PLAN_SET_H_
#define PARAAT_COLLECTOR_INGEST_PLAN_SET_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/evaluation/evaluation_loop.h"
#include "collector/evaluation/plan.h"
#include "collector/ingest/ingest.h"
#include "collector/store/store.h"

namespace paraat {

class PlanSet {
 public:
  PlanSet(std::string plans_dir, Store* store, Ingest* ingest, EvaluationLoop* loop);

  // Start-up, with the ingest writer running: the plan states and digests the store recorded,
  // then `plans` (loaded already: a bad plan stops start-up before the store opens), their
  // changes recorded when `leading`, handed to the evaluation loop.
  [[nodiscard]] absl::Status Start(std::vector<Plan> plans, bool leading);
  // Re-reads plans_dir. On any problem the plans in use stay and the problems are returned
  // (INVALID_ARGUMENT, `file:line: key: problem` lines); a failed recording is returned too.
  [[nodiscard]] absl::StatusOr<size_t> Reload();
  // This collector took the lead: from the states and digests the previous leader recorded, it
  // records what differs for the plans in use and starts recording transitions. An error means
  // the store could not be read: nothing changed, try again later.
  [[nodiscard]] absl::Status Lead();
  // Another collector leads: stop recording.
  void StepDown();

 private:
  absl::Status LoadRecorded();
  // Appends a plan change record for each plan added, changed or removed since it was recorded.
  absl::Status RecordChanges(const std::vector<Plan>& plans);

  const std::string plans_dir_;
  Store* const store_;
  Ingest* const ingest_;
  EvaluationLoop* const loop_;

  std::mutex mu_;  // guards the two below and orders reloads with leadership changes
  bool leading_ = false;
  std::map<std::string, std::string> versions_;  // plan id -> recorded sha256 ("" when removed)
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_PLAN_SET_H_
