#include "agent/checks/barman.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/findings.h"
#include "agent/checks/support/tool.h"
#include "agent/json_util.h"
#include "common/fs.h"
#include "common/time_util.h"
#include "common/units.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

using nlohmann::json;

bool ReadBarmanKeys(YamlMap& keys, const CheckEnv& env, BarmanServer* b) {
  if (auto v = keys.String("binary")) {
    b->binary = *v;
    RequireProgram(keys, env, "binary", b->binary);
  }
  if (auto v = PathKey(keys, env, "config", kOptional, Need::kFile)) b->config = *v;
  if (auto v = keys.String("server", kRequired)) b->server = *v;
  return !b->server.empty();
}

std::vector<std::string> Argv(const BarmanServer& b, const std::vector<std::string>& args, bool json = true) {
  std::vector<std::string> argv = {b.binary};
  if (!b.config.empty()) argv.insert(argv.end(), {"-c", b.config});
  if (json) argv.insert(argv.end(), {"-f", "json"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Barman's own words for a failure: {"_ERROR": [...]} in JSON, "ERROR: ..." in text.
std::string BarmanFailure(const std::string& output) {
  json j = json::parse(output.substr(0, output.find_last_of('}') + 1), nullptr, false);
  std::vector<std::string> errors;
  if (j.is_object() && j.contains("_ERROR") && j["_ERROR"].is_array()) {
    for (const auto& e : j["_ERROR"]) {
      if (e.is_string()) errors.push_back(std::string(absl::StripAsciiWhitespace(e.get<std::string>())));
    }
  }
  if (!errors.empty()) return absl::StrJoin(errors, "; ");
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StrContains(line, "Configuration file") || absl::ConsumePrefix(&line, "ERROR: ")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

// The JSON Barman answered `args` with (for the server: its object), or nullopt with the result
// an error. `exit_1_ok`: barman check exits 1, with its JSON, when a check fails.
std::optional<json> Ask(ToolSession* tool, const BarmanServer& b, const std::vector<std::string>& args,
                        paraat::v1::Result* r, bool exit_1_ok = false) {
  const std::string what = "barman " + args[0];
  auto res = tool->Run(Argv(b, args));
  if (!res) return std::nullopt;
  json j = json::parse(res->out, nullptr, false);
  const bool answered = res->exited && (res->exit_code == 0 || (exit_1_ok && res->exit_code == 1));
  if (!answered || !j.is_object() || !j.contains(b.server)) {
    r->set_output_tail(OutputTail(*res));
    const std::string why = BarmanFailure(res->out + res->err);
    Error(r, absl::StrCat(what, res->timed_out ? " " + res->Describe() : " failed", ": ",
                          why.empty() ? ToolError(*res) : why));
    return std::nullopt;
  }
  return j[b.server];
}

// One archived WAL file of Barman's catalog (xlog.db: name, size, archival time, compression).
struct Wal {
  std::string name;
  uint32_t timeline = 0;
  uint64_t index = 0;  // segment number within the timeline
  absl::Time archived;
};

// A segment's timeline and number from its name (TTTTTTTTLLLLLLLLSSSSSSSS); false for history,
// backup label and partial files.
bool ParseSegment(const std::string& name, uint64_t segment_size, uint32_t* timeline, uint64_t* index) {
  if (name.size() != 24 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos || segment_size == 0) {
    return false;
  }
  uint32_t tli = 0, log = 0, seg = 0;
  if (!absl::SimpleHexAtoi(name.substr(0, 8), &tli) || !absl::SimpleHexAtoi(name.substr(8, 8), &log) ||
      !absl::SimpleHexAtoi(name.substr(16, 8), &seg)) {
    return false;
  }
  *timeline = tli;
  *index = static_cast<uint64_t>(log) * (0x100000000ULL / segment_size) + seg;
  return true;
}

std::vector<Wal> ReadWals(const std::string& xlogdb, uint64_t segment_size) {
  std::vector<Wal> wals;
  auto text = ReadFile(xlogdb);
  if (!text.ok()) return wals;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    Wal w;
    double when = 0;
    if (f.size() < 3 || !ParseSegment(f[0], segment_size, &w.timeline, &w.index) || !absl::SimpleAtod(f[2], &when)) {
      continue;
    }
    w.name = f[0];
    w.archived = absl::FromUnixMicros(static_cast<int64_t>(when * 1e6));
    wals.push_back(std::move(w));
  }
  return wals;
}

// How far the archived WAL reaches from the backup's last segment: the last segment of an
// unbroken run from it, and the newest segment of that timeline (beyond a gap when they differ).
// A segment counts when its file is in the WAL folder: the catalog lists it once archived, and
// keeps listing it when it is lost.
struct WalReach {
  std::optional<Wal> unbroken, newest;
};

WalReach Reach(const std::vector<Wal>& wals, const std::string& wals_dir, const std::string& end_wal,
               uint64_t segment_size) {
  WalReach reach;
  uint32_t tli = 0;
  uint64_t from = 0;
  if (!ParseSegment(end_wal, segment_size, &tli, &from)) return reach;
  std::map<uint64_t, const Wal*> on_timeline;
  for (const Wal& w : wals) {
    if (w.timeline == tli && w.index >= from) on_timeline[w.index] = &w;
  }
  if (on_timeline.empty() || on_timeline.begin()->first != from) return reach;
  uint64_t next = from;
  for (const auto& [index, w] : on_timeline) {
    if (index != next || ::access((wals_dir + "/" + w->name.substr(0, 16) + "/" + w->name).c_str(), F_OK) != 0) break;
    reach.unbroken = *w;
    ++next;
  }
  reach.newest = *on_timeline.rbegin()->second;
  return reach;
}

// `barman check`: what failed, with Barman's hints.
void JudgeServer(const json& checks, Findings* f) {
  std::vector<std::string> failed;
  for (const auto& [name, c] : checks.items()) {
    if (JsonString(c, "status") == "OK") continue;
    const std::string hint = JsonString(c, "hint");
    failed.push_back(absl::StrCat(name, hint.empty() ? "" : " (" + hint + ")"));
  }
  if (!failed.empty()) f->Add(paraat::v1::CHECK_STATUS_FAILED, "barman check failed: " + absl::StrJoin(failed, ", "));
}

int64_t Epoch(const json& j, const char* key) {
  int64_t t = 0;
  return absl::SimpleAtoi(JsonString(j, key), &t) ? t : JsonInt(j, key);
}

}  // namespace

std::unique_ptr<Check> BarmanCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (!ReadBarmanKeys(keys, env, &o.barman)) return nullptr;
  if (auto v = keys.Bool("check")) o.check = *v;
  if (auto v = keys.Bool("check_backup")) o.check_backup = *v;
  if (auto v = keys.Bool("verify_backup")) o.verify_backup = *v;
  return std::make_unique<BarmanCheck>(std::move(o));
}

namespace {

// The newest DONE backup: check-backup first (it may turn it FAILED), then its catalog entry.
// Nullopt when it could not be read (the result an error).
std::optional<json> NewestDone(ToolSession* tool, const BarmanCheck::Options& o, const json& listing, Findings* f,
                               paraat::v1::Result* r) {
  const std::string& server = o.barman.server;
  for (const auto& b : listing) {
    const std::string id = JsonString(b, "backup_id"), status = JsonString(b, "status");
    if (status == "FAILED") {
      AddDetail(r, "failed_backup", id);
      f->Add(paraat::v1::CHECK_STATUS_FAILED, absl::StrCat("backup ", id, " FAILED"));
      continue;
    }
    if (status != "DONE") continue;  // STARTED, WAITING_FOR_WALS, SYNCING: not a recovery point yet
    if (o.check_backup) {
      auto checked = tool->Run(Argv(o.barman, {"check-backup", server, id}));
      if (!checked) return std::nullopt;
    }
    auto shown = Ask(tool, o.barman, {"show-backup", server, id}, r);
    if (!shown) return std::nullopt;
    const std::string now = JsonString(*shown, "status");
    if (now == "DONE") return shown;
    // check-backup's verdict: a WAL file the backup needs is missing.
    AddDetail(r, "failed_backup", id);
    if (now == "FAILED") r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    f->Add(now == "FAILED" ? paraat::v1::CHECK_STATUS_FAILED : paraat::v1::CHECK_STATUS_WARNING,
           absl::StrCat("barman check-backup: backup ", id, " is ", now, ": ",
                        JsonString(*shown, "error", "its WAL has not all arrived")));
  }
  return json();
}

// The recovery point: the backup's end, moved forward by the WAL archived after it unbroken.
void ReportRecoveryPoint(const json& backup, const json& server, Findings* f, paraat::v1::Result* r) {
  const json& info = JsonAt(backup, "base_backup_information");
  const absl::Time end = absl::FromUnixSeconds(Epoch(info, "end_time_timestamp"));
  absl::Time rp = end;
  const std::string id = JsonString(backup, "backup_id");
  AddDetail(r, "backup_id", id);
  AddDetail(r, "backup_end", FormatTimeUtc(end));
  const uint64_t size = static_cast<uint64_t>(JsonInt(info, "disk_usage_bytes"));
  r->mutable_facts()->set_backup_bytes(size);
  AddValue(r, "backup_bytes", static_cast<double>(size), "B");
  std::string clause = absl::StrCat("newest backup ", id, " (DONE, ", HumanSize(size), ") ended ", FormatTimeUtc(end));
  const uint64_t segment_size = static_cast<uint64_t>(JsonInt(server, "xlog_segment_size", 16 << 20));
  const std::string wals_dir = JsonString(server, "wals_directory"), xlogdb = wals_dir + "/xlog.db";
  if (::access(xlogdb.c_str(), R_OK) != 0) {
    f->Add(paraat::v1::CHECK_STATUS_WARNING,
           absl::StrCat("cannot read Barman's WAL catalog ", xlogdb, " (", strerror(errno),
                        "): the recovery point is the backup's end"));
  } else {
    WalReach reach = Reach(ReadWals(xlogdb, segment_size), wals_dir, JsonString(info, "end_wal"), segment_size);
    if (reach.unbroken) {
      rp = std::max(rp, reach.unbroken->archived);
      AddDetail(r, "last_archived_wal", reach.unbroken->name);
      AddDetail(r, "last_archived_time", FormatTimeUtc(reach.unbroken->archived));
      absl::StrAppend(&clause, "; WAL archived up to ", reach.unbroken->name, " at ",
                      FormatTimeUtc(reach.unbroken->archived));
    }
    if (reach.newest && (!reach.unbroken || reach.newest->index != reach.unbroken->index)) {
      f->Add(paraat::v1::CHECK_STATUS_WARNING,
             absl::StrCat("the WAL archive has a gap after ", reach.unbroken ? reach.unbroken->name : "the backup",
                          ": point-in-time recovery stops there (newest archived: ", reach.newest->name, ")"));
    }
  }
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(rp));
  f->Add(paraat::v1::CHECK_STATUS_OK, clause);
}

}  // namespace

void BarmanCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  const std::string& server = options_.barman.server;
  ToolSession tool(ctx, r, ToolWording{nullptr, nullptr, BarmanFailure});
  if (!tool.TakeTurn("barman:" + server)) return;
  AddDetail(r, "server", server);
  if (!tool.Version({options_.barman.binary, "--version"})) return;
  auto conf = Ask(&tool, options_.barman, {"show-servers", server}, r);
  if (!conf) return;
  Findings f;
  if (options_.check) {
    auto checks = Ask(&tool, options_.barman, {"check", server}, r, /*exit_1_ok=*/true);
    if (!checks) return;
    JudgeServer(*checks, &f);
  }
  auto listing = Ask(&tool, options_.barman, {"list-backups", server}, r);
  if (!listing) return;
  AddValue(r, "backups", static_cast<double>(listing->size()));
  auto newest = NewestDone(&tool, options_, *listing, &f, r);
  if (!newest) return;
  r->mutable_facts()->set_integrity(r->facts().integrity() == paraat::v1::INTEGRITY_CORRUPT
                                        ? paraat::v1::INTEGRITY_CORRUPT
                                        : paraat::v1::INTEGRITY_UNVERIFIED);
  if (newest->is_null()) {
    f.Add(paraat::v1::CHECK_STATUS_FAILED, absl::StrCat("no DONE backup of server ", server));
    f.Apply(r);
    return;
  }
  ReportRecoveryPoint(*newest, *conf, &f, r);
  if (options_.verify_backup) {
    const std::string id = JsonString(*newest, "backup_id");
    auto verified = tool.Run(Argv(options_.barman, {"verify-backup", server, id}), /*progress=*/true);
    if (!verified) return;
    const std::string out = verified->out + verified->err;
    if (verified->success() && absl::StrContains(out, "successfully verified")) {
      if (r->facts().integrity() != paraat::v1::INTEGRITY_CORRUPT) {
        r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
        r->mutable_facts()->set_coverage(1.0);
      }
      f.Add(paraat::v1::CHECK_STATUS_OK, "barman verify-backup passed (pg_verifybackup read every file back)");
    } else if (absl::StrContains(out, "pg_verifybackup: error")) {
      r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
      r->set_output_tail(OutputTail(*verified));
      f.Add(paraat::v1::CHECK_STATUS_FAILED,
            absl::StrCat("barman verify-backup found damage in ", id, ": ", BarmanFailure(out)));
    } else {
      r->set_output_tail(OutputTail(*verified));
      f.Add(paraat::v1::CHECK_STATUS_WARNING,
            absl::StrCat("barman verify-backup could not verify ", id, ": ",
                         BarmanFailure(out).empty() ? ToolError(*verified) : BarmanFailure(out)));
    }
  }
  f.Apply(r);
}

