// Secrets for checks (repository passwords, passphrases): read from a file or an environment
// variable, never from the config file itself, never logged, never sent to the collector.
// Files holding them must not be readable by everyone.
#ifndef PARAAT_AGENT_SECRETS_H_
#define PARAAT_AGENT_SECRETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/registry.h"
#include "common/yaml_reader.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

struct SecretRef {
  std::string file;  // <name>_file
  std::string env;   // <name>_env
  bool empty() const { return file.empty() && env.empty(); }
  // The secret's value (trailing newline removed). NOT_FOUND / PERMISSION_DENIED /
  // FAILED_PRECONDITION with a message that never contains the value.
  [[nodiscard]] absl::StatusOr<std::string> Read() const;
};

// Reads `<name>_file` (relative to the config file's directory) and `<name>_env` from a check's
// keys. A file must not be world-readable (the config is refused: chmod 600 or 640 fixes it),
// and with env.require_files (--check-config) it must exist and be readable.
// `required`: one of the two must be given.
SecretRef ReadSecretKeys(YamlMap& keys, const std::string& name, const CheckEnv& env, bool required);

// Replaces every occurrence of the given secrets, and of `password=...`-style assignments,
// with [REDACTED]. Used on every piece of tool output that leaves the agent.
std::string Redact(std::string text, const std::vector<std::string>& secrets);

// Every secret an agent's checks are configured with (filled by ReadSecretKeys while the config
// loads, read-only after). A check that prints another check's secret (a plugin that cats a
// password file) must not store it either: the scheduler redacts every result of all of them.
// Thread-safe once loaded (Values() only reads).
class SecretSet {
 public:
  void Add(SecretRef ref);
  // The values now (a rotated password file is read again); those that cannot be read, and
  // those shorter than 3 bytes, are left out.
  std::vector<std::string> Values() const;
  size_t size() const { return refs_.size(); }

 private:
  std::vector<SecretRef> refs_;
};

// Replaces each of `secrets` with [REDACTED] in every text a result carries: message, output
// tail, detail keys and values, value names and units.
void RedactResult(paraat::v1::Result* result, const std::vector<std::string>& secrets);

}  // namespace paraat

#endif  // PARAAT_AGENT_SECRETS_H_
