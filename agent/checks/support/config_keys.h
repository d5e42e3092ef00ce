// Keys of a check's config that name files and places. A relative path means relative to the
// config file's directory, wherever the agent was started from; a repository location may also
// be a URL, which is kept as written.
//
//   if (auto v = PathKey(keys, env, "config")) o.config = *v;            // /etc/x or <config dir>/x
//   if (auto v = LocationKey(keys, env, "repository", kRequired)) o.repository = *v;
//
// Problems (a missing required key, an empty value) go to the keys' ConfigErrors, as with every
// YamlMap getter. Not thread-safe (config loading runs on one thread).
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_CONFIG_KEYS_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_CONFIG_KEYS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "agent/registry.h"
#include "common/yaml_reader.h"

namespace paraat {

// `path` as the agent uses it: an absolute path as given, a relative one below `config_dir`.
// Empty stays empty.
std::string ResolveConfigPath(const std::string& config_dir, const std::string& path);

// A string key holding a path (or a glob), resolved against the config file's directory.
std::optional<std::string> PathKey(YamlMap& keys, const CheckEnv& env, absl::string_view key,
                                   Presence presence = kOptional);

// A string key holding a repository location: an absolute path, or anything else with a ':' in it
// (sftp:host:/srv/repo, s3:..., rest:https://..., ssh://host/./repo), as given; any other value is
// a local path relative to the config file's directory.
std::optional<std::string> LocationKey(YamlMap& keys, const CheckEnv& env, absl::string_view key,
                                       Presence presence = kOptional);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_CONFIG_KEYS_H_
