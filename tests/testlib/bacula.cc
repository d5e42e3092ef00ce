#include "tests/testlib/bacula.h"

#include <filesystem>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace paraat::testing {
namespace {

// Debian ships the catalog schema only inside a shell script (cd /var/lib/bacula; sqlite3 ... <<END-OF-DATA);
// the here-document is the SQL.
absl::StatusOr<std::string> CatalogSchema() {
  const std::string script = ReadFileOrDie("/usr/share/bacula-director/make_sqlite3_tables");
  const std::string open = "<<END-OF-DATA\n", close = "\nEND-OF-DATA";
  const size_t from = script.find(open);
  const size_t to = from == std::string::npos ? from : script.find(close, from);
  if (to == std::string::npos) {
    return absl::FailedPreconditionError(
        "no catalog schema in /usr/share/bacula-director/make_sqlite3_tables (is bacula-director-sqlite3 installed?)");
  }
  // Without fsync after each of its ~100 statements: 20 ms instead of 2 s.
  return "PRAGMA synchronous = OFF;\n" + script.substr(from + open.size(), to - from - open.size());
}

// The "Key: value" lines of an llist record.
std::map<std::string, std::string> ParseLongList(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(": ");
    if (colon == std::string::npos || line.empty() || line[0] != ' ') continue;
    std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    if (key.empty() || key.find(' ') != std::string::npos || fields.count(key)) continue;
    fields[key] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 2)));
  }
  return fields;
}

int64_t Int(const std::map<std::string, std::string>& f, const std::string& key) {
  int64_t v = 0;
  auto it = f.find(key);
  if (it == f.end() || !absl::SimpleAtoi(it->second, &v)) return -1;
  return v;
}

char Letter(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() || it->second.empty() ? 0 : it->second[0];
}

constexpr char kDirectorPassword[] = "paraat-console-7f3a";
constexpr char kStoragePassword[] = "paraat-storage-51c2";
constexpr char kClientPassword[] = "paraat-client-9d0e";

}  // namespace

absl::StatusOr<std::unique_ptr<Bacula>> Bacula::Start(const std::string& dir, const Options& options) {
  for (const char* p : {"/usr/sbin/bacula-dir", "/usr/sbin/bacula-sd", "/usr/sbin/bacula-fd", "/usr/sbin/bconsole"}) {
    if (!HaveProgram(p))
      return absl::FailedPreconditionError(absl::StrCat(p, " is missing (scripts/setup.sh --tests)"));
  }
  std::unique_ptr<Bacula> b(new Bacula());
  b->dir_ = dir;
  b->data_dir_ = dir + "/data";
  b->password_ = kDirectorPassword;
  for (const char* sub : {"/work", "/volumes", "/data", "/logs"}) std::filesystem::create_directories(dir + sub);
  b->dir_port_ = FreePort();
  b->sd_port_ = FreePort();
  b->fd_port_ = FreePort();
  // The catalog first: `bacula-dir -t` opens it.
  auto schema = CatalogSchema();
  if (!schema.ok()) return schema.status();
  RunResult db = RunCommand({"sqlite3", dir + "/work/bacula.db"}, absl::Seconds(60), *schema);
  if (db.exit_code != 0) return absl::InternalError("creating the Bacula catalog failed: " + db.output);
  absl::Status st = b->WriteConfigs(options);
  if (!st.ok()) return st;
  st = b->StartDaemon("/usr/sbin/bacula-sd", dir + "/bacula-sd.conf", b->sd_port_, &b->sd_);
  if (st.ok()) st = b->StartDaemon("/usr/sbin/bacula-fd", dir + "/bacula-fd.conf", b->fd_port_, &b->fd_);
  if (st.ok()) st = b->StartDaemon("/usr/sbin/bacula-dir", dir + "/bacula-dir.conf", b->dir_port_, &b->director_);
  if (!st.ok()) return st;
  // The director listens before it has opened the catalog: ready once a console gets an answer.
  RunResult version;
  const bool up = WaitFor(
      [&] {
        version = b->Console("version\n", absl::Seconds(20));
        return version.exit_code == 0 && version.output.find("Version: 9") != std::string::npos;
      },
      absl::Seconds(30));
  if (!up) return absl::InternalError("the Bacula director does not answer:\n" + version.output + "\n" + b->Logs());
  return b;
}

