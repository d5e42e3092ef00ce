#include "collector/observation.h"

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
  o.evidence_seq = evidence_seq;
  return o;
}

void SourceState::Add(const Observation& obs, absl::Time received_at) {
  auto newer = [&](const std::optional<Observation>& slot) { return !slot || slot->started <= obs.started; };
  if (newer(latest)) {
    latest = obs;
    received = received_at;
  }
  if (obs.status != paraat::v1::CHECK_STATUS_ERROR && newer(latest_conclusive)) latest_conclusive = obs;
  if ((obs.status == paraat::v1::CHECK_STATUS_OK || obs.status == paraat::v1::CHECK_STATUS_WARNING) &&
      newer(latest_ok)) {
    latest_ok = obs;
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
