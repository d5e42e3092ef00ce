#include "agent/checks/restic.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/check_state.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/rotation_ledger.h"
#include "agent/checks/support/tool.h"
#include "agent/json_util.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

// The restic connection keys (repository, password, filters, binary) of the check and the recipe.
void ReadResticKeys(YamlMap& keys, const CheckEnv& env, ResticCheck::Options* o) {
  if (auto v = keys.String("binary")) {
    o->binary = *v;
    RequireProgram(keys, env, "binary", o->binary);
  }
  // Local repositories may be relative to the config; URLs (sftp:, s3:, rest:...) are kept.
  if (auto v = LocationKey(keys, env, "repository", kRequired)) o->repository = *v;
  o->password = ReadSecretKeys(keys, "password", env, true);
  if (auto v = keys.String("host")) o->host = *v;
  if (auto v = keys.StringList("tags")) o->tags = *v;
  if (auto v = keys.StringList("paths")) o->paths = *v;
}

// Environment for running restic: the password (by file or value) and a cache in `state_dir`.
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

// `restic snapshots` filter arguments.
std::vector<std::string> ResticFilters(const ResticCheck::Options& o) {
  std::vector<std::string> f;
  if (!o.host.empty()) f.insert(f.end(), {"--host", o.host});
  for (const auto& t : o.tags) f.insert(f.end(), {"--tag", t});
  for (const auto& p : o.paths) f.insert(f.end(), {"--path", p});
  return f;
}

// A failed restic invocation in a short message, or "".
std::string ResticFailure(const std::string& output, const std::string& repository) {
  if (absl::StrContains(output, "wrong password")) return "wrong password or no key found for the repository";
  if (absl::StrContains(output, "unable to open config file") || absl::StrContains(output, "Is there a repository")) {
    return absl::StrCat("no restic repository at ", repository);
  }
  if (absl::StrContains(output, "already locked")) return "the repository is locked by another process";
  return "";
}

}  // namespace

std::unique_ptr<Check> ResticCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  ReadResticKeys(keys, env, &o);
  if (auto v = keys.Bool("check")) o.check = *v;
  if (auto v = keys.Percent("read_data_subset")) {
    o.read_data_subset = *v;
    if (!o.check) keys.Error("read_data_subset", "needs check: true");
  }
  if (auto v = keys.PositiveDuration("verify_within")) {
    o.verify_within = *v;
    if (o.read_data_subset <= 0) keys.Error("verify_within", "bounds a rotation: it needs read_data_subset");
  }
  o.interval = env.interval;
  if (o.repository.empty()) return nullptr;
  return std::make_unique<ResticCheck>(std::move(o));
}

namespace {

ToolWording ResticWording(const std::string& repository) {
  return ToolWording{
      ContainsAny({"already locked", "unable to create lock"}),
      ContainsAny({"repository contains errors", "does not match", "error for tree", "unable to load"}),
      [repository](const std::string& out) { return ResticFailure(out, repository); },
  };
}

}  // namespace

void ResticCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ToolSession tool(ctx, r, ResticWording(options_.repository));
  if (!tool.TakeTurn("restic:" + options_.repository)) return;
  std::vector<std::string> secrets;
  auto env = ResticEnv(options_, ctx.state_dir, &secrets);
  if (!env.ok()) {
    Error(r, std::string(env.status().message()));
    return;
  }
  tool.SetEnvironment(*std::move(env), std::move(secrets));
  AddDetail(r, "repository", options_.repository);
  if (!tool.Version({options_.binary, "version"})) return;

  // The recovery point: the newest matching snapshot. No lock: never blocks a backup.
  std::vector<std::string> argv = {options_.binary, "snapshots", "--json", "--no-lock"};
  for (const auto& f : ResticFilters(options_)) argv.push_back(f);
  auto snaps = tool.Read(argv, "restic snapshots");
  if (!snaps) return;
  std::string summary;
  absl::Time oldest;
  if (!ReportNewestSnapshot(snaps->out, r, &summary, &oldest)) return;
  if (!options_.check) {
    Ok(r, summary);
    return;
  }
  CheckIntegrity(ctx, &tool, summary, oldest, r);
}