std::unique_ptr<RestoreRecipe> BarmanRestore::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (!ReadBarmanKeys(keys, env, &o.barman)) return nullptr;
  if (auto v = keys.String("backup")) o.backup = *v;
  if (auto v = keys.String("bin_dir")) {
    o.bin_dir = *v;
    for (const char* program : {"postgres", "pg_isready", "psql"}) {
      RequireProgram(keys, env, "bin_dir", absl::StrCat(o.bin_dir, "/", program));
    }
  }
  if (auto v = keys.String("user")) o.user = *v;
  if (auto v = keys.String("database")) o.database = *v;
  if (auto v = keys.StringList("server_options")) o.server_options = *v;
  o.validation.ReadKeys(keys);
  return std::make_unique<BarmanRestore>(std::move(o));
}

namespace {

// What Barman answered a drill step with (the server's object); nullopt with the result filled in.
std::optional<json> AskInDrill(const RestoreDrill& drill, const BarmanServer& b, const std::vector<std::string>& args,
                               paraat::v1::Result* r) {
  ProcessResult out;
  std::string log;  // Barman's JSON is evidence only when it says why a step failed
  const bool ran =
      RunDrillStep(drill.ctx, ToolRun(Argv(b, args)), "barman " + args[0], DrillStep::kSetup, r, &log, &out);
  const std::string why = BarmanFailure(out.out + out.err);
  json j = json::parse(out.out, nullptr, false);
  if (ran && j.is_object() && j.contains(b.server)) {
    absl::StrAppend(drill.log, FirstLine(log), "\n");
    return j[b.server];
  }
  absl::StrAppend(drill.log, log);
  if (r->status() == paraat::v1::CHECK_STATUS_UNSPECIFIED || !why.empty()) {
    Error(r, absl::StrCat("barman ", args[0], " failed: ", why.empty() ? ToolError(out) : why));
  }
  return std::nullopt;
}

// Whether `uid` may enter every folder down to `dir`: barman_user writes the copy below it.
bool UserCanReach(const std::string& dir, uid_t uid, gid_t gid) {
  std::vector<gid_t> groups(64);
  int n = static_cast<int>(groups.size());
  const passwd* pw = ::getpwuid(uid);
  if (pw == nullptr || ::getgrouplist(pw->pw_name, gid, groups.data(), &n) < 0) n = 0;
  groups.resize(n);
  std::filesystem::path p = std::filesystem::path(dir).parent_path();
  for (; !p.empty(); p = p.parent_path()) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return false;
    const bool in_group = st.st_gid == gid || std::count(groups.begin(), groups.end(), st.st_gid) > 0;
    const mode_t need = st.st_uid == uid ? S_IXUSR : in_group ? S_IXGRP : S_IXOTH;
    if ((st.st_mode & need) == 0) return false;
    if (p == p.root_path()) break;
  }
  return true;
}

