#include "agent/checks/bacula.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/findings.h"
#include "agent/checks/support/tool.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {
namespace {

// bconsole echoes every command line it reads, comments too: a marker before each command
// splits one session's output by command.
constexpr char kMarker[] = "@# paraat:";

bool ReadConsoleKeys(YamlMap& keys, const CheckEnv& env, BaculaConsole* c) {
  if (auto v = keys.String("binary")) {
    c->binary = *v;
    RequireProgram(keys, env, "binary", c->binary);
  }
  if (auto v = PathKey(keys, env, "config", kOptional, Need::kFile)) c->config = *v;
  if (auto v = keys.String("director")) c->director = *v;
  if (auto v = keys.String("address")) c->address = *v;
  if (auto v = keys.Int("port", 1, 65535)) c->port = static_cast<int>(*v);
  if (auto v = keys.String("console")) c->console = *v;
  c->password = ReadSecretKeys(keys, "password", env, false);
  if (keys.Has("config")) {
    for (const char* k : {"director", "address", "port", "console"}) {
      if (keys.Has(k)) keys.Error(k, "is not used with config: the bconsole config names the director");
    }
    if (!c->password.empty()) {
      keys.Error(c->password.file.empty() ? "password_env" : "password_file",
                 "is not used with config: the bconsole config holds the password (Password = @FILE)");
    }
    return !c->config.empty();
  }
  if (c->director.empty() || c->address.empty() || c->password.empty()) {
    keys.Error("config", "is required: a bconsole config, or director, address and password_file (or password_env)");
    return false;
  }
  return true;
}

// Why a bconsole session failed, in plain words; "" when its output does not say.
std::string BconsoleFailure(const std::string& out) {
  if (absl::StrContains(out, "Director authorization problem")) {
    return "the director refused the console's password (Director authorization problem)";
  }
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, "Config error") || absl::StrContains(line, "Cannot open config file")) {
      return absl::StrCat("the bconsole config cannot be used: ", absl::StripAsciiWhitespace(line));
    }
  }
  const size_t at = out.find("Connecting to Director ");
  if (at != std::string::npos && !absl::StrContains(out, "1000 OK")) {
    const size_t from = at + strlen("Connecting to Director ");
    const std::string where = out.substr(from, out.find_first_of("\r\n", from) - from);
    return absl::StrCat("the director at ", where, " is not answering");
  }
  return "";
}

// One run's bconsole: its command line and the config it reads, the user's or one written for
// this run from the check's keys.
class Bconsole {
 public:
  Bconsole() = default;
  Bconsole(const Bconsole&) = delete;
  Bconsole& operator=(const Bconsole&) = delete;
  ~Bconsole() {
    if (!written_.empty()) ::unlink(written_.c_str());
  }

  // False, the result an error, when the password cannot be read or the config not written.
  bool Open(const BaculaConsole& o, const CheckContext& ctx, paraat::v1::Result* r) {
    std::string config = o.config;
    if (config.empty()) {
      std::optional<std::string> password = ReadSecret(o.password, r);
      if (!password) return false;
      if (password->find_first_of("\"\\\n") != std::string::npos) {
        Error(r,
              "the password holds a character a bconsole config cannot quote (\", \\ or a newline): "
              "give config: with Password = @FILE instead");
        return false;
      }
      secrets_.push_back(*password);
      if (!Write(o, *password, ctx.state_dir, r)) return false;
      config = written_;
    }
    argv_ = {o.binary, "-n", "-c", config};
    return true;
  }

  // A session running `commands`, each after a marker line.
  ToolRun Session(const std::vector<std::string>& commands) const {
    std::string script;
    for (size_t i = 0; i < commands.size(); ++i) absl::StrAppend(&script, kMarker, i, "\n", commands[i], "\n");
    return ToolRun(argv_, {}, secrets_, "", false, script);
  }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::vector<std::string>& secrets() const { return secrets_; }

