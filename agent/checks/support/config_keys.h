// Keys of a check's config that name files and places. A relative path means relative to the
// config file's directory, wherever the agent was started from; a repository location may also
// be a URL, which is kept as written. Files and programs the check needs when it runs are
// required to be there when the config is loaded with require_files (--check-config): a missing
// one is a problem at its key, `file:line: key: /etc/paraat/restic.pass does not exist`. At
// start-up they are not (a password file may be mounted later; the check reports it then).
//
//   if (auto v = PathKey(keys, env, "config", kOptional, Need::kFile)) o.config = *v;
//   if (auto v = LocationKey(keys, env, "repository", kRequired)) o.repository = *v;
//   RequireProgram(keys, env, "command", o.command[0]);
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

// What a path must be when the check runs.
enum class Need {
  kNothing,  // a glob, a folder the check creates, a mount point it reports on
  kFile,     // a file the agent reads (a CA, a tool's config)
};

// A string key holding a path (or a glob), resolved against the config file's directory.
std::optional<std::string> PathKey(YamlMap& keys, const CheckEnv& env, absl::string_view key,
                                   Presence presence = kOptional, Need need = Need::kNothing);

// With env.require_files: `path` must be a readable file, or it is a problem at `key`.
void RequireFile(YamlMap& keys, const CheckEnv& env, absl::string_view key, const std::string& path);
// With env.require_files: `program` (a command's argv[0]: a bare name is looked up in PATH, an
// absolute path taken as it is) must be an executable file, or it is a problem at `key`.
// Relative paths with a '/' and arguments with "{scratch}" are left to run time.
void RequireProgram(YamlMap& keys, const CheckEnv& env, absl::string_view key, const std::string& program);

// Why `path` is not a file the agent can read ("" when it is): "/x does not exist", "/x cannot
// be read (permission denied)", "/x is a directory, not a file".
std::string FileProblem(const std::string& path);
// Why `program` cannot be run ("" when it can, or cannot be judged before run time).
std::string ProgramProblem(const std::string& program);

// A string key holding a repository location: an absolute path, or anything else with a ':' in it
// (sftp:host:/srv/repo, s3:..., rest:https://..., ssh://host/./repo), as given; any other value is
// a local path relative to the config file's directory.
std::optional<std::string> LocationKey(YamlMap& keys, const CheckEnv& env, absl::string_view key,
                                       Presence presence = kOptional);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_CONFIG_KEYS_H_
