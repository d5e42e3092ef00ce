// The agent's YAML config (docs/design.md, "Agent config"). Loading is not thread-safe; the
// config it returns is read-only afterwards.
#ifndef PARAAT_AGENT_CONFIG_H_
#define PARAAT_AGENT_CONFIG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/secrets.h"

namespace paraat {

struct CheckSpec {
  std::string id;
  std::string kind;
  absl::Duration interval;
  absl::Duration timeout;
  std::map<std::string, std::string> labels;
  int line = 0;
  std::shared_ptr<Check> check;
  // Every secret of the agent, to redact from this check's results (secrets.h).
  std::shared_ptr<const SecretSet> agent_secrets;
};

struct AgentConfig {
  std::string file;
  std::string agent_id;  // default: host name
  std::map<std::string, std::string> labels;

  std::string collector_address;  // any gRPC target
  std::string tls_ca, tls_cert, tls_key;
  bool insecure = false;

  std::string spool_dir;
  uint64_t spool_max_size = 256ull << 20;
  std::string state_dir;  // per-check state (rotating verification); default <spool_dir>/check-state

  int concurrency = 2;
  std::vector<CheckSpec> checks;

  const CheckSpec* FindCheck(const std::string& id) const;
};

struct ConfigLoadOptions {
  // The files and programs the config names must be there: TLS files, secret files, a CA file,
  // a tool's config, the programs of commands and restore drills (--check-config). Without it a
  // missing one is reported when a check needs it, by that check.
  bool require_files = false;
};

// Problems are InvalidArgument with `file:line: key: problem` lines, all of them at once.
[[nodiscard]] absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path,
                                                          const ConfigLoadOptions& options = {});
// The same from text; `path` names the file in messages and anchors relative paths.
[[nodiscard]] absl::StatusOr<AgentConfig> ParseAgentConfig(const std::string& yaml, const std::string& path,
                                                           const ConfigLoadOptions& options = {});

}  // namespace paraat

#endif  // PARAAT_AGENT_CONFIG_H_