 private:
  bool Write(const BaculaConsole& o, const std::string& password, const std::string& state_dir, paraat::v1::Result* r) {
    std::string path = (state_dir.empty() ? "/tmp" : state_dir) + "/bconsole-XXXXXX";
    const int fd = ::mkstemp(path.data());  // mode 0600
    if (fd < 0) {
      Error(r, absl::StrCat("cannot write a bconsole config in ", state_dir, ": ", strerror(errno)));
      return false;
    }
    written_ = path;
    std::string conf = absl::StrCat("Director {\n  Name = \"", o.director, "\"\n  DIRport = ", o.port,
                                    "\n  Address = \"", o.address, "\"\n  Password = \"", password, "\"\n}\n");
    if (!o.console.empty()) {
      absl::StrAppend(&conf, "Console {\n  Name = \"", o.console, "\"\n  Director = \"", o.director,
                      "\"\n  Password = \"", password, "\"\n}\n");
    }
    const bool ok = ::write(fd, conf.data(), conf.size()) == static_cast<ssize_t>(conf.size());
    ::close(fd);
    if (!ok) Error(r, absl::StrCat("cannot write the bconsole config ", path));
    return ok;
  }

  std::vector<std::string> argv_;
  std::vector<std::string> secrets_;
  std::string written_;
};

// The output of each of a session's commands; nullopt when bconsole stopped before running them
// all, asked a question or refused a command (the result says so). Command `may_refuse` may be
// refused: its output then says "is an invalid command".
std::optional<std::vector<std::string>> Sections(const ProcessResult& p, const std::vector<std::string>& commands,
                                                 paraat::v1::Result* r, size_t may_refuse = SIZE_MAX) {
  std::vector<std::string> out(commands.size());
  std::vector<bool> seen(commands.size(), false);
  int current = -1;
  bool echo = false;  // the line after a marker is the command, echoed
  for (absl::string_view line : absl::StrSplit(p.out, '\n')) {
    absl::string_view rest = line;
    int index = -1;
    if (absl::ConsumePrefix(&rest, kMarker) && absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &index) &&
        index >= 0 && static_cast<size_t>(index) < commands.size()) {
      current = index;
      seen[index] = true;
      echo = true;
      continue;
    }
    if (current < 0) continue;
    if (echo && absl::StripAsciiWhitespace(line) == commands[current]) {
      echo = false;
      continue;
    }
    echo = false;
    absl::StrAppend(&out[current], line, "\n");
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string& s = out[i];
    if (!seen[i]) {
      Error(r, absl::StrCat("bconsole ended before running \"", commands[i], "\": ", ToolError(p)));
    } else if (i != may_refuse && absl::StrContains(s, "is an invalid command")) {
      Error(r, absl::StrCat("the console may not run \"", commands[i], "\" (its CommandACL?): ", FirstLine(s)));
    } else if (absl::StrContains(s, "(1-") && absl::StrContains(s, "):")) {
      Error(r, absl::StrCat("bconsole asked a question at \"", commands[i], "\": ", TailText(s, 3, 300)));
    } else {
      continue;
    }
    r->set_output_tail(OutputTail(p));
    return std::nullopt;
  }
  return out;
}

// A job as `llist` prints it.
struct Job {
  int64_t id = 0;
  std::string name, client, fileset;
  char type = 0, level = 0, status = 0;
  int64_t files = 0, bytes = 0, errors = 0;
  std::string start_text, end_text;
  absl::Time start = absl::InfinitePast(), end = absl::InfinitePast();
};

int64_t Int(const std::map<std::string, std::string>& f, const char* key) {
  int64_t v = 0;
  auto it = f.find(key);
  return it != f.end() && absl::SimpleAtoi(it->second, &v) ? v : 0;
}

std::string Text(const std::map<std::string, std::string>& f, const char* key) {
  auto it = f.find(key);
  return it == f.end() ? "" : it->second;
}

Job JobFrom(const std::map<std::string, std::string>& f) {
  Job j;
  j.id = Int(f, "JobId");
  j.name = Text(f, "Name");
  j.client = Text(f, "ClientName");
  j.fileset = Text(f, "FileSet");
  j.type = Text(f, "Type").empty() ? 0 : Text(f, "Type")[0];
  j.level = Text(f, "Level").empty() ? 0 : Text(f, "Level")[0];
  j.status = Text(f, "JobStatus").empty() ? 0 : Text(f, "JobStatus")[0];
  j.files = Int(f, "JobFiles");
  j.bytes = Int(f, "JobBytes");
  j.errors = Int(f, "JobErrors");
  j.start_text = Text(f, "StartTime");
  j.end_text = Text(f, "EndTime");
  // StartTime and EndTime are the director's local time without a zone; JobTDate is the end as
  // a Unix time. Their difference is the director's offset: the start follows without a zone.
  absl::Time start_naive, end_naive;
  std::string err;
  const bool have_start = absl::ParseTime("%Y-%m-%d %H:%M:%S", j.start_text, absl::UTCTimeZone(), &start_naive, &err);
  const bool have_end = absl::ParseTime("%Y-%m-%d %H:%M:%S", j.end_text, absl::UTCTimeZone(), &end_naive, &err);
  const int64_t tdate = Int(f, "JobTDate");
  if (have_end && tdate > 0) {
    j.end = absl::FromUnixSeconds(tdate);
    if (have_start) j.start = j.end - (end_naive - start_naive);
  } else if (have_start) {
    absl::ParseTime("%Y-%m-%d %H:%M:%S", j.start_text, absl::LocalTimeZone(), &j.start, &err);
  }
  return j;
}