// The throw-away server's programs: bin_dir, or Debian's folder for the copy's PG_VERSION.
std::string Program(const std::string& bin_dir, const std::string& data, const char* name) {
  if (!bin_dir.empty()) return bin_dir + "/" + name;
  auto version = ReadFile(data + "/PG_VERSION");
  const std::string debian =
      absl::StrCat("/usr/lib/postgresql/", version.ok() ? absl::StripAsciiWhitespace(*version) : "", "/bin/", name);
  return version.ok() && ::access(debian.c_str(), X_OK) == 0 ? debian : name;
}

}  // namespace

bool BarmanRestore::Run(const RestoreDrill& drill, paraat::v1::Result* r) {
  const std::string& server = options_.barman.server;
  AddDetail(r, "server", server);
  auto backup = AskInDrill(drill, options_.barman, {"show-backup", server, options_.backup}, r);
  if (!backup) {
    if (absl::StrContains(r->message(), "Unknown backup")) Fail(r, "nothing to restore: " + r->message());
    return false;
  }
  const std::string id = JsonString(*backup, "backup_id"), status = JsonString(*backup, "status");
  if (status != "DONE") {
    Fail(r, absl::StrCat("backup ", options_.backup, " of server ", server, " cannot be restored: it is ",
                         status.empty() ? "missing" : status, " ", JsonString(*backup, "error")));
    return false;
  }
  const absl::Time end = absl::FromUnixSeconds(Epoch(JsonAt(*backup, "base_backup_information"), "end_time_timestamp"));
  AddDetail(r, "backup_id", id);
  AddDetail(r, "backup_end", FormatTimeUtc(end));
  r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(end));
  auto conf = AskInDrill(drill, options_.barman, {"show-servers", server}, r);
  if (!conf) return false;
  // Barman writes the copy as its barman_user, the owner of its backup folder; as root it
  // switches to that user itself, which must then reach and own the scratch folder.
  struct stat owner;
  if (::stat(JsonString(*conf, "backup_directory").c_str(), &owner) != 0) {
    Error(r, absl::StrCat("cannot see Barman's backup folder ", JsonString(*conf, "backup_directory"), ": ",
                          strerror(errno)));
    return false;
  }
  if (::geteuid() == 0 && owner.st_uid != 0) {
    if (::chown(drill.scratch.c_str(), owner.st_uid, owner.st_gid) != 0 ||
        !UserCanReach(drill.scratch, owner.st_uid, owner.st_gid)) {
      Error(r, absl::StrCat("Barman's user cannot reach the scratch folder ", drill.scratch,
                            ": give scratch_dir a folder it may enter"));
      return false;
    }
  }
  const std::string data = drill.scratch + "/data";
  if (!RunDrillStep(drill.ctx, ToolRun(Argv(options_.barman, {"recover", server, id, data}, /*json=*/false)),
                    "barman recover", DrillStep::kTest, r, drill.log)) {
    return false;
  }
  return Validate(drill, data, owner.st_uid, r) && drill.Validate(data, r);
}

