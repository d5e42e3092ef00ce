// Check kinds by name. Adding a kind: a new file pair under checks/ and one line in
// registry.cc.
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

// What a factory may need besides the check's own keys.
struct CheckEnv {
  std::string config_dir;  // relative paths in the config resolve against this
  std::string check_id;
  absl::Duration interval;
  absl::Duration timeout;
};

// Reads the kind's keys from `keys` (problems go to its ConfigErrors) and returns the check,
// or nullptr when the keys were wrong.
using CheckFactory = std::function<std::unique_ptr<Check>(YamlMap& keys, const CheckEnv& env)>;

struct CheckKind {
  std::string name;
  std::string summary;
  CheckFactory factory;
};

const std::map<std::string, CheckKind>& CheckKinds();
const CheckKind* FindCheckKind(const std::string& name);
std::vector<std::string> CheckKindNames();

}  // namespace paraat

#endif  // PARAAT_AGENT_REGISTRY_H_
