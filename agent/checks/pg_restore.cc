#include "agent/checks/pg_restore.h"

#include <sys/stat.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "common/time_util.h"

namespace paraat {

std::unique_ptr<RestoreRecipe> PgRestoreRecipe::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
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
  o.validation.ReadKeys(keys);
  o.password = ReadSecretKeys(keys, "password", env, false);
  if (o.dump.empty()) return nullptr;
  return std::make_unique<PgRestoreRecipe>(std::move(o));
}

// The client programs of a pg_restore drill, with the connection arguments and environment
// every one of them takes.
struct PgRestoreRecipe::Client {
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

bool PgRestoreRecipe::Run(const RestoreDrill& drill, paraat::v1::Result* r) {
  const CheckContext& ctx = drill.ctx;
  std::optional<Match> dump = NewestMatch(options_.dump, [](const std::string& path) -> std::optional<absl::Time> {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return absl::TimeFromTimespec(st.st_mtim);
  });
  if (!dump) {
    Fail(r, absl::StrCat("no dump to restore: nothing matches ", options_.dump));
    return false;
  }
  AddDetail(r, "dump", dump->path);
  AddDetail(r, "dump_time", FormatTimeUtc(dump->time));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(dump->time));

  Client pg{options_, drill.env, {}};
  std::optional<std::string> password = ReadSecret(options_.password, r);
  if (!password) return false;
  if (!password->empty()) {
    pg.env["PGPASSWORD"] = *password;
    pg.secrets.push_back(*password);
  }
  std::mt19937_64 rng{std::random_device{}()};
  const std::string db = absl::StrFormat("%s_%d_%04x", options_.database_prefix, absl::ToUnixSeconds(ctx.clock->Now()),
                                         static_cast<unsigned>(rng() & 0xffff));
  AddDetail(r, "scratch_database", db);
  if (!RunDrillStep(ctx, pg.Command("createdb", {db}, false), "creating the scratch database", DrillStep::kSetup, r,
                    drill.log)) {
    return false;
  }
  const bool ok = Restore(drill, pg, dump->path, db, r);
  // Drop the scratch database, whatever happened (with a fresh deadline: cleanup must happen).
  std::string ignored;
  paraat::v1::Result dropped;
  if (!RunDrillStep(CleanupContext(ctx), pg.Command("dropdb", {"--if-exists", db}, false),
                    "dropping the scratch database", DrillStep::kSetup, &dropped, &ignored)) {
    AddDetail(r, "cleanup", dropped.message());
  }
  return ok;
}

bool PgRestoreRecipe::Restore(const RestoreDrill& drill, const Client& pg, const std::string& dump,
                              const std::string& db, paraat::v1::Result* r) const {
  if (!RunDrillStep(
          drill.ctx,
          pg.Command("pg_restore", {"--no-owner", "--no-privileges", "--exit-on-error", "-d", db, dump}, true),
          "pg_restore", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  if (!options_.validation.query.empty()) {
    ProcessResult q;
    if (!RunDrillStep(
            drill.ctx,
            pg.Command("psql", {"-d", db, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", options_.validation.query},
                       false),
            "the validation query", DrillStep::kTest, r, drill.log, &q) ||
        !options_.validation.Judge(q.out, r)) {
      return false;
    }
  }
  return drill.Validate(drill.scratch, r);
}

}  // namespace paraat