absl::Status Bacula::WriteConfigs(const Options& options) {
  const std::string& d = dir_;
  password_file_ = d + "/bconsole.password";
  WriteFileOrDie(password_file_, password_ + "\n");
  bconsole_conf_ = d + "/bconsole.conf";
  WriteFileOrDie(bconsole_conf_, absl::StrCat("Director {\n  Name = ", kDirector, "\n  DIRport = ", dir_port_,
                                              "\n  Address = 127.0.0.1\n  Password = @", password_file_, "\n}\n"));
  auto job = [](const std::string& name, const std::string& fileset, const std::string& extra) {
    return absl::StrCat("Job {\n  Name = ", name, "\n  Type = Backup\n  Level = Full\n  Client = ", kClient,
                        "\n  FileSet = ", fileset, "\n  Storage = disk\n  Pool = disk\n  Messages = jobs\n", extra,
                        "}\n");
  };
  auto fileset = [](const std::string& name, const std::string& path) {
    return absl::StrCat(
        "FileSet {\n  Name = ", name,
        "\n  Include {\n    Options {\n      signature = MD5\n      verify = pins5\n    }\n    File = \"", path,
        "\"\n  }\n}\n");
  };
  WriteFileOrDie(
      d + "/bacula-dir.conf",
      absl::StrCat(
          "Director {\n  Name = ", kDirector, "\n  DIRport = ", dir_port_, "\n  DirAddress = 127.0.0.1\n",
          "  QueryFile = \"/etc/bacula/scripts/query.sql\"\n  WorkingDirectory = \"", d, "/work\"\n  PidDirectory = \"",
          d, "/work\"\n  Maximum Concurrent Jobs = 10\n  Password = \"", password_,
          "\"\n  Messages = daemon\n  FD Connect Timeout = 2 sec\n  SD Connect Timeout = 2 sec\n}\n",
          "Catalog {\n  Name = catalog\n  dbname = \"bacula\"\n  dbuser = \"\"\n  dbpassword = \"\"\n}\n",
          "Messages {\n  Name = daemon\n  append = \"", d, "/logs/director.log\" = all, !skipped\n",
          "  console = all, !skipped, !saved\n}\n", "Messages {\n  Name = jobs\n  append = \"", d,
          "/logs/jobs.log\" = all, !skipped\n  console = all, !skipped, !saved\n  catalog = all, !skipped, !saved\n}\n",
          "Client {\n  Name = ", kClient, "\n  Address = 127.0.0.1\n  FDPort = ", fd_port_,
          "\n  Catalog = catalog\n  Password = \"", kClientPassword,
          "\"\n  AutoPrune = no\n  Maximum Concurrent Jobs = 10\n}\n",
          "Storage {\n  Name = disk\n  Address = 127.0.0.1\n  SDPort = ", sd_port_, "\n  Password = \"",
          kStoragePassword, "\"\n  Device = disk\n  Media Type = File\n  Maximum Concurrent Jobs = 10\n}\n",
          "Pool {\n  Name = disk\n  Pool Type = Backup\n  Label Format = \"vol-\"\n  AutoPrune = no\n"
          "  Maximum Volume Jobs = 1000\n}\n",
          fileset(kFileSet, data_dir_), fileset("missing-set", d + "/no-such-path"), job(kBackupJob, kFileSet, ""),
          job(kMissingJob, "missing-set", ""), job(kFailingJob, kFileSet, "  ClientRunBeforeJob = \"/bin/false\"\n"),
          job(kSlowJob, kFileSet, "  ClientRunBeforeJob = \"sleep 60\"\n"), "Job {\n  Name = ", kVerifyJob,
          "\n  Type = Verify\n  Level = VolumeToCatalog\n  Verify Job = ", kBackupJob, "\n  Client = ", kClient,
          "\n  FileSet = ", kFileSet, "\n  Storage = disk\n  Pool = disk\n  Messages = jobs\n}\n",
          "Job {\n  Name = ", kRestoreJob, "\n  Type = Restore\n  Client = ", kClient, "\n  FileSet = ", kFileSet,
          "\n  Storage = disk\n  Pool = disk\n  Messages = jobs\n  Where = \"", d, "/restores\"\n}\n",
          options.extra_director_conf));
  WriteFileOrDie(d + "/bacula-sd.conf",
                 absl::StrCat("Storage {\n  Name = paraat-sd\n  SDPort = ", sd_port_,
                              "\n  SDAddress = 127.0.0.1\n  WorkingDirectory = \"", d, "/work\"\n  Pid Directory = \"",
                              d, "/work\"\n  Maximum Concurrent Jobs = 10\n}\n", "Director {\n  Name = ", kDirector,
                              "\n  Password = \"", kStoragePassword, "\"\n}\n",
                              "Device {\n  Name = disk\n  Media Type = File\n  Archive Device = \"", d,
                              "/volumes\"\n  LabelMedia = yes\n  Random Access = yes\n  AutomaticMount = yes\n"
                              "  RemovableMedia = no\n  AlwaysOpen = no\n  Maximum Concurrent Jobs = 10\n}\n",
                              "Messages {\n  Name = standard\n  director = ", kDirector, " = all\n}\n"));
  WriteFileOrDie(d + "/bacula-fd.conf",
                 absl::StrCat("FileDaemon {\n  Name = ", kClient, "\n  FDport = ", fd_port_,
                              "\n  FDAddress = 127.0.0.1\n  WorkingDirectory = \"", d, "/work\"\n  Pid Directory = \"",
                              d, "/work\"\n  Maximum Concurrent Jobs = 10\n}\n", "Director {\n  Name = ", kDirector,
                              "\n  Password = \"", kClientPassword, "\"\n}\n", "Messages {\n  Name = standard\n",
                              "  director = ", kDirector, " = all, !skipped, !restored\n}\n"));
  // Each daemon checks its own configuration; a syntax error fails here with the parser's words.
  for (const auto& [program, conf] : std::map<std::string, std::string>{{"/usr/sbin/bacula-dir", "bacula-dir.conf"},
                                                                        {"/usr/sbin/bacula-sd", "bacula-sd.conf"},
                                                                        {"/usr/sbin/bacula-fd", "bacula-fd.conf"}}) {
    RunResult t = RunCommand({program, "-t", "-c", d + "/" + conf}, absl::Seconds(30));
    if (t.exit_code != 0) return absl::InvalidArgumentError(absl::StrCat(program, " -t ", conf, ": ", t.output));
  }
  return absl::OkStatus();
}