// The jobs of an `llist` listing, in its order.
std::vector<Job> Jobs(const std::string& section) {
  std::vector<Job> jobs;
  std::map<std::string, std::string> fields;
  auto flush = [&] {
    if (fields.count("JobId")) jobs.push_back(JobFrom(fields));
    fields.clear();
  };
  for (absl::string_view line : absl::StrSplit(section, '\n')) {
    const size_t colon = line.find(": ");
    if (line.empty() || line[0] != ' ' || colon == absl::string_view::npos) continue;
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    if (key.empty() || key.find(' ') != std::string::npos) continue;
    if (key == "JobId") flush();
    fields[key] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 2)));
  }
  flush();
  return jobs;
}

// A finished job's status in words, or "" while it is still queued or running.
std::string Ending(char status) {
  switch (status) {
    case 'T':
      return "completed successfully";
    case 'W':
      return "completed with warnings";
    case 'E':
      return "terminated with errors (E)";
    case 'f':
      return "failed with a fatal error (f)";
    case 'A':
      return "was canceled (A)";
    case 'I':
      return "is incomplete (I)";
    case 'D':
      return "found differences (D)";
    case 'C':
    case 'R':
    case 'B':
    case 'F':
    case 'S':
    case 'm':
    case 'M':
    case 's':
    case 'j':
    case 'c':
    case 'd':
    case 't':
    case 'p':
    case 'a':
    case 'i':
    case 'e':
    case 0:
      return "";
    default:
      return absl::StrCat("ended with status ", std::string(1, status));
  }
}

bool Finished(const Job& j) { return !Ending(j.status).empty(); }
bool Succeeded(const Job& j) { return j.status == 'T' || j.status == 'W'; }

// The messages of `list joblog`, without the table and the "<daemon> JobId N: " prefixes.
std::vector<std::string> LogLines(const std::string& section) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(section, '\n')) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    absl::ConsumePrefix(&t, "| ");
    absl::ConsumeSuffix(&t, "|");
    t = absl::StripAsciiWhitespace(t);
    absl::ConsumeSuffix(&t, "\\");
    t = absl::StripAsciiWhitespace(t);
    if (t.empty() || absl::StartsWith(t, "+--") || t == "LogText") continue;
    const size_t tag = t.find(" JobId ");
    const size_t colon = t.find(": ", tag == absl::string_view::npos ? 0 : tag);
    if (tag != absl::string_view::npos && colon != absl::string_view::npos && tag < colon) t = t.substr(colon + 2);
    lines.emplace_back(absl::StripAsciiWhitespace(t));
  }
  return lines;
}

// The first log line with the first of `words` that any line has, cut short; "" for none.
std::string FirstWith(const std::vector<std::string>& lines, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    for (const std::string& l : lines) {
      if (absl::StrContains(l, w)) return l.size() > 300 ? l.substr(0, 297) + "..." : l;
    }
  }
  return "";
}

// "Verify JobId:  5" of a verify job's report: the backup it verified.
std::string ReportField(const std::vector<std::string>& lines, const std::string& field) {
  for (const std::string& l : lines) {
    absl::string_view t = l;
    if (absl::ConsumePrefix(&t, field + ":")) return std::string(absl::StripAsciiWhitespace(t));
  }
  return "";
}

std::string Level(char level) {
  switch (level) {
    case 'F':
      return "Full";
    case 'I':
      return "Incremental";
    case 'D':
      return "Differential";
    case 'f':
      return "VirtualFull";
    default:
      return std::string(1, level);
  }
}

