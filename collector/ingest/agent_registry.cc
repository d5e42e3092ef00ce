#include "collector/ingest/agent_registry.h"

#include "common/time_util.h"

namespace paraat {

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

void AgentRegistry::Forget(absl::Time silent_since) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = agents_.begin(); it != agents_.end();) {
    const AgentInfo& a = it->second;
    it = a.connected_streams == 0 && a.last_seen < silent_since ? agents_.erase(it) : std::next(it);
  }
}

std::vector<AgentInfo> AgentRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AgentInfo> out;
  out.reserve(agents_.size());
  for (const auto& [id, a] : agents_) out.push_back(a);
  return out;
}

}  // namespace paraat