absl::Status Bacula::StartDaemon(const std::string& program, const std::string& conf, int port,
                                 std::unique_ptr<Process>* process) {
  const std::string name = std::filesystem::path(program).filename();
  auto p = Process::Start({program, "-f", "-c", conf}, dir_ + "/logs/" + name + ".out");
  if (!p.ok()) return p.status();
  *process = *std::move(p);
  if (!WaitFor([&] { return PortOpen(port) || !(*process)->Running(); }, absl::Seconds(30)) || !PortOpen(port)) {
    return absl::InternalError(absl::StrCat(name, " did not start listening on port ", port, ":\n", Logs()));
  }
  return absl::OkStatus();
}

RunResult Bacula::Console(const std::string& commands, absl::Duration timeout) const {
  return RunCommand({"/usr/sbin/bconsole", "-n", "-c", bconsole_conf_}, timeout, commands);
}

absl::StatusOr<int> Bacula::StartJob(const std::string& job, const std::string& args) const {
  RunResult r = Console(absl::StrCat("run job=", job, " ", args, " yes\n"));
  const int id = NumberAfter(r.output, "Job queued. JobId=");
  if (r.exit_code != 0 || id <= 0) return absl::InternalError(absl::StrCat("bconsole run job=", job, ": ", r.output));
  return id;
}

