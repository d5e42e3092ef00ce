// Check kinds by name. Adding a kind: a new file pair under checks/ (a class with kName, kSummary
// and Create, built from the toolkit in checks/support/), one KindOf<> line in registry.cc and one
// line in agent/CMakeLists.txt. A restore_test recipe likewise: a class with kName and Create in
// its backup system's file pair and one RecipeOf<> line (checks/support/restore_recipe.h). The
// registry is built once, on first use, and is read-only after that (thread-safe).
#ifndef PARAAT_AGENT_REGISTRY_H_
#define PARAAT_AGENT_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "common/yaml_reader.h"

namespace paraat {

class SecretSet;

// What a factory may need besides the check's own keys.
struct CheckEnv {
  std::string config_dir;  // relative paths in the config resolve against this
  std::string check_id;
  absl::Duration interval;
  absl::Duration timeout;
  // The files and programs the check needs must be there (--check-config; see
  // checks/support/config_keys.h).
  bool require_files = false;
  // Every secret of the agent (secrets.h): ReadSecretKeys adds the check's own, and each
  // check's result is redacted of all of them. Null: not collected (unit tests).
  SecretSet* agent_secrets = nullptr;
};

// Reads the kind's keys from `keys` (problems go to its ConfigErrors) and returns the check,
// or nullptr when the keys were wrong.
using CheckFactory = std::function<std::unique_ptr<Check>(YamlMap& keys, const CheckEnv& env)>;

struct CheckKind {
  std::string name;
  std::string summary;
  CheckFactory factory;
};

// The registry row of a kind class: its `static constexpr char kName[]` and `kSummary[]`, and
// its `static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env)`.
template <typename Kind>
CheckKind KindOf() {
  return CheckKind{Kind::kName, Kind::kSummary, &Kind::Create};
}

const std::map<std::string, CheckKind>& CheckKinds();
const CheckKind* FindCheckKind(const std::string& name);
std::vector<std::string> CheckKindNames();

}  // namespace paraat

#endif  // PARAAT_AGENT_REGISTRY_H_
