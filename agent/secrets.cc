#include "agent/secrets.h"

#include <sys/stat.h>

#include <cstdlib>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/checks/support/config_keys.h"
#include "common/fs.h"
#include "common/limits.h"

namespace paraat {

absl::StatusOr<std::string> SecretRef::Read() const {
  if (!file.empty()) {
    // A regular file, a line: a FIFO would hang the check, a device grow the agent.
    auto v = ReadRegularFile(file, kMaxSecretFileBytes);
    if (!v.ok()) {
      const absl::StatusCode code = v.status().code();
      return absl::Status(code, absl::StrCat("cannot read the secret file ", file, ": ",
                                             code == absl::StatusCode::kNotFound           ? "it does not exist"
                                             : code == absl::StatusCode::kPermissionDenied ? "permission denied"
                                                                                           : v.status().message()));
    }
    std::string s = *v;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) return absl::FailedPreconditionError(absl::StrCat("the secret file ", file, " is empty"));
    return s;
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr || *v == '\0') {
      return absl::FailedPreconditionError(absl::StrCat("environment variable ", env, " is not set"));
    }
    return std::string(v);
  }
  return absl::FailedPreconditionError("no secret configured");
}

SecretRef ReadSecretKeys(YamlMap& keys, const std::string& name, const CheckEnv& env, bool required) {
  SecretRef ref;
  const std::string file_key = name + "_file", env_key = name + "_env";
  if (auto f = keys.String(file_key)) {
    ref.file = ResolveConfigPath(env.config_dir, *f);
    struct stat st;
    if (::stat(ref.file.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
      keys.Error(file_key, absl::StrCat(ref.file, " is readable by everyone; restrict it (chmod 600 ", ref.file, ")"));
    }
    RequireFile(keys, env, file_key, ref.file);
  }
  if (auto e = keys.String(env_key)) ref.env = *e;
  if (env.agent_secrets != nullptr && !ref.empty()) env.agent_secrets->Add(ref);
  if (!ref.file.empty() && !ref.env.empty()) {
    keys.Error(env_key, absl::StrCat("give ", file_key, " or ", env_key, ", not both"));
  }
  if (required && ref.empty() && !keys.Has(file_key) && !keys.Has(env_key)) {
    keys.Error(file_key,
               absl::StrCat("is required (or ", env_key, "); secrets are never written in the config itself"));
  }
  if (keys.Has(name)) {
    keys.Raw(name);
    keys.Error(name, absl::StrCat("secrets are not accepted in the config; use ", file_key, " or ", env_key));
  }
  return ref;
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.size() >= 3) absl::StrReplaceAll({{s, "[REDACTED]"}}, &text);
  }
  // key=value and key: value forms of common secret names, and URL userinfo passwords.
  static const std::regex kAssign(R"(((?:password|passwd|passphrase|pwd|secret|token)\s*[=:]\s*)('[^']*'|"[^"]*"|\S+))",
                                  std::regex::icase);
  text = std::regex_replace(text, kAssign, "$1[REDACTED]");
  static const std::regex kUrl(R"((://[^/\s:@]+:)[^@\s/]+@)");
  text = std::regex_replace(text, kUrl, "$1[REDACTED]@");
  return text;
}

void SecretSet::Add(SecretRef ref) {
  for (const SecretRef& r : refs_) {
    if (r.file == ref.file && r.env == ref.env) return;
  }
  refs_.push_back(std::move(ref));
}

std::vector<std::string> SecretSet::Values() const {
  std::vector<std::string> out;
  for (const SecretRef& r : refs_) {
    auto v = r.Read();
    if (v.ok() && v->size() >= 3) out.push_back(*std::move(v));
  }
  return out;
}

namespace {

void RedactIn(std::string* text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (text->find(s) != std::string::npos) absl::StrReplaceAll({{s, "[REDACTED]"}}, text);
  }
}

}  // namespace

void RedactResult(paraat::v1::Result* r, const std::vector<std::string>& secrets) {
  if (secrets.empty()) return;
  RedactIn(r->mutable_message(), secrets);
  RedactIn(r->mutable_output_tail(), secrets);
  for (auto& d : *r->mutable_details()) {
    RedactIn(d.mutable_key(), secrets);
    RedactIn(d.mutable_value(), secrets);
  }
  for (auto& v : *r->mutable_values()) {
    RedactIn(v.mutable_name(), secrets);
    RedactIn(v.mutable_unit(), secrets);
  }
}

}  // namespace paraat
