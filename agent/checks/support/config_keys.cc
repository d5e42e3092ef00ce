#include "agent/checks/support/config_keys.h"

#include "absl/strings/str_cat.h"

namespace paraat {

std::string ResolveConfigPath(const std::string& config_dir, const std::string& path) {
  return path.empty() || path[0] == '/' ? path : absl::StrCat(config_dir, "/", path);
}

std::optional<std::string> PathKey(YamlMap& keys, const CheckEnv& env, absl::string_view key, Presence presence) {
  auto v = keys.String(key, presence);
  if (!v) return std::nullopt;
  return ResolveConfigPath(env.config_dir, *v);
}

std::optional<std::string> LocationKey(YamlMap& keys, const CheckEnv& env, absl::string_view key, Presence presence) {
  auto v = keys.String(key, presence);
  if (!v) return std::nullopt;
  // restic's and borg's remote forms all carry a ':' (borg's host:path and ssh:// URLs, restic's
  // sftp:, s3:, rest:, ...); a local path relative to the config has none.
  if (v->find(':') != std::string::npos) return *v;
  return ResolveConfigPath(env.config_dir, *v);
}

}  // namespace paraat
