#include "agent/checks/borg.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/immutability.h"
#include "agent/checks/support/tool.h"
#include "agent/json_util.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"

namespace paraat {

std::unique_ptr<Check> BorgCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("binary")) {
    o.binary = *v;
    RequireProgram(keys, env, "binary", o.binary);
  }
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

ToolWording BorgWording(const std::string& repository) {
  return ToolWording{
      ContainsAny({"Failed to create/acquire the lock", "LockTimeout"}),
      ContainsAny({"errors found", "integrity error", "mismatch", "corrupted"}),
      [repository](const std::string& out) { return BorgFailure(out, repository); },
  };
}

}  // namespace

bool BorgCheck::SetEnvironment(const CheckContext& ctx, ToolSession* tool, paraat::v1::Result* r) const {
  std::map<std::string, std::string> env = {
      {"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes"},
      {"BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes"},
      {"BORG_DISPLAY_PASSPHRASE", "no"},
      {"BORG_CHECK_I_KNOW_WHAT_I_AM_DOING", "NO"},
  };
  if (!ctx.state_dir.empty()) env["BORG_BASE_DIR"] = ctx.state_dir + "/borg";
  std::optional<std::string> passphrase = ReadSecret(options_.passphrase, r);
  if (!passphrase) return false;
  env["BORG_PASSPHRASE"] = *passphrase;  // empty when there is none: never prompt
  std::vector<std::string> secrets;
  if (!passphrase->empty()) secrets.push_back(*passphrase);
  tool->SetEnvironment(std::move(env), std::move(secrets));
  return true;
}

void BorgCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ToolSession tool(ctx, r, BorgWording(options_.repository));
  if (!tool.TakeTurn("borg:" + options_.repository)) return;
  if (!SetEnvironment(ctx, &tool, r)) return;
  AddDetail(r, "repository", options_.repository);
  if (!tool.Version({options_.binary, "--version"})) return;

  std::vector<std::string> argv = {options_.binary, "list", "--json", "--lock-wait", "10"};
  if (!options_.glob_archives.empty()) argv.insert(argv.end(), {"--glob-archives", options_.glob_archives});
  argv.push_back(options_.repository);
  auto list = tool.Read(argv, "borg list");
  if (!list) return;
  std::string summary;
  if (!ReportNewestArchive(list->out, r, &summary)) return;
  ReportAppendOnly(&tool, r);
  if (!options_.check) {
    Ok(r, summary);
    return;
  }
  std::vector<std::string> check = {options_.binary, "check", "--lock-wait", "10"};
  if (options_.verify_data) check.push_back("--verify-data");
  check.push_back(options_.repository);
  if (!tool.Verify(check, "borg check", options_.repository, summary)) return;
  r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
  r->mutable_facts()->set_coverage(1.0);
  Ok(r, absl::StrCat(summary, "; borg check", options_.verify_data ? " --verify-data" : "",
                     " passed (every segment read back)"));
}

void BorgCheck::ReportAppendOnly(ToolSession* tool, paraat::v1::Result* r) const {
  // The repository's own setting, which borg enforces for every client: archives can be added,
  // not deleted or pruned. `borg serve --append-only` in a server's authorized_keys is not
  // visible to the client, so a repository protected only that way reads as not examined here.
  std::optional<ProcessResult> p =
      tool->Run({options_.binary, "config", "--lock-wait", "10", options_.repository, "append_only"});
  const std::string value = p ? std::string(absl::StripAsciiWhitespace(p->out)) : "";
  if (!p || !p->success() || (value != "0" && value != "1")) {
    ReportProtection(
        Protection{false, "",
                   absl::StrCat("borg config append_only failed: ", p ? ToolError(*p) : "borg did not start")},
        r);
    return;
  }
  ReportProtection(Protection{value == "1", absl::StrCat("borg repository append_only = ", value), ""}, r);
}

bool BorgCheck::ReportNewestArchive(const std::string& json, paraat::v1::Result* r, std::string* summary) const {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j["archives"].is_array()) {
    Error(r, "borg list --json gave unexpected output");
    return false;
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
    return false;
  }
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(newest));
  AddDetail(r, "archive", newest_name);
  AddDetail(r, "archive_time", FormatTimeUtc(newest));
  *summary = absl::StrCat(j["archives"].size(), " archives, newest ", newest_name, " at ", FormatTimeUtc(newest));
  return true;
}

}  // namespace paraat