std::string JobWhen(const Job& j) {
  return absl::StrCat("job ", j.id, " (", j.name, ", ", Level(j.level), ", ",
                      j.start == absl::InfinitePast() ? j.start_text : FormatTimeUtc(j.start), ")");
}

// Runs one session and splits its output; nullopt when it failed (the result says why).
std::optional<std::vector<std::string>> Query(ToolSession* tool, const Bconsole& bc,
                                              const std::vector<std::string>& commands, paraat::v1::Result* r) {
  const ToolRun run = bc.Session(commands);
  auto res = tool->Read(run.argv, "bconsole", run.stdin_data);
  if (!res) return std::nullopt;
  const std::string why = BconsoleFailure(res->out + res->err);
  if (!why.empty() && !absl::StrContains(res->out, "1000 OK")) {
    r->set_output_tail(OutputTail(*res));
    Error(r, absl::StrCat("bconsole failed: ", why));
    return std::nullopt;
  }
  return Sections(*res, commands, r);
}

}  // namespace

std::unique_ptr<Check> BaculaCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  const bool console = ReadConsoleKeys(keys, env, &o.console);
  if (auto v = keys.String("job")) o.job = *v;
  if (auto v = keys.String("client")) o.client = *v;
  if (auto v = keys.String("verify_job")) o.verify_job = *v;
  if (o.job.empty() && o.client.empty() && !keys.Has("job") && !keys.Has("client")) {
    keys.Error("job", "is required (the Backup job's name), or client");
  }
  if (!console || (o.job.empty() && o.client.empty())) return nullptr;
  return std::make_unique<BaculaCheck>(std::move(o));
}

