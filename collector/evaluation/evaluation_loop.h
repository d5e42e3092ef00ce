// Keeps every plan's evaluation current: re-evaluates when results for a plan's sources arrive
// and at least every `interval` (time alone moves a plan towards stale or breached), publishes an
// immutable snapshot for metrics and queries, and records state transitions as evidence.
#ifndef PARAAT_COLLECTOR_EVALUATION_EVALUATION_LOOP_H_
#define PARAAT_COLLECTOR_EVALUATION_EVALUATION_LOOP_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "collector/evaluation/evaluator.h"
#include "collector/evaluation/outputs.h"
#include "collector/evaluation/plan.h"
#include "collector/evaluation/state.h"
#include "common/clock.h"

namespace paraat {

struct PlanView {
  std::shared_ptr<const Plan> plan;
  Evaluation evaluation;
  absl::Time since;  // when the plan entered its current state
};

struct EvaluationSnapshot {
  absl::Time at;
  std::vector<PlanView> plans;  // in plan id order
  const PlanView* Find(const std::string& plan_id) const;
};

class EvaluationLoop {
 public:
  // `sink` records the transitions; `metrics` may be null.
  EvaluationLoop(EvidenceState* state, RecordSink* sink, EvaluationMetrics* metrics, const Clock* clock,
                 absl::Duration interval, EvaluationOptions options = {});
  ~EvaluationLoop();

  // The states plans were in before a restart (or as the previous leader recorded them), so no
  // false transitions are recorded. Replaces what the loop knew.
  void RestoreStates(const std::vector<PlanStateRow>& rows);
  // Whether state changes are recorded as evidence (this collector leads). A follower still
  // evaluates, for the queries it answers.
  void SetRecording(bool record);
  // While recording, asked before each evaluation's transitions are recorded: false means this
  // collector cannot tell now whether it still leads (its lease is not current), and the
  // transitions wait for an evaluation that can (nothing is recorded, nothing is forgotten).
  void SetRecordingGuard(std::function<bool()> guard);
  // While paused (the evidence store is unavailable: nothing new comes in, nothing can be
  // recorded), the loop does not evaluate: the snapshot keeps the last verdicts and their time.
  // Unpausing evaluates at once.
  void SetPaused(bool paused);
  bool paused() const;
  // Replaces the plan set and evaluates at once.
  void SetPlans(std::vector<Plan> plans);
  std::shared_ptr<const std::vector<std::shared_ptr<const Plan>>> plans() const;

  void Start();
  void Stop();
  // Results for these sources were committed.
  void SourcesChanged(const std::vector<std::string>& sources);
  // Evaluates now on the calling thread and publishes the result.
  void EvaluateNow();

  std::shared_ptr<const EvaluationSnapshot> snapshot() const;
  // What plans are judged with (staleness, the clock tolerance).
  const EvaluationOptions& options() const { return options_; }

 private:
  void Run();

  EvidenceState* state_;
  RecordSink* sink_;
  EvaluationMetrics* metrics_;
  const Clock* clock_;
  const absl::Duration interval_;
  const EvaluationOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool stopping_ = false;
  bool dirty_ = false;
  bool recording_ = true;
  bool paused_ = false;
  std::function<bool()> recording_guard_;
  std::shared_ptr<const std::vector<std::shared_ptr<const Plan>>> plans_;
  std::shared_ptr<const EvaluationSnapshot> snapshot_;
  struct Previous {
    PlanState state;
    absl::Time since;
  };
  std::map<std::string, Previous> previous_;
  std::thread thread_;
  std::mutex evaluate_mu_;  // one evaluation at a time; guards the two below
  // Each plan's sources resolved to their states, for the plan set they were built for (kept
  // alive with them: the resolved sources point into those plans).
  std::shared_ptr<const std::vector<std::shared_ptr<const Plan>>> resolved_for_;
  std::vector<ResolvedSources> resolved_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_EVALUATION_LOOP_H_
