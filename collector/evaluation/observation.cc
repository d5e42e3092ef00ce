#include "collector/evaluation/observation.h"

#include "common/time_util.h"

namespace paraat {

Observation ObservationFromResult(const paraat::v1::Result& r, uint64_t evidence_seq) {
  Observation o;
  o.status = r.status();
  o.kind = r.kind();
  o.started = FromUnixNs(r.started_unix_ns());
  o.duration = FromNs(r.duration_ns());
  o.finished = o.started + o.duration;
  o.interval = FromNs(r.interval_ns());
  o.message = r.message();
  const auto& f = r.facts();
  if (f.has_recovery_point_unix_ns()) o.recovery_point = FromUnixNs(f.recovery_point_unix_ns());
  o.integrity = f.integrity();
  if (f.has_verified_bytes()) o.verified_bytes = f.verified_bytes();
  if (f.has_restore_duration_seconds()) o.restore_duration_seconds = f.restore_duration_seconds();
  if (f.has_restore_succeeded()) o.restore_succeeded = f.restore_succeeded();
  if (f.has_ready()) o.ready = f.ready();
  if (f.has_replication_lag_seconds()) o.replication_lag_seconds = f.replication_lag_seconds();
  if (f.has_free_bytes()) o.free_bytes = f.free_bytes();
  if (f.has_backup_bytes()) o.backup_bytes = f.backup_bytes();
  if (f.has_backup_files()) o.backup_files = f.backup_files();
  if (f.has_immutable()) o.immutable = f.immutable();
  if (f.has_content_entropy_bits()) o.content_entropy_bits = f.content_entropy_bits();
  // A rotating verification's coverage age (file_backup, restic) is a measured value, seconds.
  for (const auto& v : r.values()) {
    if (v.unit() != "s") continue;
    if (v.name() == "coverage_age") o.coverage_age_seconds = v.value();
    if (v.name() == "verify_within") o.verify_within_seconds = v.value();
    if (v.name() == "coverage_reach") o.coverage_reach_seconds = v.value();
  }
  for (const auto& l : r.labels()) {
    if (l.name() == "location") o.location = l.value();
    if (l.name() == "media") o.media = l.value();
  }
  o.evidence_seq = evidence_seq;
  return o;
}

ExerciseObservation ObservationFromExercise(const paraat::v1::ExerciseRecord& e, uint64_t evidence_seq) {
  ExerciseObservation o;
  o.kind = e.kind();
  o.performed = FromUnixNs(e.performed_unix_ns());
  o.passed = e.passed();
  if (e.has_duration_seconds()) o.duration_seconds = e.duration_seconds();
  o.evidence_seq = evidence_seq;
  return o;
}

void SourceState::Add(Observation obs, absl::Time received_at) {
  obs.received = received_at;
  history.Add(obs);
  auto newer = [&](const std::optional<Observation>& slot) { return !slot || slot->started <= obs.started; };
  const bool to_latest = newer(latest);
  const bool to_conclusive = obs.status != paraat::v1::CHECK_STATUS_ERROR && newer(latest_conclusive);
  const bool to_ok =
      (obs.status == paraat::v1::CHECK_STATUS_OK || obs.status == paraat::v1::CHECK_STATUS_WARNING) && newer(latest_ok);
  if (to_latest) received = received_at;
  // Copies only into the slots that need one; the last slot takes the original.
  if (to_ok) {
    if (to_conclusive) latest_conclusive = obs;
    if (to_latest) latest = obs;
    latest_ok = std::move(obs);
  } else if (to_conclusive) {
    if (to_latest) latest = obs;
    latest_conclusive = std::move(obs);
  } else if (to_latest) {
    latest = std::move(obs);
  }
}

void PlanExercises::Add(const ExerciseObservation& e) {
  auto it = latest_by_kind.find(e.kind);
  if (it == latest_by_kind.end() || it->second.performed <= e.performed) latest_by_kind[e.kind] = e;
}

const ExerciseObservation* PlanExercises::Latest() const {
  const ExerciseObservation* best = nullptr;
  for (const auto& [kind, e] : latest_by_kind) {
    if (best == nullptr || e.performed > best->performed) best = &e;
  }
  return best;
}

const ExerciseObservation* PlanExercises::Latest(const std::string& kind) const {
  auto it = latest_by_kind.find(kind);
  return it == latest_by_kind.end() ? nullptr : &it->second;
}

}  // namespace paraat