bool ResticCheck::ReportNewestSnapshot(const std::string& json, paraat::v1::Result* r, std::string* summary,
                                       absl::Time* oldest) const {
  auto list = nlohmann::json::parse(json, nullptr, false);
  if (!list.is_array()) {
    Error(r, "restic snapshots --json gave output that is not a JSON list");
    return false;
  }
  absl::Time newest = absl::InfinitePast();
  *oldest = absl::InfiniteFuture();
  nlohmann::json newest_snap;
  for (const auto& s : list) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, JsonString(s, "time"), &t, &err)) continue;
    *oldest = std::min(*oldest, t);
    if (t > newest) {
      newest = t;
      newest_snap = s;
    }
  }
  AddValue(r, "snapshots", static_cast<double>(list.size()));
  const std::string filters = absl::StrJoin(ResticFilters(options_), " ");
  if (newest == absl::InfinitePast()) {
    Fail(r, absl::StrCat("no snapshots in ", options_.repository, filters.empty() ? "" : " matching " + filters));
    return false;
  }
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(newest));
  AddDetail(r, "snapshot_id", JsonString(newest_snap, "short_id", JsonString(newest_snap, "id")));
  AddDetail(r, "snapshot_time", FormatTimeUtc(newest));
  AddDetail(r, "snapshot_host", JsonString(newest_snap, "hostname"));
  std::vector<std::string> paths;
  for (const auto& p : JsonAt(newest_snap, "paths")) {
    if (p.is_string()) paths.push_back(p.get<std::string>());
  }
  if (!paths.empty()) AddDetail(r, "snapshot_paths", absl::StrJoin(paths, " "));
  *summary = absl::StrCat(list.size(), " snapshots, newest ", JsonString(newest_snap, "short_id"), " at ",
                          FormatTimeUtc(newest));
  return true;
}

void ResticCheck::CheckIntegrity(const CheckContext& ctx, ToolSession* tool, const std::string& summary,
                                 absl::Time oldest, paraat::v1::Result* r) const {
  // Integrity: restic check, reading back the next data subset of the rotation.
  auto* facts = r->mutable_facts();
  const int subsets =
      options_.read_data_subset > 0 ? static_cast<int>(RotationLedger::WindowFor(options_.read_data_subset)) : 0;
  RotationLedger ledger(LoadCheckState(ctx.state_dir, "restic.json"), "verified", subsets);
  const nlohmann::json& state = ledger.state();
  int n = 0;
  std::vector<std::string> check = {options_.binary, "check"};
  if (subsets > 0) {
    n = static_cast<int>(JsonInt(state, "next", 1));
    if (n < 1 || n > subsets || JsonInt(state, "subsets") != subsets) n = 1;
    // Another read_data_subset cuts the packs differently: what subset 1 of 2 read is not subset
    // 1 of 10, so the rotation starts afresh.
    if (state.contains("subsets") && JsonInt(state, "subsets") != subsets) ledger.Retain({});
    check.push_back(absl::StrCat("--read-data-subset=", n, "/", subsets));
  }
  // A damaged subset: the rotation stays on it until it reads back intact, so corruption is not
  // forgotten because the next run happens to read other packs.
  const std::string where =
      absl::StrCat(options_.repository, subsets ? absl::StrCat(" (data subset ", n, "/", subsets, ")") : "");
  if (!tool->Verify(check, "restic check", where, summary)) return;
  if (subsets == 0) {
    facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    Ok(r, absl::StrCat(summary, "; structure check passed (set read_data_subset to read data back)"));
    (void)SaveCheckState(ctx.state_dir, ledger.state(), "restic.json");
    return;
  }
  // Coverage: the share of the subsets read back intact within the last full rotation.
  const absl::Time now = ctx.clock->Now();
  ledger.StartRun();
  ledger.Record(absl::StrCat(n), /*intact=*/true, {{"at", absl::ToUnixSeconds(now)}});
  std::vector<RotationLedger::Item> all;
  // Coverage age: packs written into a subset after it was read are younger than that read, so
  // the subset's oldest unread byte dates from its last intact read; one never read back (or read
  // before reads were dated) from the oldest snapshot.
  absl::Time unread_since = now;
  for (int i = 1; i <= subsets; ++i) {
    all.push_back({absl::StrCat(i)});
    unread_since = std::min(unread_since, ledger.ReadIntactAt(all.back().key).value_or(oldest));
  }
  const absl::Duration age = now - unread_since;
  AddValue(r, "coverage_age", absl::ToDoubleSeconds(age), "s");
  const double coverage = ledger.Coverage(all);
  ledger.state()["next"] = n % subsets + 1;
  ledger.state()["subsets"] = subsets;
  facts->set_coverage(coverage);
  facts->set_integrity(coverage >= 1.0 ? paraat::v1::INTEGRITY_VERIFIED : paraat::v1::INTEGRITY_UNVERIFIED);
  AddDetail(r, "read_data_subset", absl::StrCat(n, "/", subsets));
  Ok(r, absl::StrFormat("%s; check passed, data subset %d/%d read back (%.0f%% of the data within the rotation)",
                        summary, n, subsets, coverage * 100));
  ApplyVerifyWithin(age, subsets, options_.interval, options_.verify_within, r);
  (void)SaveCheckState(ctx.state_dir, ledger.state(), "restic.json");
}

