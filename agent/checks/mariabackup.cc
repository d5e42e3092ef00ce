#include "agent/checks/mariabackup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/tool.h"
#include "common/fs.h"
#include "common/time_util.h"

namespace paraat {

std::unique_ptr<RestoreRecipe> MariabackupRestore::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = PathKey(keys, env, "backup", kRequired)) o.backup = *v;
  o.mariadbd = ::access("/usr/sbin/mariadbd", X_OK) == 0 ? "/usr/sbin/mariadbd" : "mariadbd";
  for (auto [key, program] : {std::pair<const char*, std::string*>{"mariabackup", &o.mariabackup},
                              {"mariadbd", &o.mariadbd},
                              {"mariadb", &o.mariadb}}) {
    if (auto v = keys.String(key)) {
      *program = *v;
      RequireProgram(keys, env, key, *v);
    }
  }
  if (auto v = keys.Size("use_memory")) o.use_memory = *v;
  if (auto v = keys.StringList("server_options")) o.server_options = *v;
  o.validation.ReadKeys(keys);
  if (o.backup.empty()) return nullptr;
  return std::make_unique<MariabackupRestore>(std::move(o));
}

namespace {

// "key = value" lines of xtrabackup_checkpoints and xtrabackup_info.
std::map<std::string, std::string> KeyValues(const std::string& path) {
  std::map<std::string, std::string> out;
  auto text = ReadFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    out[std::string(absl::StripAsciiWhitespace(line.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
  }
  return out;
}

// A full backup's time (nullopt for anything else): xtrabackup_info's end_time, written in the
// local time without a zone, or the time its checkpoints file was written.
std::optional<absl::Time> FullBackupTime(const std::string& dir) {
  std::string checkpoints = dir + "/xtrabackup_checkpoints", info = dir + "/xtrabackup_info";
  if (::access(checkpoints.c_str(), R_OK) != 0) {  // MariaDB 11 names them mariadb_backup_*
    checkpoints = dir + "/mariadb_backup_checkpoints";
    info = dir + "/mariadb_backup_info";
  }
  struct stat st;
  if (::stat(checkpoints.c_str(), &st) != 0 || KeyValues(checkpoints)["backup_type"] != "full-backuped") {
    return std::nullopt;
  }
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%S", KeyValues(info)["end_time"], absl::LocalTimeZone(), &t, &err)) return t;
  return absl::TimeFromTimespec(st.st_mtim);
}

}  // namespace

bool MariabackupRestore::Run(const RestoreDrill& drill, paraat::v1::Result* r) {
  std::optional<Match> backup = NewestMatch(options_.backup, FullBackupTime);
  if (!backup) {
    Fail(r, absl::StrCat("no full mariabackup backup to restore: nothing matching ", options_.backup,
                         " holds xtrabackup_checkpoints with backup_type = full-backuped"));
    return false;
  }
  AddDetail(r, "backup", backup->path);
  AddDetail(r, "backup_time", FormatTimeUtc(backup->time));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(backup->time));
  const std::string binlog = FirstLine(ReadFile(backup->path + "/xtrabackup_binlog_info").value_or(""));
  if (!binlog.empty()) AddDetail(r, "binlog_position", binlog);
  // --prepare changes the folder it prepares: a copy (reflinked where the file system can).
  const std::string data = drill.scratch + "/data";
  if (!RunDrillStep(drill.ctx, ToolRun({"cp", "-a", "--reflink=auto", backup->path, data}, drill.env),
                    "copying the backup", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  std::vector<std::string> prepare = {options_.mariabackup, "--prepare", "--target-dir=" + data};
  if (options_.use_memory > 0) prepare.push_back(absl::StrCat("--use-memory=", options_.use_memory));
  if (!RunDrillStep(drill.ctx, ToolRun(prepare, drill.env), "mariabackup --prepare", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  return Serve(drill, data, r) && drill.Validate(data, r);
}

bool MariabackupRestore::Serve(const RestoreDrill& drill, const std::string& data, paraat::v1::Result* r) const {
  // Only the InnoDB settings the backup was taken with (backup-my.cnf), none of the production
  // server's: a private socket, no network, no grant tables (nothing but this drill reaches it),
  // no binary log and no replication.
  const std::string socket = drill.scratch + "/mysqld.sock";
  MakeDirs(drill.scratch + "/tmp", 0700).IgnoreError();
  std::vector<std::string> argv = {options_.mariadbd,
                                   "--defaults-file=" + data + "/backup-my.cnf",
                                   "--datadir=" + data,
                                   "--socket=" + socket,
                                   "--pid-file=" + drill.scratch + "/mysqld.pid",
                                   "--tmpdir=" + drill.scratch + "/tmp",
                                   "--skip-networking",
                                   "--skip-grant-tables",
                                   "--skip-log-bin",
                                   "--skip-slave-start"};
  if (::geteuid() == 0) argv.push_back("--user=root");
  argv.insert(argv.end(), options_.server_options.begin(), options_.server_options.end());
  DrillServer server(drill.ctx, ToolRun(argv, drill.env, {}, "", /*forward_progress=*/false));
  auto client = [&](const std::string& sql) {
    return ToolRun({options_.mariadb, "--no-defaults", "-S", socket, "-N", "-B", "-e", sql}, drill.env, {}, "", false);
  };
  auto ready = [&] {
    auto res = RunTool(drill.ctx, client("SELECT 1"));
    return res.ok() && res->success();
  };
  if (!server.WaitReady(ready, "the throw-away mariadbd", r, drill.log)) return false;
  bool ok = true;
  if (!options_.validation.query.empty()) {
    ProcessResult q;
    ok = RunDrillStep(drill.ctx, client(options_.validation.query), "the validation query", DrillStep::kTest, r,
                      drill.log, &q) &&
         options_.validation.Judge(q.out, r);
  }
  server.Stop(drill.log);
  return ok;
}

}  // namespace paraat
