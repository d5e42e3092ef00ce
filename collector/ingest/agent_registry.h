// The agents the collector knows: identity, version, labels, open streams and the status each
// reported last. Restored from the store at start-up, kept current by the agent streams and the
// ingest writer, read by /metrics.
//
// Thread-safety: every method may be called from any thread.
#ifndef PARAAT_COLLECTOR_INGEST_AGENT_REGISTRY_H_
#define PARAAT_COLLECTOR_INGEST_AGENT_REGISTRY_H_

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "collector/store/store.h"
#include "paraat/v1/agent.pb.h"

namespace paraat {

struct AgentInfo {
  std::string id;
  std::string version;
  std::string hostname;
  std::vector<std::pair<std::string, std::string>> labels;
  int connected_streams = 0;
  paraat::v1::AgentStatus status;
  absl::Time first_seen;
  absl::Time last_seen;
};

class AgentRegistry {
 public:
  void Restore(const AgentRow& row);
  // A stream said hello.
  AgentInfo Connected(const std::string& id, const std::string& version, const std::string& hostname,
                      std::vector<std::pair<std::string, std::string>> labels, absl::Time now);
  void Disconnected(const std::string& id);
  void Seen(const std::string& id, absl::Time now);
  void UpdateStatus(const std::string& id, const paraat::v1::AgentStatus& status);
  // Forgets agents without a stream that were last seen before `silent_since` (agent_retention).
  void Forget(absl::Time silent_since);
  std::vector<AgentInfo> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, AgentInfo> agents_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_AGENT_REGISTRY_H_
