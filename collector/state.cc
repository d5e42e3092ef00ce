#include "collector/state.h"

#include <mutex>

#include "common/ids.h"
#include "common/time_util.h"

namespace paraat {

const SourceState* EvidenceState::Source(const std::string& key) const {
  auto it = sources_.find(key);
  return it == sources_.end() ? nullptr : &it->second;
}

const PlanExercises* EvidenceState::Exercises(const std::string& plan_id) const {
  auto it = exercises_.find(plan_id);
  return it == exercises_.end() ? nullptr : &it->second;
}

void EvidenceState::ForEachSource(const std::function<void(const std::string&, const SourceState&)>& fn) const {
  for (const auto& [key, state] : sources_) fn(key, state);
}

size_t EvidenceState::source_count() const {
  std::shared_lock lock(mu_);
  return sources_.size();
}

void EvidenceState::AddResults(const std::string& agent, const std::vector<paraat::v1::Result>& results,
                               uint64_t first_seq, absl::Time received) {
  std::unique_lock lock(mu_);
  uint64_t seq = first_seq;
  for (const paraat::v1::Result& r : results) {
    std::string key = SourceKey(agent, r.check_id());
    SourceState& s = sources_[key];
    if (s.agent.empty()) {
      s.agent = agent;
      s.check = r.check_id();
    }
    s.Add(ObservationFromResult(r, seq++), received);
    dirty_.insert(std::move(key));
  }
}

void EvidenceState::AddExercise(const std::string& plan_id, const ExerciseObservation& e) {
  std::unique_lock lock(mu_);
  exercises_[plan_id].Add(e);
}

void EvidenceState::RestoreSource(const std::string& key, SourceState state) {
  std::unique_lock lock(mu_);
  sources_[key] = std::move(state);
}

std::vector<SourceCheckpoint> EvidenceState::TakeDirty() {
  std::unique_lock lock(mu_);
  std::vector<SourceCheckpoint> out;
  out.reserve(dirty_.size());
  for (const std::string& key : dirty_) {
    auto it = sources_.find(key);
    if (it == sources_.end()) continue;
    const SourceState& s = it->second;
    SourceCheckpoint c;
    c.source = key;
    c.latest_seq = s.latest ? s.latest->evidence_seq : 0;
    c.conclusive_seq = s.latest_conclusive ? s.latest_conclusive->evidence_seq : 0;
    c.ok_seq = s.latest_ok ? s.latest_ok->evidence_seq : 0;
    c.received_ns = ToUnixNs(s.received);
    out.push_back(std::move(c));
  }
  dirty_.clear();
  return out;
}

void AgentRegistry::Restore(const AgentRow& row) {
  std::lock_guard<std::mutex> lock(mu_);
  AgentInfo& a = agents_[row.agent_id];
  a.id = row.agent_id;
  a.version = row.version;
  a.hostname = row.hostname;
  a.first_seen = FromUnixNs(row.first_seen_ns);
  a.last_seen = FromUnixNs(row.last_seen_ns);
}

AgentInfo AgentRegistry::Connected(const std::string& id, const std::string& version, const std::string& hostname,
                                   std::vector<std::pair<std::string, std::string>> labels, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  AgentInfo& a = agents_[id];
  if (a.id.empty()) {
    a.id = id;
    a.first_seen = now;
  }
  a.version = version;
  a.hostname = hostname;
  a.labels = std::move(labels);
  a.last_seen = now;
  ++a.connected_streams;
  return a;
}

void AgentRegistry::Disconnected(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(id);
  if (it != agents_.end() && it->second.connected_streams > 0) --it->second.connected_streams;
}

void AgentRegistry::Seen(const std::string& id, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(id);
  if (it != agents_.end() && it->second.last_seen < now) it->second.last_seen = now;
}

void AgentRegistry::UpdateStatus(const std::string& id, const paraat::v1::AgentStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(id);
  if (it != agents_.end()) it->second.status = status;
}

std::vector<AgentInfo> AgentRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AgentInfo> out;
  out.reserve(agents_.size());
  for (const auto& [id, a] : agents_) out.push_back(a);
  return out;
}

}  // namespace paraat
