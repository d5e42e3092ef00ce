// Plan evaluation: a pure function of (plan, latest evidence, now). No I/O, no clock reads.
//
// The rules are docs/design.md's "Evaluation" (under "Domain"); each finding is a Reason with a
// stable code and the state it implies. The plan's state is the worst implied state, `ready` when
// there is none:
//
//   not_ready  an objective breached: RPO exceeded, restore test failed / too slow / overdue,
//              failover target not ready, integrity source corrupt, exercise failed / overdue,
//              or the sources ran and found no usable recovery point at all
//   unknown    nothing breached, but evidence missing, stale or unusable (a check that could
//              not run, an unverified integrity source, a test never recorded, a result or
//              recovery point dated in the future)
//   at_risk    all met, but achieved RPO > 80 % of RPO, last restore > 80 % of RTO, a test
//              falls due soon, or one of several recovery point sources is corrupt
//   ready      everything met with margin
#ifndef PARAAT_COLLECTOR_EVALUATION_EVALUATOR_H_
#define PARAAT_COLLECTOR_EVALUATION_EVALUATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/evaluation/assurance.h"
#include "collector/evaluation/continuity.h"
#include "collector/evaluation/foresight_types.h"
#include "collector/evaluation/observation.h"
#include "collector/evaluation/plan.h"
#include "common/detail.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

using PlanState = paraat::v1::PlanState;

// "ready", "at_risk", "unknown", "not_ready".
const char* PlanStateName(PlanState state);
const std::vector<PlanState>& AllPlanStates();

struct Reason {
  std::string code;
  PlanState implies = paraat::v1::PLAN_STATE_READY;
  std::string source;  // agent/check, when about one source
  std::string text;    // English, for machine output: MachineText(detail)
  Detail detail;       // the same for people, in any language (catalogue key "reason.CODE.detail...")
  bool operator==(const Reason&) const = default;
};

struct TestDue {
  std::string test;                // restore | failover | exercise | review | training
  std::optional<absl::Time> last;  // last successful test; nullopt: never
  absl::Time due;                  // UnixEpoch when never tested (long overdue)
};

struct Evaluation {
  PlanState state = paraat::v1::PLAN_STATE_UNKNOWN;
  std::vector<Reason> reasons;  // worst first

  std::optional<absl::Time> recovery_point;  // newest usable
  std::optional<absl::Duration> achieved_rpo;
  std::string recovery_point_source;

  // Latest conclusive restore test, and latest successful one.
  std::optional<absl::Time> restore_test_time;
  std::optional<double> restore_test_duration_seconds;
  std::optional<bool> restore_test_succeeded;
  std::optional<absl::Time> good_restore_time;
  std::optional<double> good_restore_duration_seconds;

  std::vector<TestDue> tests;
  std::optional<bool> failover_ready;  // nullopt: the plan has no failover sources
  int stale_sources = 0;
  ContinuityEvaluation continuity;  // reviews, training, the open incident
  ForesightFindings foresight;      // forecasts, anomalies, copies (foresight.h)

  // The recovery chain (collector/evaluation/dependencies.h fills in all but the first).
  // Measured own recovery time: a passed failover exercise's duration while the failover
  // target is ready, else the latest successful restore test's; 0 for a plan with no sources.
  std::optional<double> own_recovery_seconds;
  // Own plus the longest chain of dependencies, when every link is measured.
  std::optional<double> effective_recovery_seconds;
  double effective_recovery_lower_bound_seconds = 0;  // the measured links alone
  std::vector<std::string> critical_path;             // first to recover first, this plan last
  std::vector<std::string> unevidenced;               // plans in the chain without a measured time
  // Plans from the one that is not ready (or unknown) up to this one, when the state comes
  // from a dependency; just this plan's id when it comes from its own evidence.
  std::vector<std::string> cause_chain;
  int wave = 0;  // 0: depends on nothing; else 1 + the largest wave of its dependencies

  // How strong the evidence for the RPO and the RTO is (collector/evaluation/assurance.h).
  AssuranceLevels assurance;

  bool HasReason(const std::string& code) const;
  // Adds a reason whose text is MachineText(detail).
  void AddReason(std::string code, PlanState implies, std::string source, Detail detail);
  // Sorts the reasons worst first and sets the state to the worst they imply.
  void Settle();
};

// not_ready 3 > unknown 2 > at_risk 1 > ready 0.
int StateSeverity(PlanState state);

// Where the evaluator reads evidence from. Implementations return nullptr for "nothing known".
class EvidenceView {
 public:
  virtual ~EvidenceView() = default;
  virtual const SourceState* Source(const std::string& key) const = 0;
  virtual const PlanExercises* Exercises(const std::string& plan_id) const = 0;
};

struct EvaluationOptions {
  double margin = 0.8;                             // at_risk above this share of RPO / RTO
  absl::Duration due_soon = absl::Hours(24 * 14);  // at_risk when a test falls due within this
  int stale_intervals = 3;                         // stale after this many intervals without a result
  absl::Duration min_stale = absl::Minutes(5);     // ... but never sooner than this
  // A result, recovery point or restore time later than the collector's clock (when the result
  // arrived) plus this is not usable: recovery_point_in_future.
  absl::Duration future_tolerance = absl::Minutes(5);
};

// How long after its last result a source with this interval becomes stale.
absl::Duration StaleAfter(absl::Duration interval, const EvaluationOptions& options = {});
// Whether `obs` arrived (obs.received, the collector's clock) recently enough to count.
bool IsFresh(const Observation& obs, absl::Time now, const EvaluationOptions& options = {});

Evaluation Evaluate(const Plan& plan, const EvidenceView& evidence, absl::Time now,
                    const EvaluationOptions& options = {});

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_EVALUATOR_H_