absl::StatusOr<BaculaJob> Bacula::WaitJob(int job_id) const {
  RunResult r = Console(absl::StrCat("wait jobid=", job_id, "\nllist jobid=", job_id, "\n"), absl::Seconds(180));
  BaculaJob j;
  j.fields = ParseLongList(r.output);
  j.id = static_cast<int>(Int(j.fields, "JobId"));
  if (r.exit_code != 0 || j.id != job_id) {
    return absl::InternalError(absl::StrCat("bconsole llist jobid=", job_id, ": ", r.output));
  }
  j.name = j.fields["Name"];
  j.type = Letter(j.fields, "Type");
  j.level = Letter(j.fields, "Level");
  j.status = Letter(j.fields, "JobStatus");
  j.files = Int(j.fields, "JobFiles");
  j.bytes = Int(j.fields, "JobBytes");
  j.errors = static_cast<int>(Int(j.fields, "JobErrors"));
  j.start_time = j.fields["StartTime"];
  j.end_time = j.fields["EndTime"];
  return j;
}

absl::StatusOr<BaculaJob> Bacula::Run(const std::string& job, const std::string& args) const {
  auto id = StartJob(job, args);
  if (!id.ok()) return id.status();
  return WaitJob(*id);
}

absl::StatusOr<BaculaJob> Bacula::Verify(const std::string& level, int of_job_id) const {
  return Run(kVerifyJob, absl::StrCat("level=", level, of_job_id > 0 ? absl::StrCat(" jobid=", of_job_id) : ""));
}

absl::StatusOr<BaculaJob> Bacula::Restore(const std::string& where, int job_id) const {
  auto id = StartRestore(where, job_id);
  if (!id.ok()) return id.status();
  return WaitJob(*id);
}

absl::StatusOr<int> Bacula::StartRestore(const std::string& where, int job_id) const {
  // Every selection keyword given, or the restore command prompts (for a FileSet, a Restore
  // job) and reads the next command line as the answer.
  const std::string select = job_id > 0 ? absl::StrCat("jobid=", job_id)
                                        : absl::StrCat("client=", kClient, " fileset=", kFileSet, " select current");
  RunResult r =
      Console(absl::StrCat("restore ", select, " restorejob=", kRestoreJob, " where=\"", where, "\" all done yes\n"));
  const int id = NumberAfter(r.output, "Job queued. JobId=");
  if (r.exit_code != 0 || id <= 0) return absl::InternalError("bconsole restore: " + r.output);
  return id;
}

absl::Status Bacula::Cancel(int job_id) const {
  RunResult r = Console(absl::StrCat("cancel jobid=", job_id, " yes\n"));
  if (r.exit_code != 0 || r.output.find("marked to be canceled") == std::string::npos) {
    return absl::InternalError(absl::StrCat("bconsole cancel jobid=", job_id, ": ", r.output));
  }
  return absl::OkStatus();
}

std::string Bacula::JobLog(int job_id) const {
  return Console(absl::StrCat("list joblog jobid=", job_id, "\n")).output;
}

void Bacula::StopFileDaemon() { fd_.reset(); }

absl::Status Bacula::StartFileDaemon() {
  return StartDaemon("/usr/sbin/bacula-fd", dir_ + "/bacula-fd.conf", fd_port_, &fd_);
}

std::string Bacula::Logs() const {
  std::string all;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/logs", ec)) {
    absl::StrAppend(&all, "==> ", e.path().filename().string(), "\n", ReadFileOrDie(e.path()), "\n");
  }
  return all;
}

}  // namespace paraat::testing
