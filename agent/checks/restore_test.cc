#include "agent/checks/restore_test.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/resource_lock.h"
#include "agent/checks/support/tool.h"
#include "agent/json_util.h"
#include "agent/secrets.h"
#include "common/fs.h"
#include "common/time_util.h"
#include "common/units.h"
#include "nlohmann/json.hpp"

namespace paraat {

std::unique_ptr<Check> RestoreTestCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.Enum("recipe", {"restic", "pg_restore"})) {
    o.recipe = *v == "restic" ? Recipe::kRestic : Recipe::kPgRestore;
  }
  if (o.recipe == Recipe::kCommand) {
    if (auto v = keys.StringList("command", kRequired)) {
      if (v->empty()) keys.Error("command", "is empty: give the program and its arguments");
      if (!v->empty()) RequireProgram(keys, env, "command", (*v)[0]);
      o.command = *v;
    }
  } else if (keys.Has("command")) {
    keys.Raw("command");
    keys.Error("command", "is not used with a recipe");
  }
  if (auto v = keys.StringList("validate")) {
    if (!v->empty()) RequireProgram(keys, env, "validate", (*v)[0]);
    o.validate = *v;
  }
  if (auto v = keys.StringMap("env")) o.env = *v;
  if (auto v = PathKey(keys, env, "scratch_dir")) o.scratch_dir = *v;
  if (o.recipe == Recipe::kRestic) {
    ReadResticKeys(keys, env, &o.restic);
    if (auto v = keys.String("snapshot")) o.snapshot = *v;
    if (auto v = keys.Bool("compare")) o.compare = *v;
  }
  if (o.recipe == Recipe::kPgRestore) {
    if (auto v = PathKey(keys, env, "dump", kRequired)) o.dump = *v;
    if (auto v = keys.String("host")) o.host = *v;
    if (auto v = keys.String("port")) o.port = *v;
    if (auto v = keys.String("user")) o.user = *v;
    if (auto v = keys.String("bin_dir")) {
      o.bin_dir = *v;
      for (const char* program : {"createdb", "pg_restore", "psql", "dropdb"}) {
        RequireProgram(keys, env, "bin_dir", absl::StrCat(o.bin_dir, "/", program));
      }
    }
    if (auto v = keys.String("database_prefix")) o.database_prefix = *v;
    if (auto v = keys.String("validate_query")) o.validate_query = *v;
    if (auto v = keys.Int("expect_min", 0, INT64_MAX)) o.expect_min = static_cast<double>(*v);
    o.pg_password = ReadSecretKeys(keys, "password", env, false);
  }
  if (o.recipe == Recipe::kCommand && o.command.empty()) return nullptr;
  if (o.recipe == Recipe::kRestic && o.restic.repository.empty()) return nullptr;
  if (o.recipe == Recipe::kPgRestore && o.dump.empty()) return nullptr;
  return std::make_unique<RestoreTestCheck>(std::move(o));
}

namespace {

std::vector<std::string> Substitute(const std::vector<std::string>& argv, const std::string& scratch) {
  std::vector<std::string> out;
  for (const auto& a : argv) out.push_back(absl::StrReplaceAll(a, {{"{scratch}", scratch}}));
  return out;
}

// Files and directories below `dir`, and the bytes in its regular files.
void Walk(const std::string& dir, uint64_t* entries, uint64_t* bytes) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    ++*entries;
    if (it->is_regular_file(ec)) *bytes += it->file_size(ec);
  }
}

}  // namespace

bool RestoreTestCheck::RunCommand(const CheckContext& ctx, const std::string& scratch, paraat::v1::Result* r,
                                  std::string* log) {
  std::map<std::string, std::string> env = options_.env;
  env["PARAAT_SCRATCH"] = scratch;
  AddDetail(r, "command", Redact(absl::StrJoin(options_.command, " "), {}));
  if (!RunDrillStep(ctx, ToolRun{Substitute(options_.command, scratch), env, {}, scratch, true}, "the restore",
                    DrillStep::kTest, r, log)) {
    return false;
  }
  if (!options_.validate.empty()) {
    AddDetail(r, "validate", Redact(absl::StrJoin(options_.validate, " "), {}));
    if (!RunDrillStep(ctx, ToolRun{Substitute(options_.validate, scratch), env, {}, scratch, true}, "the validation",
                      DrillStep::kTest, r, log)) {
      return false;
    }
  }
  return true;
}

