#include "agent/checks/support/config_keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace paraat {

std::string ResolveConfigPath(const std::string& config_dir, const std::string& path) {
  return path.empty() || path[0] == '/' ? path : absl::StrCat(config_dir, "/", path);
}

std::optional<std::string> PathKey(YamlMap& keys, const CheckEnv& env, absl::string_view key, Presence presence,
                                   Need need) {
  auto v = keys.String(key, presence);
  if (!v) return std::nullopt;
  std::string path = ResolveConfigPath(env.config_dir, *v);
  if (need == Need::kFile) RequireFile(keys, env, key, path);
  return path;
}

void RequireFile(YamlMap& keys, const CheckEnv& env, absl::string_view key, const std::string& path) {
  if (!env.require_files) return;
  if (std::string problem = FileProblem(path); !problem.empty()) keys.Error(key, problem);
}

void RequireProgram(YamlMap& keys, const CheckEnv& env, absl::string_view key, const std::string& program) {
  if (!env.require_files) return;
  if (std::string problem = ProgramProblem(program); !problem.empty()) keys.Error(key, problem);
}

std::string FileProblem(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return errno == EACCES ? absl::StrCat(path, " cannot be read (permission denied)")
                           : absl::StrCat(path, " does not exist");
  }
  if (S_ISDIR(st.st_mode)) return absl::StrCat(path, " is a directory, not a file");
  if (::access(path.c_str(), R_OK) != 0) return absl::StrCat(path, " cannot be read (permission denied)");
  return "";
}

std::string ProgramProblem(const std::string& program) {
  if (program.empty() || absl::StrContains(program, "{scratch}")) return "";
  if (program[0] == '/') {
    struct stat st;
    if (::stat(program.c_str(), &st) != 0) return absl::StrCat(program, " does not exist");
    if (!S_ISREG(st.st_mode) || ::access(program.c_str(), X_OK) != 0) {
      return absl::StrCat(program, " is not an executable file");
    }
    return "";
  }
  if (absl::StrContains(program, "/")) return "";  // relative to the directory it runs in
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return "";
    }
  }
  return absl::StrCat(program, " is not on PATH");
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
