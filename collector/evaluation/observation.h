// What the collector knows about each evidence source: the latest results of one check on one
// agent, reduced to what plan evaluation and the metrics need.
#ifndef PARAAT_COLLECTOR_EVALUATION_OBSERVATION_H_
#define PARAAT_COLLECTOR_EVALUATION_OBSERVATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "collector/evaluation/continuity.h"
#include "collector/evaluation/history.h"
#include "paraat/v1/evidence.pb.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

struct Observation {
  paraat::v1::CheckStatus status = paraat::v1::CHECK_STATUS_UNSPECIFIED;
  std::string kind;
  absl::Time started;
  absl::Time finished;
  absl::Duration duration;
  absl::Duration interval;
  std::string message;

  std::optional<absl::Time> recovery_point;
  paraat::v1::Integrity integrity = paraat::v1::INTEGRITY_UNSPECIFIED;
  std::optional<uint64_t> verified_bytes;
  std::optional<double> restore_duration_seconds;
  std::optional<bool> restore_succeeded;
  std::optional<bool> ready;
  std::optional<double> replication_lag_seconds;
  std::optional<uint64_t> free_bytes;
  std::optional<uint64_t> backup_bytes;
  std::optional<uint64_t> backup_files;
  std::optional<bool> immutable;
  std::optional<double> content_entropy_bits;
  std::optional<double> coverage_age_seconds;  // the value "coverage_age" of a rotating verification
  // With the check's verify_within: that bound, and how long the rotation needs to read every byte.
  std::optional<double> verify_within_seconds, coverage_reach_seconds;
  std::string location;  // the check's labels `location` (site) and `media`, for copies kept apart
  std::string media;

  uint64_t evidence_seq = 0;  // the evidence record it came from
  // When the collector received it, on the collector's own clock: freshness is judged by this,
  // never by the agent's times (SourceState::Add sets it).
  absl::Time received;
};

Observation ObservationFromResult(const paraat::v1::Result& result, uint64_t evidence_seq);

// One received result, reduced before it is stored: the check it belongs to and what it says.
// Reduced on the stream's thread, so the single writer only folds it in.
struct CheckObservation {
  std::string check;
  Observation obs;  // evidence_seq is set once the record is committed
};

// Latest results of one source (agent/check).
struct SourceState {
  std::string agent;
  std::string check;
  std::optional<Observation> latest;
  std::optional<Observation> latest_conclusive;  // latest whose status is not error
  std::optional<Observation> latest_ok;          // latest whose status is ok or warning
  absl::Time received;                           // when the latest arrived
  SourceHistory history;                         // recent restore tests and backups

  // Folds a newer result in (results older than `latest` only update the older slots);
  // `received_at` becomes obs.received.
  void Add(Observation obs, absl::Time received_at);
};

// A human-run exercise recorded with `paraatctl exercise record`.
struct ExerciseObservation {
  std::string kind;  // tabletop | failover | restore
  absl::Time performed;
  bool passed = false;
  std::optional<double> duration_seconds;
  uint64_t evidence_seq = 0;
};

ExerciseObservation ObservationFromExercise(const paraat::v1::ExerciseRecord& exercise, uint64_t evidence_seq);

// Latest recorded exercise of each kind, for one plan, with its reviews and incidents.
struct PlanExercises {
  std::map<std::string, ExerciseObservation> latest_by_kind;
  PlanContinuity continuity;
  void Add(const ExerciseObservation& e);
  // The latest of any kind, or of the given kind.
  const ExerciseObservation* Latest() const;
  const ExerciseObservation* Latest(const std::string& kind) const;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_EVALUATION_OBSERVATION_H_
