#include "collector/ingest/agent_quota.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/units.h"

namespace paraat {

void AgentQuota::Restore(const std::string& agent, const std::string& check, absl::Time received) {
  std::lock_guard<std::mutex> lock(mu_);
  Agent& a = agents_[agent];
  absl::Time& t = a.checks[check];
  t = std::max(t, received);
  a.last_seen = std::max(a.last_seen, received);
}

void AgentQuota::SweepLocked(absl::Time now) {
  const bool full = agents_.size() >= options_.max_agents;
  if (now - last_sweep_ < (full ? absl::Seconds(1) : absl::Minutes(1))) return;
  last_sweep_ = now;
  const absl::Time cutoff = now - options_.retention;
  absl::erase_if(agents_, [cutoff](const auto& kv) { return kv.second.last_seen < cutoff; });
}

absl::Status AgentQuota::Admit(const std::string& agent, const std::vector<std::string>& checks, absl::Time now,
                               bool* agents_full) {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(now);
  auto it = agents_.find(agent);
  const bool full = it == agents_.end() && agents_.size() >= options_.max_agents;
  if (agents_full != nullptr) *agents_full = full;
  if (full) {
    return absl::ResourceExhaustedError(absl::StrCat("the collector keeps ", options_.max_agents,
                                                     " agents heard from within agent_retention (",
                                                     HumanDuration(options_.retention), ") already, its limit; agent ",
                                                     agent, " is refused (raise limits.max_agents)"));
  }
  // The checks the agent would have: this hello's, and the others listed within the retention.
  const absl::Time cutoff = now - options_.retention;
  size_t would_have = checks.size();
  if (it != agents_.end()) {
    const absl::flat_hash_set<std::string> in_hello(checks.begin(), checks.end());
    for (const auto& [check, t] : it->second.checks) would_have += (t >= cutoff && !in_hello.contains(check)) ? 1 : 0;
  }
  if (would_have > options_.max_checks) {
    return absl::ResourceExhaustedError(
        absl::StrCat("agent ", agent, " would have ", would_have, " checks (", checks.size(),
                     " in this hello, the rest listed within agent_retention); the collector keeps at most ",
                     options_.max_checks, " checks per agent"));
  }
  Agent& a = it != agents_.end() ? it->second : agents_[agent];
  absl::erase_if(a.checks, [cutoff](const auto& kv) { return kv.second < cutoff; });
  for (const std::string& c : checks) a.checks[c] = now;
  a.last_seen = std::max(a.last_seen, now);
  return absl::OkStatus();
}

void AgentQuota::Seen(const std::string& agent, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  if (it != agents_.end()) it->second.last_seen = std::max(it->second.last_seen, now);
}

size_t AgentQuota::agents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return agents_.size();
}

}  // namespace paraat
