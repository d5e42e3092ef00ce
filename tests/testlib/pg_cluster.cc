#include "tests/testlib/pg_cluster.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace paraat::testing {

std::string PgBinDir() {
  for (int v = 17; v >= 13; --v) {
    std::string dir = absl::StrCat("/usr/lib/postgresql/", v, "/bin");
    if (::access((dir + "/initdb").c_str(), X_OK) == 0) return dir;
  }
  return "";
}

std::vector<std::string> AsPostgres() {
  if (::geteuid() == 0) return {"runuser", "-u", "postgres", "--"};
  return {};
}

void GiveToPostgres(const std::string& path) {
  if (::geteuid() == 0) RunCommand({"chown", "-R", "postgres:postgres", path});
}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Create(const std::string& dir, const std::string& extra_conf) {
  const std::string bin = PgBinDir();
  if (bin.empty()) return absl::FailedPreconditionError("PostgreSQL is not installed (scripts/setup.sh --tests)");
  std::unique_ptr<PgCluster> c(new PgCluster());
  c->dir_ = dir;
  c->data_ = dir + "/data";
  c->port_ = FreePort();
  std::filesystem::create_directories(dir);
  GiveToPostgres(dir);
  auto argv = AsPostgres();
  argv.insert(argv.end(),
              {bin + "/initdb", "-D", c->data_, "-A", "trust", "-U", "postgres", "--no-sync", "--data-checksums"});
  RunResult r = RunCommand(argv, absl::Seconds(120));
  if (r.exit_code != 0) return absl::InternalError("initdb failed: " + r.output);
  std::string conf = absl::StrCat("\nport = ", c->port_, "\nunix_socket_directories = '", dir,
                                  "'\nlisten_addresses = '127.0.0.1'\nfsync = off\nwal_level = replica\n"
                                  "max_wal_senders = 5\nshared_buffers = 32MB\n",
                                  extra_conf, "\n");
  const std::string conf_file = c->data_ + "/postgresql.conf";
  WriteFileOrDie(conf_file, ReadFileOrDie(conf_file) + conf);
  WriteFileOrDie(c->data_ + "/pg_hba.conf",
                 "local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\n"
                 "host replication all 127.0.0.1/32 trust\n");
  GiveToPostgres(dir);
  absl::Status st = c->Start();
  if (!st.ok()) return st;
  return c;
}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::CreateStandby(const std::string& dir, const PgCluster& primary,
                                                                    const std::string& extra_conf) {
  const std::string bin = PgBinDir();
  std::unique_ptr<PgCluster> c(new PgCluster());
  c->dir_ = dir;
  c->data_ = dir + "/data";
  c->port_ = FreePort();
  std::filesystem::create_directories(dir);
  GiveToPostgres(dir);
  auto argv = AsPostgres();
  argv.insert(argv.end(), {bin + "/pg_basebackup", "-h", primary.socket_dir(), "-p", std::to_string(primary.port()),
                           "-U", "postgres", "-D", c->data_, "-R", "-X", "stream", "--no-sync"});
  RunResult r = RunCommand(argv, absl::Seconds(120));
  if (r.exit_code != 0) return absl::InternalError("pg_basebackup failed: " + r.output);
  const std::string conf_file = c->data_ + "/postgresql.conf";
  WriteFileOrDie(conf_file,
                 ReadFileOrDie(conf_file) + absl::StrCat("\nport = ", c->port_, "\nunix_socket_directories = '", dir,
                                                         "'\n", "hot_standby = on\n", extra_conf, "\n"));
  GiveToPostgres(dir);
  absl::Status st = c->Start();
  if (!st.ok()) return st;
  return c;
}

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Open(const std::string& dir, const std::string& data_dir) {
  if (PgBinDir().empty()) {
    return absl::FailedPreconditionError("PostgreSQL is not installed (scripts/setup.sh --tests)");
  }
  std::unique_ptr<PgCluster> c(new PgCluster());
  c->dir_ = dir;
  c->data_ = data_dir;
  c->port_ = FreePort();
  c->server_options_ = absl::StrCat("-c port=", c->port_, " -c unix_socket_directories='", dir,
                                    "' -c listen_addresses='' -c archive_mode=off");
  std::filesystem::create_directories(dir);
  GiveToPostgres(dir);
  GiveToPostgres(data_dir);
  absl::Status st = c->Start();
  if (!st.ok()) return st;
  return c;
}

absl::Status PgCluster::Start() {
  auto argv = AsPostgres();
  argv.insert(argv.end(), {PgBinDir() + "/pg_ctl", "-D", data_, "-l", dir_ + "/postgres.log", "-w", "-t", "60"});
  if (!server_options_.empty()) argv.insert(argv.end(), {"-o", server_options_});
  argv.push_back("start");
  RunResult r = RunCommand(argv, absl::Seconds(90));
  if (r.exit_code != 0) {
    return absl::InternalError("pg_ctl start failed: " + r.output + "\n" + ReadFileOrDie(dir_ + "/postgres.log"));
  }
  running_ = true;
  return absl::OkStatus();
}

void PgCluster::Stop(const std::string& mode) {
  if (!running_) return;
  auto argv = AsPostgres();
  argv.insert(argv.end(), {PgBinDir() + "/pg_ctl", "-D", data_, "-m", mode, "-w", "stop"});
  RunCommand(argv, absl::Seconds(60));
  running_ = false;
}

PgCluster::~PgCluster() { Stop("immediate"); }

RunResult PgCluster::Sql(const std::string& sql, const std::string& db) const {
  return Tool("psql", {"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql});
}

RunResult PgCluster::Tool(const std::string& program, std::vector<std::string> args) const {
  auto argv = AsPostgres();
  argv.insert(argv.end(), {PgBinDir() + "/" + program, "-h", dir_, "-p", std::to_string(port_), "-U", "postgres"});
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, absl::Seconds(120));
}

std::string PgCluster::dsn(const std::string& db) const {
  return absl::StrCat("host=", dir_, " port=", port_, " user=postgres dbname=", db);
}

}  // namespace paraat::testing