std::unique_ptr<RestoreRecipe> ResticRestore::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  ReadResticKeys(keys, env, &o.restic);
  if (auto v = keys.String("snapshot")) o.snapshot = *v;
  if (auto v = keys.Bool("compare")) o.compare = *v;
  if (o.restic.repository.empty()) return nullptr;
  return std::make_unique<ResticRestore>(std::move(o));
}

std::string ResticRestore::Resolve(const RestoreDrill& drill, const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& secrets, paraat::v1::Result* r) const {
  std::vector<std::string> which = {options_.restic.binary, "snapshots", "--json", "--no-lock"};
  for (const auto& f : ResticFilters(options_.restic)) which.push_back(f);
  if (options_.snapshot != "latest") which.push_back(options_.snapshot);
  ProcessResult listed;
  if (!RunDrillStep(drill.ctx, ToolRun{which, env, secrets, "", false}, "listing the snapshots", DrillStep::kSetup, r,
                    drill.log, &listed)) {
    std::string why = ResticFailure(listed.out + listed.err, options_.restic.repository);
    if (!why.empty()) Error(r, absl::StrCat("restic: ", why));
    return "";
  }
  auto snaps = nlohmann::json::parse(listed.out, nullptr, false);
  std::string id;
  absl::Time snap_time = absl::InfinitePast();
  if (snaps.is_array()) {
    for (const auto& s : snaps) {
      absl::Time t;
      std::string err;
      if (absl::ParseTime(absl::RFC3339_full, JsonString(s, "time"), &t, &err) && t > snap_time) {
        snap_time = t;
        id = JsonString(s, "id");
      }
    }
  }
  if (id.empty()) {
    Fail(r, absl::StrCat("no snapshot to restore in ", options_.restic.repository));
    return "";
  }
  AddDetail(r, "snapshot_id", id.substr(0, 8));
  AddDetail(r, "snapshot_time", FormatTimeUtc(snap_time));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(snap_time));
  return id;
}

bool ResticRestore::Run(const RestoreDrill& drill, paraat::v1::Result* r) {
  std::vector<std::string> secrets;
  auto env = ResticEnv(options_.restic, drill.ctx.state_dir, &secrets);
  if (!env.ok()) {
    Error(r, std::string(env.status().message()));
    return false;
  }
  for (const auto& [k, v] : drill.env) (*env)[k] = v;
  AddDetail(r, "repository", options_.restic.repository);
  // Which snapshot: resolve "latest" (with the filters) to an id and a time first.
  const std::string id = Resolve(drill, *env, secrets, r);
  if (id.empty()) return false;
  const std::string target = drill.scratch + "/restore";
  if (!RunDrillStep(drill.ctx, ToolRun{{options_.restic.binary, "restore", id, "--target", target}, *env, secrets},
                    "restic restore", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  if (!drill.Validate(target, r)) return false;
  return !options_.compare || Compare(drill, *env, secrets, id, target, r);
}

bool ResticRestore::Compare(const RestoreDrill& drill, const std::map<std::string, std::string>& env,
                            const std::vector<std::string>& secrets, const std::string& id, const std::string& target,
                            paraat::v1::Result* r) const {
  ProcessResult stats;
  if (!RunDrillStep(drill.ctx,
                    ToolRun{{options_.restic.binary, "stats", "--json", "--no-lock", "--mode", "restore-size", id},
                            env,
                            secrets,
                            "",
                            false},
                    "restic stats", DrillStep::kSetup, r, drill.log, &stats)) {
    return false;
  }
  auto j = nlohmann::json::parse(stats.out, nullptr, false);
  if (!j.is_object()) {
    Error(r, "restic stats --json gave unexpected output");
    return false;
  }
  const uint64_t want_entries = static_cast<uint64_t>(JsonInt(j, "total_file_count"));
  const uint64_t want_bytes = static_cast<uint64_t>(JsonInt(j, "total_size"));
  uint64_t entries = 0, bytes = 0;
  CountTree(target, &entries, &bytes);
  AddValue(r, "restored_entries", static_cast<double>(entries));
  AddValue(r, "restored_bytes", static_cast<double>(bytes), "B");
  r->mutable_facts()->set_verified_bytes(bytes);
  r->mutable_facts()->set_verified_objects(entries);
  if (entries != want_entries || bytes != want_bytes) {
    Fail(r, absl::StrCat("the restore differs from snapshot ", id.substr(0, 8), ": ", entries, " entries and ", bytes,
                         " bytes restored, the snapshot has ", want_entries, " and ", want_bytes));
    return false;
  }
  return true;
}

}  // namespace paraat
