// How many agents the collector keeps, and how many checks each: the bound on what one agent (or
// a client inventing agent ids) can make the collector hold. An agent's checks are those its
// hellos listed, and those the evidence state restored for it at start-up; a check or an agent
// not heard of for `retention` (agent_retention, default 30 days) no longer counts, and leaves
// /metrics (serving/metrics_exporter.h). The evidence stays in the store either way.
//
//   AgentQuota quota({.max_agents = 100000, .max_checks = 10000, .retention = absl::Hours(720)});
//   absl::Status st = quota.Admit("db-01", {"pg-dump", "restic-offsite"}, now);  // at hello
//
// Thread-safety: every method may be called from any thread.
#ifndef PARAAT_COLLECTOR_INGEST_AGENT_QUOTA_H_
#define PARAAT_COLLECTOR_INGEST_AGENT_QUOTA_H_

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/limits.h"

namespace paraat {

struct AgentQuotaOptions {
  size_t max_agents = 100000;
  size_t max_checks = kMaxChecksPerAgent;
  absl::Duration retention = absl::Hours(24 * 30);
};

class AgentQuota {
 public:
  explicit AgentQuota(AgentQuotaOptions options) : options_(options) {}

  // At start-up: a source the evidence state holds, and when it last reported (wall time).
  void Restore(const std::string& agent, const std::string& check, absl::Time received);
  // A hello from `agent` listing `checks`, at wall time `now`. OK (the checks now count for the
  // agent), or RESOURCE_EXHAUSTED saying which limit it would pass, the state unchanged:
  // a new agent beyond max_agents, or more than max_checks checks for the agent (those of this
  // hello and those listed within the retention). `agents_full`, when given, says which.
  [[nodiscard]] absl::Status Admit(const std::string& agent, const std::vector<std::string>& checks, absl::Time now,
                                   bool* agents_full = nullptr);
  // The agent sent something: it is not silent.
  void Seen(const std::string& agent, absl::Time now);

  // Agents that count now (those heard of within the retention, at the last sweep).
  size_t agents() const;
  const AgentQuotaOptions& options() const { return options_; }

 private:
  struct Agent {
    absl::flat_hash_map<std::string, absl::Time> checks;  // check -> last listed or restored
    absl::Time last_seen;
  };
  // Drops agents silent for longer than the retention: every minute, or every second while
  // at max_agents.
  void SweepLocked(absl::Time now);

  const AgentQuotaOptions options_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Agent> agents_;
  absl::Time last_sweep_ = absl::InfinitePast();
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_AGENT_QUOTA_H_
