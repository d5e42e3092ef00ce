#include "tests/testlib/barman.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/process.h"

namespace paraat::testing {

absl::StatusOr<std::unique_ptr<Barman>> Barman::Create(const std::string& dir) {
  if (!HaveProgram("barman")) return absl::FailedPreconditionError("barman is missing (scripts/setup.sh --tests)");
  if (PgBinDir().empty()) return absl::FailedPreconditionError("PostgreSQL is missing (scripts/setup.sh --tests)");
  std::unique_ptr<Barman> b(new Barman());
  b->dir_ = dir;
  b->home_ = dir + "/barman";
  b->config_ = dir + "/barman.conf";
  const passwd* pw = ::getpwuid(::geteuid());
  b->user_ = ::geteuid() == 0 ? "postgres" : (pw ? pw->pw_name : "");
  // PostgreSQL (as postgres) writes into incoming before Barman first runs and creates the rest.
  const std::string incoming = b->home_ + "/" + kServer + "/incoming";
  std::filesystem::create_directories(incoming);
  GiveToPostgres(b->home_);
  auto pg = PgCluster::Create(dir + "/pg", absl::StrCat("archive_mode = on\narchive_command = 'test ! -f ", incoming,
                                                        "/%f && cp %p ", incoming, "/%f'\n"));
  if (!pg.ok()) return pg.status();
  b->pg_ = std::move(*pg);
  const std::string conninfo = absl::StrCat("host=", b->pg_->socket_dir(), " port=", b->pg_->port(), " user=postgres");
  WriteFileOrDie(b->config_,
                 absl::StrCat("[barman]\nbarman_home = ", b->home_, "\nbarman_user = ", b->user_,
                              "\nlog_file = ", b->home_, "/barman.log\nlog_level = INFO\nminimum_redundancy = 0\n\n[",
                              kServer, "]\ndescription = \"Paraat test cluster\"\nconninfo = ", conninfo,
                              " dbname=postgres\nstreaming_conninfo = ", conninfo,
                              "\nbackup_method = postgres\narchiver = on\nimmediate_checkpoint = true\npath_prefix = ",
                              PgBinDir(), "\n"));
  // `barman check` fails ("WAL archive: FAILED") until a first segment has arrived.
  absl::Status st = b->SwitchWal();
  if (!st.ok()) return st;
  RunResult check = b->Run({"check", kServer});
  if (check.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("barman check failed:\n", check.output, "\n", ReadFileOrDie(b->home_ + "/barman.log")));
  }
  return b;
}

std::vector<std::string> Barman::Argv(const std::vector<std::string>& args) const {
  // Barman fsyncs every file of a backup, and pg_basebackup its copy: under eatmydata those
  // fsyncs return at once, which halves a backup's time in the suite.
  std::vector<std::string> argv;
  if (HaveProgram("eatmydata")) argv.push_back("eatmydata");
  argv.insert(argv.end(), {"barman", "-c", config_});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult Barman::Run(const std::vector<std::string>& args, absl::Duration timeout) const {
  return RunCommand(Argv(args), timeout);
}

absl::StatusOr<nlohmann::json> Barman::Json(const std::vector<std::string>& args, int* exit_code) const {
  ProcessOptions o;
  std::vector<std::string> json_args = {"-f", "json"};
  json_args.insert(json_args.end(), args.begin(), args.end());
  o.argv = Argv(json_args);
  o.timeout = absl::Seconds(120);
  auto r = RunProcess(o);
  if (!r.ok()) return r.status();
  // The JSON alone on stdout; messages go to stderr.
  nlohmann::json j = nlohmann::json::parse(r->out, nullptr, /*allow_exceptions=*/false);
  if (exit_code != nullptr) *exit_code = r->exited ? r->exit_code : -1;
  if (!r->exited || j.is_discarded()) {
    return absl::InternalError(
        absl::StrCat("barman -f json ", args.empty() ? "" : args[0], " (", r->Describe(), "): ", r->out, r->err));
  }
  return j;
}

absl::Status Barman::SwitchWal() const {
  RunResult r = Run({"switch-wal", "--force", "--archive", "--archive-timeout", "60", kServer});
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("barman switch-wal failed:\n", r.output, "\n",
                                            ReadFileOrDie(pg_->socket_dir() + "/postgres.log")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Barman::Backup() const {
  // --wait: until the WAL the backup needs is archived; without it a backup can end as
  // WAITING_FOR_WALS when the archiver is slower than pg_basebackup.
  RunResult r = Run({"backup", "--wait", "--wait-timeout", "120", kServer}, absl::Seconds(300));
  if (r.exit_code != 0) return absl::InternalError("barman backup failed:\n" + r.output);
  auto list = Json({"list-backups", kServer});
  if (!list.ok()) return list.status();
  const auto& backups = (*list)[kServer];
  if (!backups.is_array() || backups.empty()) return absl::InternalError("no backup listed: " + list->dump());
  return backups[0].value("backup_id", "");  // newest first
}

absl::Status Barman::Recover(const std::string& backup_id, const std::string& dest) const {
  const std::string parent = std::filesystem::path(dest).parent_path();
  std::filesystem::create_directories(parent);
  GiveToPostgres(parent);
  RunResult r = Run({"recover", kServer, backup_id, dest}, absl::Seconds(300));
  if (r.exit_code != 0) return absl::InternalError("barman recover failed:\n" + r.output);
  return absl::OkStatus();
}

}  // namespace paraat::testing
