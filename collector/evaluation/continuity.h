// What people record about a plan beyond its exercises (docs/design.md, "Living plans"): its
// reviews, and real incidents on its service with the clock they start (RTO, MTPD and, for a
// significant incident, the NIS2 article 23 reports: early warning within 24 hours, notification
// within 72 hours, final report one month after the notification).
//
// PlanContinuity is folded from committed ReviewRecord and IncidentRecord evidence, in seq order,
// by the ingest writer (EvidenceState); EvaluateContinuity is pure, like the evaluator.
#ifndef PARAAT_COLLECTOR_EVALUATION_CONTINUITY_H_
#define PARAAT_COLLECTOR_EVALUATION_CONTINUITY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "paraat/v1/evidence.pb.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

struct Plan;
struct Evaluation;
struct EvaluationOptions;
struct PlanExercises;

struct ReviewObservation {
  absl::Time reviewed;
  std::string by;
  std::string plan_sha256;  // of the plan file as reviewed
  uint64_t evidence_seq = 0;
  bool operator==(const ReviewObservation&) const = default;
};

// NIS2 article 23 reports, in the order they fall due.
inline constexpr const char* kReportKinds[] = {"early-warning", "notification", "final"};

struct IncidentObservation {
  uint64_t opened_seq = 0;
  absl::Time started;
  std::string summary;
  bool significant = false;
  std::optional<absl::Time> recovered;        // set once closed
  std::map<std::string, absl::Time> reports;  // report kind -> when it was made
  bool operator==(const IncidentObservation&) const = default;
};

struct IncidentDeadline {
  std::string report;  // early-warning | notification | final
  absl::Time due;
  std::optional<absl::Time> done;
  bool operator==(const IncidentDeadline&) const = default;
};

// NIS2 deadlines of a significant incident: exact durations from the start (24 h, 72 h), and
// the final report one calendar month (UTC) after the notification (made, or due).
std::vector<IncidentDeadline> Nis2Deadlines(const IncidentObservation& incident);
// The first deadline not reported yet, or nullptr.
const IncidentDeadline* NextDeadline(const std::vector<IncidentDeadline>& deadlines);

struct PlanContinuity {
  std::optional<ReviewObservation> last_review;
  std::optional<IncidentObservation> open;         // the incident open now
  std::optional<IncidentObservation> last_closed;  // the latest closed (by recovery time)

  void AddReview(const paraat::v1::ReviewRecord& r, uint64_t seq);
  void AddIncident(const paraat::v1::IncidentRecord& r, uint64_t seq);
};

// What the evaluation says about reviews, training and the open incident.
struct ContinuityEvaluation {
  std::optional<ReviewObservation> last_review;
  bool plan_changed_since_review = false;
  // The open incident; else the last closed one while its NIS2 reports are still due.
  std::optional<IncidentObservation> incident;
  std::vector<IncidentDeadline> deadlines;  // of `incident`, when significant
};

// Adds the review, training and incident reasons and due dates to `out`. `exercises` and
// `continuity` may be null (nothing recorded).
void EvaluateContinuity(const Plan& plan, const PlanExercises* exercises, const PlanContinuity* continuity,
                        absl::Time now, const EvaluationOptions& options, Evaluation* out);

// What is wrong with an incident event a person asked to record: the form field it concerns
// ("summary", "time", "notes", "kind"; "" for the event as a whole), the message catalogue's key
// (common/i18n, "incident.error.*") and its values, so the web console says it in the reader's
// language and paraatctl in English, with the same words. `args` holds "report" (the report's
// English title) with "report_kind" beside it for a reader in another language.
struct IncidentProblem {
  using Args = std::vector<std::pair<std::string, std::string>>;
  std::string field;
  std::string key;
  Args args;
};

// Checks a request to record an incident event against what is known (the plan's continuity,
// null for nothing yet) and `now`; fills in opened_seq and started_unix_ns of a close or a
// report. The problem, if any: opened twice, nothing to close, a time in the future or before
// the start, an unknown report kind, a report made twice, a missing summary, text too long.
[[nodiscard]] std::optional<IncidentProblem> IncidentEventProblem(const PlanContinuity* continuity, absl::Time now,
                                                                  paraat::v1::IncidentRecord* event);
// The same as INVALID_ARGUMENT with the problem's English message; OK when there is none.
[[nodiscard]] absl::Status CheckIncidentEvent(const PlanContinuity* continuity, absl::Time now,
                                              paraat::v1::IncidentRecord* event);

void ToProto(const ContinuityEvaluation& c, paraat::v1::PlanStatus* out);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_CONTINUITY_H_