bool RestoreTestCheck::RunRestic(const CheckContext& ctx, const std::string& scratch, paraat::v1::Result* r,
                                 std::string* log) {
  std::vector<std::string> secrets;
  auto env = ResticEnv(options_.restic, ctx.state_dir, &secrets);
  if (!env.ok()) {
    Error(r, std::string(env.status().message()));
    return false;
  }
  for (const auto& [k, v] : options_.env) (*env)[k] = v;
  const std::string& bin = options_.restic.binary;
  AddDetail(r, "repository", options_.restic.repository);
  std::vector<std::string> filters = ResticFilters(options_.restic);

  // Which snapshot: resolve "latest" (with the filters) to an id and a time first.
  std::vector<std::string> which = {bin, "snapshots", "--json", "--no-lock"};
  which.insert(which.end(), filters.begin(), filters.end());
  if (options_.snapshot != "latest") which.push_back(options_.snapshot);
  ProcessResult listed;
  if (!RunDrillStep(ctx, ToolRun{which, *env, secrets, "", false}, "listing the snapshots", DrillStep::kSetup, r, log,
                    &listed)) {
    std::string why = ResticFailure(listed.out + listed.err, options_.restic.repository);
    if (!why.empty()) Error(r, absl::StrCat("restic: ", why));
    return false;
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
    return false;
  }
  AddDetail(r, "snapshot_id", id.substr(0, 8));
  AddDetail(r, "snapshot_time", FormatTimeUtc(snap_time));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(snap_time));

  const std::string target = scratch + "/restore";
  if (!RunDrillStep(ctx, ToolRun{{bin, "restore", id, "--target", target}, *env, secrets, "", true}, "restic restore",
                    DrillStep::kTest, r, log)) {
    return false;
  }
  if (!options_.validate.empty()) {
    std::map<std::string, std::string> venv = options_.env;
    venv["PARAAT_SCRATCH"] = target;
    if (!RunDrillStep(ctx, ToolRun{Substitute(options_.validate, target), venv, {}, target, true}, "the validation",
                      DrillStep::kTest, r, log)) {
      return false;
    }
  }
  if (!options_.compare) return true;
  ProcessResult stats;
  if (!RunDrillStep(
          ctx, ToolRun{{bin, "stats", "--json", "--no-lock", "--mode", "restore-size", id}, *env, secrets, "", false},
          "restic stats", DrillStep::kSetup, r, log, &stats)) {
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
  Walk(target, &entries, &bytes);
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

namespace {

// The newest regular file matching `pattern` (a path whose last component may be a glob), and
// its modification time; empty when nothing matches.
std::string NewestDump(const std::string& pattern, absl::Time* mtime) {
  std::string dump;
  *mtime = absl::InfinitePast();
  const std::string dir = pattern.substr(0, pattern.find_last_of('/'));
  const std::string name_glob = pattern.substr(pattern.find_last_of('/') + 1);
  struct stat st;
  if (name_glob.find_first_of("*?[") == std::string::npos) {
    if (::stat(pattern.c_str(), &st) != 0) return "";
    *mtime = absl::TimeFromTimespec(st.st_mtim);
    return pattern;
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (::fnmatch(name_glob.c_str(), name.c_str(), 0) != 0) continue;
    if (::stat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && absl::TimeFromTimespec(st.st_mtim) > *mtime) {
      dump = it->path().string();
      *mtime = absl::TimeFromTimespec(st.st_mtim);
    }
  }
  return dump;
}

}  // namespace

// The client programs of a pg_restore drill, with the connection arguments and environment
// every one of them takes.
struct RestoreTestCheck::PgClient {
  const Options& o;
  std::map<std::string, std::string> env;
  std::vector<std::string> secrets;

  // `program` (from bin_dir, if set) with the connection arguments, then `args`.
  ToolRun Command(const char* program, const std::vector<std::string>& args, bool progress) const {
    std::vector<std::string> argv = {o.bin_dir.empty() ? std::string(program) : o.bin_dir + "/" + program};
    if (!o.host.empty()) argv.insert(argv.end(), {"-h", o.host});
    if (!o.port.empty()) argv.insert(argv.end(), {"-p", o.port});
    if (!o.user.empty()) argv.insert(argv.end(), {"-U", o.user});
    argv.push_back("-w");  // never prompt for a password
    argv.insert(argv.end(), args.begin(), args.end());
    return ToolRun{argv, env, secrets, "", progress};
  }
};

bool RestoreTestCheck::RunPgRestore(const CheckContext& ctx, paraat::v1::Result* r, std::string* log) {
  const absl::Time started = ctx.clock->Now();
  absl::Time dump_time;
  const std::string dump = NewestDump(options_.dump, &dump_time);
  if (dump.empty()) {
    Fail(r, absl::StrCat("no dump to restore: nothing matches ", options_.dump));
    return false;
  }
  AddDetail(r, "dump", dump);
  AddDetail(r, "dump_time", FormatTimeUtc(dump_time));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(dump_time));

  PgClient pg{options_, options_.env, {}};
  std::optional<std::string> password = ReadSecret(options_.pg_password, r);
  if (!password) return false;
  if (!password->empty()) {
    pg.env["PGPASSWORD"] = *password;
    pg.secrets.push_back(*password);
  }
  std::mt19937_64 rng{std::random_device{}()};
  const std::string db = absl::StrFormat("%s_%d_%04x", options_.database_prefix, absl::ToUnixSeconds(started),
                                         static_cast<unsigned>(rng() & 0xffff));
  AddDetail(r, "scratch_database", db);
  if (!RunDrillStep(ctx, pg.Command("createdb", {db}, false), "creating the scratch database", DrillStep::kSetup, r,
                    log)) {
    return false;
  }
  bool ok = RunDrillStep(
      ctx, pg.Command("pg_restore", {"--no-owner", "--no-privileges", "--exit-on-error", "-d", db, dump}, true),
      "pg_restore", DrillStep::kTest, r, log);
  if (ok && !options_.validate_query.empty()) ok = ValidateQuery(ctx, pg, db, r, log);
  // Drop the scratch database, whatever happened (with a fresh deadline: cleanup must happen).
  CheckContext cleanup = ctx;
  cleanup.deadline = ctx.clock->Monotonic() + absl::Minutes(2);
  cleanup.cancelled = [] { return false; };
  std::string ignored;
  paraat::v1::Result dropped;
  if (!RunDrillStep(cleanup, pg.Command("dropdb", {"--if-exists", db}, false), "dropping the scratch database",
                    DrillStep::kSetup, &dropped, &ignored)) {
    AddDetail(r, "cleanup", dropped.message());
  }
  return ok;
}

