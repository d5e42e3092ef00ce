#include "collector/evaluation/state.h"

#include <functional>
#include <mutex>

#include "absl/hash/hash.h"
#include "common/ids.h"
#include "common/time_util.h"

namespace paraat {

EvidenceState::ReadLock::ReadLock(const EvidenceState& state) : state_(state) {
  for (const Shard& s : state_.shards_) s.mu.lock_shared();
  state_.exercises_mu_.lock_shared();
}

EvidenceState::ReadLock::~ReadLock() {
  state_.exercises_mu_.unlock_shared();
  for (const Shard& s : state_.shards_) s.mu.unlock_shared();
}

EvidenceState::Shard& EvidenceState::ShardOf(const std::string& key) { return shards_[absl::HashOf(key) % kShards]; }

const EvidenceState::Shard& EvidenceState::ShardOf(const std::string& key) const {
  return shards_[absl::HashOf(key) % kShards];
}

const SourceState* EvidenceState::Source(const std::string& key) const {
  const Shard& shard = ShardOf(key);
  auto it = shard.sources.find(key);
  return it == shard.sources.end() ? nullptr : &it->second;
}

const PlanExercises* EvidenceState::Exercises(const std::string& plan_id) const {
  auto it = exercises_.find(plan_id);
  return it == exercises_.end() ? nullptr : &it->second;
}

void EvidenceState::ForEachSource(const std::function<void(const std::string&, const SourceState&)>& fn) const {
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    for (const auto& [key, state] : shard.sources) fn(key, state);
  }
}

size_t EvidenceState::source_count() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::shared_lock lock(shard.mu);
    n += shard.sources.size();
  }
  return n;
}

void EvidenceState::AddResults(const std::string& agent, std::vector<CheckObservation> results, uint64_t first_seq,
                               absl::Time received) {
  uint64_t seq = first_seq;
  std::string key;
  for (CheckObservation& r : results) {
    key = SourceKey(agent, r.check);
    r.obs.evidence_seq = seq++;
    Shard& shard = ShardOf(key);
    std::unique_lock lock(shard.mu);
    auto [it, inserted] = shard.sources.try_emplace(key);
    SourceState& s = it->second;
    if (inserted) {
      s.agent = agent;
      s.check = r.check;
    }
    s.Add(std::move(r.obs), received);
    shard.dirty.insert(key);
  }
}

void EvidenceState::AddExercise(const std::string& plan_id, const ExerciseObservation& e) {
  std::unique_lock lock(exercises_mu_);
  exercises_[plan_id].Add(e);
}

void EvidenceState::AddContinuity(const paraat::v1::EvidenceRecord& rec, uint64_t seq) {
  std::unique_lock lock(exercises_mu_);
  if (rec.has_review()) {
    exercises_[rec.review().plan_id()].continuity.AddReview(rec.review(), seq);
  } else if (rec.has_incident()) {
    exercises_[rec.incident().plan_id()].continuity.AddIncident(rec.incident(), seq);
  }
}

void EvidenceState::RestoreSource(const std::string& key, SourceState state) {
  Shard& shard = ShardOf(key);
  std::unique_lock lock(shard.mu);
  shard.sources[key] = std::move(state);
}

std::vector<SourceCheckpoint> EvidenceState::TakeDirty() {
  std::vector<SourceCheckpoint> out;
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mu);
    for (const std::string& key : shard.dirty) {
      auto it = shard.sources.find(key);
      if (it == shard.sources.end()) continue;
      const SourceState& s = it->second;
      SourceCheckpoint c;
      c.source = key;
      c.latest_seq = s.latest ? s.latest->evidence_seq : 0;
      c.conclusive_seq = s.latest_conclusive ? s.latest_conclusive->evidence_seq : 0;
      c.ok_seq = s.latest_ok ? s.latest_ok->evidence_seq : 0;
      c.received_ns = ToUnixNs(s.received);
      out.push_back(std::move(c));
    }
    shard.dirty.clear();
  }
  return out;
}

namespace {
constexpr Role kRoles[] = {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover};
}  // namespace

ResolvedSources::ResolvedSources(const EvidenceState& state, const Plan& plan) : state_(state), plan_(plan) {
  for (size_t r = 0; r < 4; ++r) by_role_[r].assign(plan_.Sources(kRoles[r]).size(), nullptr);
}

void ResolvedSources::Refresh() {
  for (size_t r = 0; r < 4; ++r) {
    const std::vector<std::string>& keys = plan_.Sources(kRoles[r]);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (by_role_[r][i] == nullptr) by_role_[r][i] = state_.Source(keys[i]);
    }
  }
}

const SourceState* ResolvedSources::Source(const std::string& key) const {
  for (size_t r = 0; r < 4; ++r) {
    const std::vector<std::string>& keys = plan_.Sources(kRoles[r]);
    if (!keys.empty() && std::greater_equal<const std::string*>()(&key, keys.data()) &&
        std::less<const std::string*>()(&key, keys.data() + keys.size())) {
      return by_role_[r][static_cast<size_t>(&key - keys.data())];
    }
  }
  return state_.Source(key);
}

const PlanExercises* ResolvedSources::Exercises(const std::string& plan_id) const { return state_.Exercises(plan_id); }

}  // namespace paraat