namespace {

// What the catalog says about the check's backups and verifications.
struct Catalog {
  std::vector<Job> recent;    // newest first
  std::optional<Job> good;    // the newest successful backup: the recovery point
  std::optional<Job> full;    // the newest successful Full backup
  std::optional<Job> verify;  // the newest finished verify job
  std::optional<Job> failed;  // the newest finished backup, when it did not succeed
};

std::optional<Job> First(const std::vector<Job>& jobs, bool (*keep)(const Job&)) {
  for (const Job& j : jobs) {
    if (keep(j)) return j;
  }
  return std::nullopt;
}

std::string VerifyLevel(char level) {
  switch (level) {
    case 'O':
      return "VolumeToCatalog";
    case 'd':
      return "DiskToCatalog";
    case 'A':
      return "Data";
    case 'C':
      return "Catalog";
    case 'V':
      return "InitCatalog";
    default:
      return std::string(1, level);
  }
}

// The newest verify job as integrity evidence. Only VolumeToCatalog and Data read the volume
// back; DiskToCatalog and Catalog compare the disk with the catalog.
void JudgeVerify(const Job& vj, const std::vector<std::string>& log, paraat::v1::Result* r, Findings* v) {
  const bool reads_volume = vj.level == 'O' || vj.level == 'A';
  const std::string verified = ReportField(log, "Verify JobId");
  AddDetail(r, "verify_job_id", absl::StrCat(vj.id));
  AddDetail(r, "verify_level", VerifyLevel(vj.level));
  AddDetail(r, "verify_time", vj.start == absl::InfinitePast() ? vj.start_text : FormatTimeUtc(vj.start));
  if (!verified.empty()) AddDetail(r, "verified_job_id", verified);
  const std::string about = absl::StrCat("verify job ", vj.id, " (", VerifyLevel(vj.level), ")");
  const std::string of = verified.empty() ? "" : absl::StrCat(" of backup job ", verified);
  auto* facts = r->mutable_facts();
  facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
  if (vj.status == 'T' && vj.errors == 0) {
    if (reads_volume) {
      facts->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
      v->Add(paraat::v1::CHECK_STATUS_OK,
             absl::StrCat(about, of, " passed: the volume read back as the catalog has it"));
    } else {
      v->Add(paraat::v1::CHECK_STATUS_OK, absl::StrCat(about, of, " passed (it compares the disk, not the volume)"));
    }
  } else if (vj.status == 'D') {
    const std::string first = FirstWith(log, {"differ", "not on disk", "not in the catalog", "File: "});
    if (reads_volume) {
      facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
      v->Add(paraat::v1::CHECK_STATUS_FAILED,
             absl::StrCat(about, of, " found the volume differing from the catalog: ", first));
    } else {
      v->Add(paraat::v1::CHECK_STATUS_WARNING,
             absl::StrCat(about, of, " found files changed since the backup: ", first));
    }
  } else if (const std::string damage = FirstWith(log, {"checksum mismatch", "Volume data error", "not on the Volume"});
             reads_volume && !damage.empty()) {
    // The storage daemon could not read the volume back intact (block checksums, lost records).
    facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    v->Add(paraat::v1::CHECK_STATUS_FAILED,
           absl::StrCat(about, of, " ", Ending(vj.status), " reading the volume: ", damage));
  } else if (vj.status == 'T' || vj.status == 'W' || vj.status == 'A') {
    v->Add(paraat::v1::CHECK_STATUS_WARNING,
           absl::StrCat(about, of, vj.status == 'A' ? " was canceled" : absl::StrCat(" had ", vj.errors, " errors")));
  } else {
    v->Add(paraat::v1::CHECK_STATUS_FAILED,
           absl::StrCat(about, of, " ", Ending(vj.status), ": ", FirstWith(log, {"Fatal error", "Error:", "ERR="})));
  }
}

// The recovery point and its backup's size from the newest successful job.
void ReportGood(const Job& good, const std::optional<Job>& full, paraat::v1::Result* r, Findings* v) {
  auto* facts = r->mutable_facts();
  facts->set_recovery_point_unix_ns(ToUnixNs(good.start));
  facts->set_backup_bytes(static_cast<uint64_t>(good.bytes));
  facts->set_backup_files(static_cast<uint64_t>(good.files));
  AddDetail(r, "backup_job_id", absl::StrCat(good.id));
  AddDetail(r, "backup_job", good.name);
  AddDetail(r, "backup_level", Level(good.level));
  AddDetail(r, "backup_client", good.client);
  AddDetail(r, "backup_fileset", good.fileset);
  AddDetail(r, "backup_start", FormatTimeUtc(good.start));
  AddDetail(r, "backup_end", FormatTimeUtc(good.end));
  if (full && full->id != good.id)
    AddDetail(r, "last_full", absl::StrCat("job ", full->id, " at ", FormatTimeUtc(full->start)));
  AddValue(r, "backup_files", static_cast<double>(good.files));
  AddValue(r, "backup_bytes", static_cast<double>(good.bytes), "B");
  v->Add(paraat::v1::CHECK_STATUS_OK, absl::StrCat("newest successful backup ", JobWhen(good), ": ", good.files,
                                                   " files, ", HumanSize(static_cast<uint64_t>(good.bytes))));
}

void Report(const BaculaCheck::Options& o, ToolSession* tool, const Bconsole& bc, const Catalog& c,
            paraat::v1::Result* r) {
  const Job* warned = c.good && (c.good->errors > 0 || c.good->status == 'W') ? &*c.good : nullptr;
  const Job* failed = c.failed ? &*c.failed : nullptr;
  const Job* verify = c.verify ? &*c.verify : nullptr;
  // The job logs that explain a failure, a warning and a verification, in one more session.
  std::vector<std::string> commands;
  for (const Job* j : {failed, warned, verify}) {
    if (j) commands.push_back(absl::StrCat("list joblog jobid=", j->id));
  }
  std::map<int64_t, std::vector<std::string>> logs;
  if (!commands.empty()) {
    auto s = Query(tool, bc, commands, r);
    if (!s) return;
    size_t i = 0;
    for (const Job* j : {failed, warned, verify}) {
      if (j) logs[j->id] = LogLines((*s)[i++]);
    }
  }
  Findings v;
  const std::string what = o.job.empty() ? "client " + o.client : "job " + o.job;
  if (c.good) {
    ReportGood(*c.good, c.full, r, &v);
    if (warned) {
      v.Add(paraat::v1::CHECK_STATUS_WARNING,
            absl::StrCat("it completed with ", warned->errors,
                         " warnings: ", FirstWith(logs[warned->id], {"Could not", "Warning", "Error", "ERR="})));
    }
  } else {
    v.Add(paraat::v1::CHECK_STATUS_FAILED, absl::StrCat("no successful backup of ", what, " in the catalog"));
  }
  AddValue(r, "recent_jobs", static_cast<double>(c.recent.size()));
  if (failed) {
    AddDetail(r, "failed_job_id", absl::StrCat(failed->id));
    v.Add(paraat::v1::CHECK_STATUS_FAILED,
          absl::StrCat("the newest backup, ", JobWhen(*failed), ", ", Ending(failed->status), ": ",
                       FirstWith(logs[failed->id], {"Fatal error", "Error:", "ERR="})));
  }
  if (verify) {
    JudgeVerify(*verify, logs[verify->id], r, &v);
  } else if (!o.verify_job.empty()) {
    r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    v.Add(paraat::v1::CHECK_STATUS_WARNING, absl::StrCat("no finished run of verify job ", o.verify_job));
  }
  v.Apply(r);
}

}  // namespace

void BaculaCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ToolSession tool(ctx, r, ToolWording{nullptr, nullptr, BconsoleFailure});
  Bconsole bc;
  if (!bc.Open(options_.console, ctx, r)) return;
  tool.SetEnvironment({}, bc.secrets());
  std::string filter = options_.job.empty() ? "jobs" : "jobname=" + options_.job;
  if (!options_.client.empty()) absl::StrAppend(&filter, " client=", options_.client);
  if (!options_.job.empty()) AddDetail(r, "job", options_.job);
  if (!options_.client.empty()) AddDetail(r, "client", options_.client);
  std::vector<std::string> commands = {
      "version",
      options_.job.empty() ? ".clients" : ".jobs",
      absl::StrCat("llist ", filter, " jobtype=B order=desc limit=10"),
      absl::StrCat("llist ", filter, " jobtype=B jobstatus=T order=desc limit=1"),
      absl::StrCat("llist ", filter, " jobtype=B level=F jobstatus=T order=desc limit=1"),
  };
  if (!options_.verify_job.empty()) {
    commands.push_back(absl::StrCat("llist jobname=", options_.verify_job, " order=desc limit=5"));
  }
  auto s = Query(&tool, bc, commands, r);
  if (!s) return;
  AddDetail(r, "director_version", FirstLine((*s)[0]));
  // A name the director does not know is a mistake in the check, not a backup that never ran.
  std::set<std::string> names;
  for (absl::string_view n : absl::StrSplit((*s)[1], '\n', absl::SkipWhitespace())) {
    names.emplace(absl::StripAsciiWhitespace(n));
  }
  for (const std::string& want : {options_.job.empty() ? options_.client : options_.job, options_.verify_job}) {
    if (!want.empty() && !names.count(want) && !(want == options_.verify_job && options_.job.empty())) {
      Error(r, absl::StrCat("the director has no ", options_.job.empty() ? "client" : "job", " named ", want,
                            " (it has ", absl::StrJoin(names, ", "), ")"));
      return;
    }
  }
  Catalog c;
  c.recent = Jobs((*s)[2]);
  c.good = First(Jobs((*s)[3]), Succeeded);
  if (!c.good) c.good = First(c.recent, Succeeded);  // a W of a newer Bacula
  c.full = First(Jobs((*s)[4]), Succeeded);
  if (!options_.verify_job.empty()) c.verify = First(Jobs((*s)[5]), Finished);
  std::optional<Job> newest = First(c.recent, Finished);
  if (newest && !Succeeded(*newest)) c.failed = newest;
  Report(options_, &tool, bc, c, r);
}

std::unique_ptr<RestoreRecipe> BaculaRestore::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  const bool console = ReadConsoleKeys(keys, env, &o.console);
  if (auto v = keys.String("client", kRequired)) o.client = *v;
  if (auto v = keys.String("fileset", kRequired)) o.fileset = *v;
  if (auto v = keys.String("restore_client")) o.restore_client = *v;
  if (auto v = keys.String("restore_job")) o.restore_job = *v;
  if (!console || o.client.empty() || o.fileset.empty()) return nullptr;
  return std::make_unique<BaculaRestore>(std::move(o));
}