bool BarmanRestore::Validate(const RestoreDrill& drill, const std::string& data, uid_t owner,
                             paraat::v1::Result* r) const {
  // The copy's own settings keep its port, socket folder, archiving and perhaps TLS files of
  // the production server: the command line overrides them. Trust only on the socket, which is
  // in the scratch folder. Debian keeps postgresql.conf outside the data folder: none is copied.
  const std::string hba = drill.scratch + "/paraat_hba.conf";
  WriteFileAtomic(hba, "local all all trust\n", false).IgnoreError();
  ::chmod(hba.c_str(), 0644);
  for (const char* name : {"/postgresql.conf", "/pg_ident.conf"}) {
    const std::string path = data + name;
    if (::access(path.c_str(), F_OK) == 0) continue;
    WriteFileAtomic(path, "", false).IgnoreError();
    [[maybe_unused]] const int rc = ::chown(path.c_str(), owner, static_cast<gid_t>(-1));
  }
  std::vector<std::string> argv;
  const passwd* pw = ::getpwuid(owner);
  if (::geteuid() == 0 && owner != 0 && pw != nullptr) argv = {"runuser", "-u", pw->pw_name, "--"};
  argv.insert(argv.end(),
              {Program(options_.bin_dir, data, "postgres"), "-D", data, "-c", "port=5432", "-c",
               "unix_socket_directories=" + drill.scratch, "-c", "listen_addresses=", "-c", "archive_mode=off", "-c",
               "hba_file=" + hba, "-c", "ssl=off", "-c", "logging_collector=off"});
  argv.insert(argv.end(), options_.server_options.begin(), options_.server_options.end());
  const std::vector<std::string> connect = {"-h", drill.scratch, "-p", "5432",
                                            "-U", options_.user, "-d", options_.database};
  DrillServer postgres(drill.ctx, ToolRun(argv, drill.env, {}, "", /*forward_progress=*/false));
  std::vector<std::string> ping = {Program(options_.bin_dir, data, "pg_isready"), "-q"};
  ping.insert(ping.end(), connect.begin(), connect.end());
  auto ready = [&] {
    auto res = RunTool(drill.ctx, ToolRun(ping, {}, {}, "", false));
    return res.ok() && res->success();
  };
  if (!postgres.WaitReady(ready, "the throw-away PostgreSQL", r, drill.log)) return false;
  bool ok = true;
  if (!options_.validation.query.empty()) {
    std::vector<std::string> psql = {Program(options_.bin_dir, data, "psql")};
    psql.insert(psql.end(), connect.begin(), connect.end());
    psql.insert(psql.end(), {"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", options_.validation.query});
    ProcessResult q;
    ok = RunDrillStep(drill.ctx, ToolRun(psql, drill.env, {}, "", false), "the validation query", DrillStep::kTest, r,
                      drill.log, &q) &&
         options_.validation.Judge(q.out, r);
  }
  postgres.Stop(drill.log);
  return ok;
}

}  // namespace paraat
