#include "tests/testlib/mariadb.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace paraat::testing {

absl::StatusOr<std::unique_ptr<MariaDb>> MariaDb::Start(const std::string& dir, int server_id,
                                                        std::vector<std::string> extra_args) {
  if (!HaveProgram("mariadbd") && !HaveProgram("/usr/sbin/mariadbd")) {
    return absl::FailedPreconditionError("MariaDB is not installed (scripts/setup.sh --tests)");
  }
  // Each server its own tmpdir: a MariaDB server starting up deletes every "#sql" temporary file
  // in its tmpdir, which in a shared /tmp are another test's bootstrap tables.
  const std::string tmpdir = "--tmpdir=" + dir + "/tmp";
  std::filesystem::create_directories(dir + "/tmp");
  RunResult inst = RunCommand({"mariadb-install-db", "--no-defaults", "--datadir=" + dir + "/data", "--user=root",
                               "--auth-root-authentication-method=normal", "--skip-test-db", tmpdir},
                              absl::Seconds(120));
  if (inst.exit_code != 0) return absl::InternalError("mariadb-install-db failed: " + inst.output);
  return StartOn(dir, dir + "/data", server_id, std::move(extra_args));
}

absl::StatusOr<std::unique_ptr<MariaDb>> MariaDb::StartOn(const std::string& dir, const std::string& data_dir,
                                                          int server_id, std::vector<std::string> extra_args) {
  std::unique_ptr<MariaDb> m(new MariaDb());
  const std::string tmpdir = "--tmpdir=" + dir + "/tmp";
  std::filesystem::create_directories(dir + "/tmp");
  m->port_ = FreePort();
  m->socket_ = dir + "/mysqld.sock";
  std::vector<std::string> argv = {"/usr/sbin/mariadbd",
                                   "--no-defaults",
                                   "--datadir=" + data_dir,
                                   "--socket=" + m->socket_,
                                   absl::StrCat("--port=", m->port_),
                                   "--bind-address=127.0.0.1",
                                   absl::StrCat("--server-id=", server_id),
                                   "--log-bin=mysql-bin",
                                   "--user=root",
                                   "--pid-file=" + dir + "/mysqld.pid",
                                   "--innodb-buffer-pool-size=32M",
                                   "--skip-name-resolve",
                                   tmpdir};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto p = Process::Start(argv, dir + "/mariadb.log");
  if (!p.ok()) return p.status();
  m->process_ = *std::move(p);
  bool up = WaitFor([&] { return m->Sql("SELECT 1").exit_code == 0; }, absl::Seconds(60));
  if (!up) return absl::InternalError("mariadbd did not start:\n" + m->process_->Log());
  return m;
}

RunResult MariaDb::Sql(const std::string& sql) const {
  // Vertical output (\G) keeps its column names; everything else comes as bare rows.
  const bool vertical = sql.size() >= 2 && sql.substr(sql.size() - 2) == "\\G";
  std::vector<std::string> argv = {"mariadb", "--no-defaults", "-S", socket_, "-u", "root"};
  if (!vertical) argv.insert(argv.end(), {"-N", "-B"});
  argv.insert(argv.end(), {"-e", sql});
  return RunCommand(argv, absl::Seconds(60));
}

absl::Status MariaDb::ReplicateFrom(const MariaDb& primary) const {
  RunResult r = Sql(absl::StrCat("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=", primary.port(),
                                 ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos; START SLAVE;"));
  if (r.exit_code != 0) return absl::InternalError("CHANGE MASTER failed: " + r.output);
  bool running = WaitFor(
      [&] {
        std::string s = Sql("SHOW SLAVE STATUS\\G").output;
        return s.find("Slave_IO_Running: Yes") != std::string::npos &&
               s.find("Slave_SQL_Running: Yes") != std::string::npos;
      },
      absl::Seconds(30));
  if (!running) return absl::InternalError("replication did not start: " + Sql("SHOW SLAVE STATUS\\G").output);
  return absl::OkStatus();
}

}  // namespace paraat::testing