bool RestoreTestCheck::ValidateQuery(const CheckContext& ctx, const PgClient& pg, const std::string& db,
                                     paraat::v1::Result* r, std::string* log) const {
  ProcessResult q;
  if (!RunDrillStep(
          ctx,
          pg.Command("psql", {"-d", db, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", options_.validate_query},
                     false),
          "the validation query", DrillStep::kTest, r, log, &q)) {
    return false;
  }
  std::string first = FirstLine(q.out);
  size_t bar = first.find('|');
  double value = 0;
  if (bar != std::string::npos) first = first.substr(0, bar);
  AddDetail(r, "validation_result", first);
  if (!absl::SimpleAtod(first, &value)) {
    Fail(r, absl::StrCat("the validation query returned \"", first, "\", not a number"));
    return false;
  }
  if (value < options_.expect_min) {
    Fail(r, absl::StrCat("the validation query returned ", first, ", expected at least ", options_.expect_min));
    return false;
  }
  return true;
}

void RestoreTestCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  // Take turns with this agent's other checks on the same repository before the clock starts:
  // waiting is not part of the restore.
  std::optional<ResourceGuard> guard;
  if (options_.recipe == Recipe::kRestic) {
    guard.emplace("restic:" + options_.restic.repository, ctx);
    if (!guard->held()) {
      Error(r, "timed out waiting for another check of this agent on the same repository");
      return;
    }
  }
  const absl::Time start = ctx.clock->Now();
  const absl::Duration start_mono = ctx.clock->Monotonic();
  std::string base = options_.scratch_dir.empty() ? ctx.state_dir : options_.scratch_dir;
  if (base.empty()) base = "/var/tmp";
  std::mt19937_64 rng{std::random_device{}()};
  const std::string scratch =
      absl::StrFormat("%s/scratch-%d-%08x", base, absl::ToUnixSeconds(start), static_cast<unsigned>(rng()));
  if (absl::Status st = MakeDirs(scratch, 0700); !st.ok()) {
    Error(r, absl::StrCat("cannot create the scratch folder: ", st.message()));
    return;
  }
  std::string log;
  bool ok = false;
  switch (options_.recipe) {
    case Recipe::kCommand:
      ok = RunCommand(ctx, scratch, r, &log);
      break;
    case Recipe::kRestic:
      ok = RunRestic(ctx, scratch, r, &log);
      break;
    case Recipe::kPgRestore:
      ok = RunPgRestore(ctx, r, &log);
      break;
  }
  const absl::Duration took = ctx.clock->Monotonic() - start_mono;
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  if (ec) AddDetail(r, "cleanup", absl::StrCat("could not remove ", scratch, ": ", ec.message()));
  r->set_output_tail(TailText(log, 30, 8192));
  auto* facts = r->mutable_facts();
  if (r->status() == paraat::v1::CHECK_STATUS_ERROR) return;  // could not run: no test result
  facts->set_restore_succeeded(ok);
  facts->set_restore_duration_seconds(absl::ToDoubleSeconds(took));
  if (ok) Ok(r, absl::StrCat("restore test passed in ", HumanDuration(took)));
}

}  // namespace paraat
