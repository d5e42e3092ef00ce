#include "agent/checks/borg.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/checks/support/config_keys.h"
#include "agent/json_util.h"
#include "agent/resource_lock.h"
#include "agent/tool.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"

namespace paraat {

std::unique_ptr<Check> BorgCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("binary")) o.binary = *v;
  if (auto v = LocationKey(keys, env, "repository", kRequired)) o.repository = *v;
  o.passphrase = ReadSecretKeys(keys, "passphrase", env, false);
  if (auto v = keys.String("glob_archives")) o.glob_archives = *v;
  if (auto v = keys.Bool("check")) o.check = *v;
  if (auto v = keys.Bool("verify_data")) {
    o.verify_data = *v;
    if (o.verify_data && !o.check) keys.Error("verify_data", "needs check: true");
  }
  if (o.repository.empty()) return nullptr;
  return std::make_unique<BorgCheck>(std::move(o));
}

namespace {
std::string BorgFailure(const std::string& out, const std::string& repo) {
  if (absl::StrContains(out, "passphrase supplied") && absl::StrContains(out, "incorrect")) {
    return "wrong passphrase for the repository";
  }
  if (absl::StrContains(out, "does not exist")) return absl::StrCat("no borg repository at ", repo);
  if (absl::StrContains(out, "is not a valid repository")) return absl::StrCat(repo, " is not a borg repository");
  if (absl::StrContains(out, "passphrase") && absl::StrContains(out, "Enter")) {
    return "the repository is encrypted: set passphrase_file or passphrase_env";
  }
  return "";
}
bool Locked(const std::string& out) {
  return absl::StrContains(out, "Failed to create/acquire the lock") || absl::StrContains(out, "LockTimeout");
}
}  // namespace

void BorgCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ResourceGuard guard("borg:" + options_.repository, ctx);
  if (!guard.held()) {
    Error(r, "timed out waiting for another check of this agent on the same repository");
    return;
  }
  std::vector<std::string> secrets;
  std::map<std::string, std::string> env = {
      {"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes"},
      {"BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes"},
      {"BORG_DISPLAY_PASSPHRASE", "no"},
      {"BORG_CHECK_I_KNOW_WHAT_I_AM_DOING", "NO"},
  };
  if (!ctx.state_dir.empty()) env["BORG_BASE_DIR"] = ctx.state_dir + "/borg";
  if (!options_.passphrase.empty()) {
    auto pw = options_.passphrase.Read();
    if (!pw.ok()) {
      Error(r, std::string(pw.status().message()));
      return;
    }
    secrets.push_back(*pw);
    env["BORG_PASSPHRASE"] = *pw;
  } else {
    env["BORG_PASSPHRASE"] = "";  // never prompt
  }
  auto* facts = r->mutable_facts();
  AddDetail(r, "repository", options_.repository);
  auto version = RunTool(ctx, ToolRun{{options_.binary, "--version"}, env, secrets, "", false});
  if (!version.ok()) {
    Error(r, std::string(version.status().message()));
    return;
  }
  AddDetail(r, "tool_version", FirstLine(version->out + version->err));

  std::vector<std::string> argv = {options_.binary, "list", "--json", "--lock-wait", "10"};
  if (!options_.glob_archives.empty()) argv.insert(argv.end(), {"--glob-archives", options_.glob_archives});
  argv.push_back(options_.repository);
  auto list = RunTool(ctx, ToolRun{argv, env, secrets, "", false});
  if (!list.ok()) {
    Error(r, std::string(list.status().message()));
    return;
  }
  if (!list->success()) {
    const std::string out = list->out + list->err;
    r->set_output_tail(OutputTail(*list));
    if (Locked(out)) {
      Error(r, "borg list: the repository is locked by another process (a running backup?)");
      return;
    }
    std::string why = BorgFailure(out, options_.repository);
    Error(r, absl::StrCat("borg list failed: ", why.empty() ? ToolError(*list) : why));
    return;
  }
  auto j = nlohmann::json::parse(list->out, nullptr, false);
  if (!j.is_object() || !j["archives"].is_array()) {
    Error(r, "borg list --json gave unexpected output");
    return;
  }
  absl::Time newest = absl::InfinitePast();
  std::string newest_name;
  for (const auto& a : j["archives"]) {
    // borg writes naive local times ("2026-11-29T12:30:18.000000").
    absl::Time t;
    std::string err;
    if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", JsonString(a, "time"), absl::LocalTimeZone(), &t, &err)) {
      continue;
    }
    if (t > newest) {
      newest = t;
      newest_name = JsonString(a, "name", JsonString(a, "archive"));
    }
  }
  AddValue(r, "archives", static_cast<double>(j["archives"].size()));
  if (newest == absl::InfinitePast()) {
    Fail(r, absl::StrCat("no archives in ", options_.repository,
                         options_.glob_archives.empty() ? "" : " matching " + options_.glob_archives));
    return;
  }
  facts->set_recovery_point_unix_ns(ToUnixNs(newest));
  AddDetail(r, "archive", newest_name);
  AddDetail(r, "archive_time", FormatTimeUtc(newest));
  const std::string summary =
      absl::StrCat(j["archives"].size(), " archives, newest ", newest_name, " at ", FormatTimeUtc(newest));
  if (!options_.check) {
    Ok(r, summary);
    return;
  }
  std::vector<std::string> check = {options_.binary, "check", "--lock-wait", "10"};
  if (options_.verify_data) check.push_back("--verify-data");
  check.push_back(options_.repository);
  auto res = RunTool(ctx, ToolRun{check, env, secrets, "", true});
  if (!res.ok()) {
    Error(r, std::string(res.status().message()));
    return;
  }
  const std::string out = res->out + res->err;
  r->set_output_tail(OutputTail(*res));
  if (res->timed_out || res->cancelled) {
    Error(r, absl::StrCat("borg check ", res->Describe()));
    return;
  }
  if (Locked(out)) {
    Warn(r, absl::StrCat(summary, "; integrity check skipped: the repository is locked by a running backup"));
    return;
  }
  if (res->success()) {
    facts->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
    facts->set_coverage(1.0);
    Ok(r, absl::StrCat(summary, "; borg check", options_.verify_data ? " --verify-data" : "",
                       " passed (every segment read back)"));
    return;
  }
  std::string why = BorgFailure(out, options_.repository);
  if (why.empty() && (absl::StrContains(out, "errors found") || absl::StrContains(out, "integrity error") ||
                      absl::StrContains(out, "mismatch") || absl::StrContains(out, "corrupted"))) {
    facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    Fail(r, absl::StrCat("borg check found errors in ", options_.repository, ": ", ToolError(*res)));
    return;
  }
  Error(r, absl::StrCat("borg check failed: ", why.empty() ? ToolError(*res) : why));
}

}  // namespace paraat