namespace {

// What the restore command said when it queued the restore.
struct Queued {
  int64_t job_id = 0;
  std::vector<int64_t> backups;    // the backup jobs it restores from
  int64_t selected = -1;           // entries (files and directories) selected from the catalog
  std::vector<std::string> roots;  // the FileSet's included paths (empty when unknown)
};

int64_t NumberBefore(const std::string& text, const std::string& suffix) {
  const size_t at = text.find(suffix);
  if (at == std::string::npos) return -1;
  size_t from = text.rfind('\n', at);
  from = from == std::string::npos ? 0 : from + 1;
  std::string digits;
  for (char ch : text.substr(from, at - from)) {
    if (absl::ascii_isdigit(ch)) digits += ch;
  }
  int64_t n = -1;
  return absl::SimpleAtoi(digits, &n) ? n : -1;
}

std::optional<Queued> ParseQueued(const std::string& restore, const std::string& fileset) {
  Queued q;
  const size_t queued = restore.find("Job queued. JobId=");
  if (queued == std::string::npos ||
      !absl::SimpleAtoi(FirstLine(restore.substr(queued + strlen("Job queued. JobId="))), &q.job_id)) {
    return std::nullopt;
  }
  const size_t selected = restore.find("You have selected the following JobId");
  if (selected != std::string::npos) {
    std::string ids = FirstLine(restore.substr(restore.find(':', selected) + 1));
    for (absl::string_view id : absl::StrSplit(ids, ',', absl::SkipWhitespace())) {
      int64_t n = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(id), &n)) q.backups.push_back(n);
    }
  }
  q.selected = NumberBefore(restore, " files selected to be restored");
  for (absl::string_view line : absl::StrSplit(fileset, '\n')) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&t, "I ") && absl::StartsWith(t, "/")) {
      std::string root(absl::StripAsciiWhitespace(t));
      while (root.size() > 1 && root.back() == '/') root.pop_back();
      q.roots.push_back(root);
    }
  }
  return q;
}

// The state the director gives a running job (`status dir`: "is waiting for a mount request").
std::string RunningState(const std::string& status, int64_t id) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() > 6 && words[0] == absl::StrCat(id)) {
      return absl::StrJoin(words.begin() + 6, words.end(), " ");
    }
  }
  return "";
}

bool CompareRestore(const Queued& q, const Job& job, const std::string& where, paraat::v1::Result* r) {
  // Bacula recreates each path below where=: /srv/data/x lands in <where>/srv/data/x. The
  // catalog counts the FileSet's entries from its included paths down, not the folders above.
  uint64_t entries = 0, bytes = 0, ignored = 0;
  CountTree(where, &ignored, &bytes);
  std::error_code ec;
  for (const std::string& root : q.roots) {
    if (std::filesystem::exists(std::filesystem::symlink_status(where + root, ec))) ++entries;
    CountTree(where + root, &entries, &ignored);
  }
  AddValue(r, "restored_bytes", static_cast<double>(bytes), "B");
  r->mutable_facts()->set_verified_bytes(bytes);
  const bool count_known = !q.roots.empty() && q.selected >= 0;
  if (count_known) {
    AddValue(r, "restored_entries", static_cast<double>(entries));
    r->mutable_facts()->set_verified_objects(entries);
  } else {
    AddDetail(r, "compared", "bytes only (the FileSet's paths are unknown: may the console run show?)");
  }
  const bool bytes_differ = bytes != static_cast<uint64_t>(job.bytes);
  if (bytes_differ || (count_known && entries != static_cast<uint64_t>(q.selected))) {
    Fail(r, absl::StrCat(
                "the restore differs from the catalog: ", count_known ? absl::StrCat(entries, " entries and ") : "",
                bytes, " bytes on disk, the catalog has ", count_known ? absl::StrCat(q.selected, " entries and ") : "",
                job.bytes, " bytes"));
    return false;
  }
  return true;
}

// Cancels a restore job that ran out of time, saying what it was waiting for.
void CancelRestore(const RestoreDrill& drill, const Bconsole& bc, int64_t job_id, paraat::v1::Result* r) {
  // The job may wait for a volume to be mounted: say so, and do not leave it queued.
  const std::vector<std::string> commands = {"status dir", absl::StrCat("cancel jobid=", job_id, " yes"),
                                             absl::StrCat("wait jobid=", job_id)};
  paraat::v1::Result cancelled;
  ProcessResult out;
  std::string log;
  if (!RunDrillStep(CleanupContext(drill.ctx, absl::Seconds(30)), bc.Session(commands), "cancelling the restore",
                    DrillStep::kSetup, &cancelled, &log, &out)) {
    AddDetail(r, "cleanup", cancelled.message());
    return;
  }
  auto s = Sections(out, commands, &cancelled);
  const std::string state = s ? RunningState((*s)[0], job_id) : "";
  if (!state.empty()) SetStatus(r, r->status(), absl::StrCat(r->message(), ": job ", job_id, " ", state));
  AddDetail(r, "cleanup", absl::StrCat("restore job ", job_id, " canceled"));
}

