#include "agent/checks/restic.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/check_state.h"
#include "agent/checks/support/config_keys.h"
#include "agent/json_util.h"
#include "agent/resource_lock.h"
#include "agent/tool.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"

namespace paraat {

void ReadResticKeys(YamlMap& keys, const CheckEnv& env, ResticCheck::Options* o) {
  if (auto v = keys.String("binary")) o->binary = *v;
  // Local repositories may be relative to the config; URLs (sftp:, s3:, rest:...) are kept.
  if (auto v = LocationKey(keys, env, "repository", kRequired)) o->repository = *v;
  o->password = ReadSecretKeys(keys, "password", env, true);
  if (auto v = keys.String("host")) o->host = *v;
  if (auto v = keys.StringList("tags")) o->tags = *v;
  if (auto v = keys.StringList("paths")) o->paths = *v;
}

absl::StatusOr<std::map<std::string, std::string>> ResticEnv(const ResticCheck::Options& o,
                                                             const std::string& state_dir,
                                                             std::vector<std::string>* secrets) {
  std::map<std::string, std::string> env;
  auto pw = o.password.Read();
  if (!pw.ok()) return pw.status();
  secrets->push_back(*pw);
  if (!o.password.file.empty()) {
    env["RESTIC_PASSWORD_FILE"] = o.password.file;
  } else {
    env["RESTIC_PASSWORD"] = *pw;
  }
  env["RESTIC_REPOSITORY"] = o.repository;
  if (!state_dir.empty()) env["RESTIC_CACHE_DIR"] = state_dir + "/cache";
  env["RESTIC_PROGRESS_FPS"] = "0.5";
  return env;
}

std::vector<std::string> ResticFilters(const ResticCheck::Options& o) {
  std::vector<std::string> f;
  if (!o.host.empty()) f.insert(f.end(), {"--host", o.host});
  for (const auto& t : o.tags) f.insert(f.end(), {"--tag", t});
  for (const auto& p : o.paths) f.insert(f.end(), {"--path", p});
  return f;
}

std::string ResticFailure(const std::string& output, const std::string& repository) {
  if (absl::StrContains(output, "wrong password")) return "wrong password or no key found for the repository";
  if (absl::StrContains(output, "unable to open config file") || absl::StrContains(output, "Is there a repository")) {
    return absl::StrCat("no restic repository at ", repository);
  }
  if (absl::StrContains(output, "already locked")) return "the repository is locked by another process";
  return "";
}

std::unique_ptr<Check> ResticCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  ReadResticKeys(keys, env, &o);
  if (auto v = keys.Bool("check")) o.check = *v;
  if (auto v = keys.Percent("read_data_subset")) {
    o.read_data_subset = *v;
    if (!o.check) keys.Error("read_data_subset", "needs check: true");
  }
  if (o.repository.empty()) return nullptr;
  return std::make_unique<ResticCheck>(std::move(o));
}

void ResticCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ResourceGuard guard("restic:" + options_.repository, ctx);
  if (!guard.held()) {
    Error(r, "timed out waiting for another check of this agent on the same repository");
    return;
  }
  std::vector<std::string> secrets;
  auto env = ResticEnv(options_, ctx.state_dir, &secrets);
  if (!env.ok()) {
    Error(r, std::string(env.status().message()));
    return;
  }
  auto* facts = r->mutable_facts();
  AddDetail(r, "repository", options_.repository);

  auto version = RunTool(ctx, ToolRun{{options_.binary, "version"}, *env, secrets, "", false});
  if (!version.ok()) {
    Error(r, std::string(version.status().message()));
    return;
  }
  AddDetail(r, "tool_version", FirstLine(version->out));

  // The recovery point: the newest matching snapshot. No lock: never blocks a backup.
  std::vector<std::string> argv = {options_.binary, "snapshots", "--json", "--no-lock"};
  for (const auto& f : ResticFilters(options_)) argv.push_back(f);
  auto snaps = RunTool(ctx, ToolRun{argv, *env, secrets, "", false});
  if (!snaps.ok()) {
    Error(r, std::string(snaps.status().message()));
    return;
  }
  if (!snaps->success()) {
    std::string why = ResticFailure(snaps->out + snaps->err, options_.repository);
    Error(r, absl::StrCat("restic snapshots failed: ", why.empty() ? ToolError(*snaps) : why));
    r->set_output_tail(OutputTail(*snaps));
    return;
  }
  auto list = nlohmann::json::parse(snaps->out, nullptr, false);
  if (!list.is_array()) {
    Error(r, "restic snapshots --json gave output that is not a JSON list");
    return;
  }
  absl::Time newest = absl::InfinitePast();
  nlohmann::json newest_snap;
  for (const auto& s : list) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, JsonString(s, "time"), &t, &err)) {
      continue;
    }
    if (t > newest) {
      newest = t;
      newest_snap = s;
    }
  }
  AddValue(r, "snapshots", static_cast<double>(list.size()));
  const std::string filters = absl::StrJoin(ResticFilters(options_), " ");
  if (newest == absl::InfinitePast()) {
    Fail(r, absl::StrCat("no snapshots in ", options_.repository, filters.empty() ? "" : " matching " + filters));
    return;
  }
  facts->set_recovery_point_unix_ns(ToUnixNs(newest));
  AddDetail(r, "snapshot_id", JsonString(newest_snap, "short_id", JsonString(newest_snap, "id")));
  AddDetail(r, "snapshot_time", FormatTimeUtc(newest));
  AddDetail(r, "snapshot_host", JsonString(newest_snap, "hostname"));
  std::vector<std::string> paths;
  for (const auto& p : JsonAt(newest_snap, "paths")) {
    if (p.is_string()) paths.push_back(p.get<std::string>());
  }
  if (!paths.empty()) AddDetail(r, "snapshot_paths", absl::StrJoin(paths, " "));
  std::string summary = absl::StrCat(list.size(), " snapshots, newest ", JsonString(newest_snap, "short_id"), " at ",
                                     FormatTimeUtc(newest));
  if (!options_.check) {
    Ok(r, summary);
    return;
  }

  // Integrity: restic check, reading back the next data subset of the rotation.
  nlohmann::json state = LoadCheckState(ctx.state_dir, "restic.json");
  int subsets = 0, n = 0;
  std::vector<std::string> check = {options_.binary, "check"};
  if (options_.read_data_subset > 0) {
    subsets = static_cast<int>(std::ceil(1.0 / options_.read_data_subset - 1e-9));
    n = static_cast<int>(JsonInt(state, "next", 1));
    if (n < 1 || n > subsets || JsonInt(state, "subsets") != subsets) n = 1;
    check.push_back(absl::StrCat("--read-data-subset=", n, "/", subsets));
  }
  auto res = RunTool(ctx, ToolRun{check, *env, secrets, "", true});
  if (!res.ok()) {
    Error(r, std::string(res.status().message()));
    return;
  }
  const std::string out = res->out + res->err;
  r->set_output_tail(OutputTail(*res));
  if (res->timed_out || res->cancelled) {
    Error(r, absl::StrCat("restic check ", res->Describe()));
    return;
  }
  if (absl::StrContains(out, "already locked") || absl::StrContains(out, "unable to create lock")) {
    // A running backup holds the lock: not corruption, and not a reason to break the lock.
    Warn(r, absl::StrCat(summary, "; integrity check skipped: the repository is locked by a running backup"));
    return;
  }
  if (!res->success()) {
    const bool corrupt = absl::StrContains(out, "repository contains errors") ||
                         absl::StrContains(out, "does not match") || absl::StrContains(out, "error for tree") ||
                         absl::StrContains(out, "unable to load");
    std::string why = ResticFailure(out, options_.repository);
    if (corrupt && why.empty()) {
      facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
      Fail(r, absl::StrCat("restic check found errors in ", options_.repository,
                           subsets ? absl::StrCat(" (data subset ", n, "/", subsets, ")") : std::string(), ": ",
                           ToolError(*res)));
      // The rotation stays on this subset until it reads back intact: corruption is not
      // forgotten because the next run happens to read other packs.
      return;
    }
    Error(r, absl::StrCat("restic check failed: ", why.empty() ? ToolError(*res) : why));
    return;
  }
  if (subsets > 0) {
    // Remember when each subset was last read back intact; coverage is the share read within
    // the last full rotation.
    nlohmann::json& done = state["verified"];
    if (!done.is_object()) done = nlohmann::json::object();
    const int64_t run = JsonInt(state, "run") + 1;
    state["run"] = run;
    done[absl::StrCat(n)] = run;
    int covered = 0;
    for (int i = 1; i <= subsets; ++i) {
      auto it = done.find(absl::StrCat(i));
      if (it != done.end() && it->is_number() && it->get<int64_t>() > run - subsets) ++covered;
    }
    state["next"] = n % subsets + 1;
    state["subsets"] = subsets;
    const double coverage = static_cast<double>(covered) / subsets;
    facts->set_coverage(coverage);
    facts->set_integrity(coverage >= 1.0 ? paraat::v1::INTEGRITY_VERIFIED : paraat::v1::INTEGRITY_UNVERIFIED);
    AddDetail(r, "read_data_subset", absl::StrCat(n, "/", subsets));
    Ok(r, absl::StrFormat("%s; check passed, data subset %d/%d read back (%.0f%% of the data within the rotation)",
                          summary, n, subsets, coverage * 100));
  } else {
    facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    Ok(r, absl::StrCat(summary, "; structure check passed (set read_data_subset to read data back)"));
  }
  (void)SaveCheckState(ctx.state_dir, state, "restic.json");
}

}  // namespace paraat