// Waits for the queued restore job, then judges it and compares what is on disk.
bool FinishRestore(const RestoreDrill& drill, const Bconsole& bc, const Queued& q, const std::string& where,
                   paraat::v1::Result* r) {
  const int64_t newest = q.backups.empty() ? 0 : *std::max_element(q.backups.begin(), q.backups.end());
  std::vector<std::string> commands = {absl::StrCat("wait jobid=", q.job_id), absl::StrCat("llist jobid=", q.job_id)};
  if (newest > 0) commands.push_back(absl::StrCat("llist jobid=", newest));
  commands.push_back(absl::StrCat("list joblog jobid=", q.job_id));  // last: its report ends the log
  ProcessResult out;
  if (!RunDrillStep(drill.ctx, bc.Session(commands), absl::StrCat("the Bacula restore job ", q.job_id),
                    DrillStep::kTest, r, drill.log, &out)) {
    CancelRestore(drill, bc, q.job_id, r);
    return false;
  }
  auto s = Sections(out, commands, r);
  if (!s) return false;
  std::vector<Job> restored = Jobs((*s)[1]);
  if (restored.empty()) {
    Error(r, absl::StrCat("the catalog has no restore job ", q.job_id));
    return false;
  }
  if (newest > 0) {
    std::vector<Job> backup = Jobs((*s)[2]);
    if (!backup.empty()) {
      r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(backup[0].start));
      AddDetail(r, "backup_time", FormatTimeUtc(backup[0].start));
    }
  }
  const Job& job = restored[0];
  if (job.status != 'T' || job.errors > 0) {
    Fail(r, absl::StrCat("the restore job ", job.id, " ",
                         job.status == 'T' ? absl::StrCat("had ", job.errors, " errors") : Ending(job.status), ": ",
                         FirstWith(LogLines(s->back()), {"Fatal error", "Error:", "ERR="})));
    return false;
  }
  return CompareRestore(q, job, where, r) && drill.Validate(where, r);
}

}  // namespace

bool BaculaRestore::Run(const RestoreDrill& drill, paraat::v1::Result* r) {
  Bconsole bc;
  if (!bc.Open(options_.console, drill.ctx, r)) return false;
  const std::string where = drill.scratch + "/restore";
  AddDetail(r, "client", options_.client);
  AddDetail(r, "fileset", options_.fileset);
  // Every keyword given: a missing one makes bconsole ask, and it would read the next line.
  std::string restore =
      absl::StrCat("restore client=", options_.client, " fileset=", options_.fileset, " where=\"", where, "\"");
  if (!options_.restore_client.empty()) absl::StrAppend(&restore, " restoreclient=", options_.restore_client);
  if (!options_.restore_job.empty()) absl::StrAppend(&restore, " restorejob=", options_.restore_job);
  absl::StrAppend(&restore, " select current all done yes");
  // The FileSet first: the restore's own words end the log.
  const std::vector<std::string> commands = {"show fileset=" + options_.fileset, restore};
  ProcessResult out;
  if (!RunDrillStep(drill.ctx, bc.Session(commands), "bconsole restore", DrillStep::kSetup, r, drill.log, &out)) {
    return false;
  }
  auto s = Sections(out, commands, r, /*may_refuse=*/0);
  if (!s) return false;
  std::optional<Queued> q = ParseQueued((*s)[1], (*s)[0]);
  if (!q) {
    const std::string why =
        FirstWith(LogLines((*s)[1]), {"No Full backup", "No backup", "No Job", "not found", "Invalid", "No files"});
    if (absl::StartsWith(why, "No ")) {
      Fail(r, absl::StrCat("nothing to restore for client ", options_.client, " and FileSet ", options_.fileset, ": ",
                           why));
    } else {
      Error(r, absl::StrCat("the restore was not queued: ", why.empty() ? TailText((*s)[1], 2, 300) : why));
    }
    return false;
  }
  AddDetail(r, "restore_job_id", absl::StrCat(q->job_id));
  AddDetail(r, "backup_job_ids", absl::StrJoin(q->backups, ","));
  return FinishRestore(drill, bc, *q, where, r);
}

}  // namespace paraat
