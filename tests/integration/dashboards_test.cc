// The Grafana dashboards against real data: a collector with agents running every kind of check
// the dashboards show (backups, a Bacula job, an rclone off-site copy, a restore test, a
// PostgreSQL standby, a Redis replica, failover targets), a real Prometheus scraping it, and every panel's query —
// variables widened — must return data.
#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/bacula.h"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/redis.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

// Widens Grafana variables: label="$var" and label=~"$var" match anything; rate windows get
// a fixed width.
std::string Widen(std::string expr) {
  expr = std::regex_replace(expr, std::regex(R"(=~?\"\$[A-Za-z_]+\")"), "=~\".+\"");
  return absl::StrReplaceAll(expr, {{"$__rate_interval", "1m"}, {"$__interval", "1m"}, {"$__range", "1h"}});
}

// Series count of an instant query (-1 on a query error).
int Series(int prom_port, const std::string& query, std::string* error) {
  auto body = HttpGet(absl::StrCat("http://127.0.0.1:", prom_port, "/api/v1/query?query=", UrlEncode(query)));
  if (!body.ok()) {
    *error = std::string(body.status().message());
    return -1;
  }
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (!j.is_object() || j.value("status", "") != "success") {
    *error = *body;
    return -1;
  }
  return static_cast<int>(j["data"]["result"].size());
}

// Every dashboard in dashboards/: no hard-coded datasource, every variable and every panel's
// queries return series from the Prometheus at `prom_port`.
void CheckEveryBoard(int prom_port, int* panels, int* queries) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(PARAAT_SOURCE_DIR) + "/dashboards")) {
    auto board = nlohmann::json::parse(ReadFileOrDie(entry.path()));
    const std::string name = entry.path().filename();
    // No hard-coded datasource: every panel and target uses the variable.
    const std::string text = board.dump();
    std::smatch m;
    std::regex uid(R"re("uid":"([^"]*)")re");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), uid); it != std::sregex_iterator(); ++it) {
      std::string u = (*it)[1];
      EXPECT_TRUE(u == "${datasource}" || u == board["uid"].get<std::string>()) << name << " hard-codes uid " << u;
    }
    for (const auto& v : board["templating"]["list"]) {
      if (v["type"] != "query") continue;
      std::smatch lm;
      std::string q = v["query"]["query"];
      ASSERT_TRUE(std::regex_search(q, lm, std::regex(R"(label_values\((.*), *[a-z_]+\))")));
      std::string error;
      EXPECT_GT(Series(prom_port, Widen(lm[1]), &error), 0) << name << " variable " << v["name"] << ": " << error;
    }
    for (const auto& panel : board["panels"]) {
      ++*panels;
      for (const auto& t : panel["targets"]) {
        ++*queries;
        const std::string expr = Widen(t["expr"]);
        std::string error;
        int n = Series(prom_port, expr, &error);
        EXPECT_GT(n, 0) << name << " / " << panel["title"] << ": " << expr << (error.empty() ? "" : "\n" + error);
      }
    }
  }
}

TEST(Dashboards, EveryPanelQueryReturnsData) {
  ASSERT_TRUE(HaveProgram("prometheus")) << "Debian's prometheus is needed: scripts/test.sh installs it";
  ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  TempDir dir;
  auto primary = PgCluster::Create(dir / "primary");
  ASSERT_TRUE(primary.ok()) << primary.status();
  auto standby = PgCluster::CreateStandby(dir / "standby", **primary);
  ASSERT_TRUE(standby.ok()) << standby.status();
  // A backup system that reports the size and files of its newest backup.
  auto bacula = Bacula::Start(dir / "bacula");
  ASSERT_TRUE(bacula.ok()) << bacula.status();
  WriteBackup((*bacula)->data_dir() + "/a.bin", 64 << 10, false);
  auto job = (*bacula)->Backup();
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->status, 'T') << (*bacula)->JobLog(job->id);

  WriteBackup(dir / "backups/db.dump", 1 << 20, true);
  // Its off-site copy on an rclone remote (a local path here), and a Redis replica.
  std::filesystem::copy(dir / "backups", dir / "offsite", std::filesystem::copy_options::recursive);
  auto redis = Redis::Start(dir / "redis");
  ASSERT_TRUE(redis.ok()) << redis.status();
  Redis::Options replica_options;
  replica_options.primary = redis->get();
  auto replica = Redis::Start(dir / "redis-replica", replica_options);
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE((*replica)->WaitForLinkUp().ok()) << (*replica)->Log();
  WriteFileOrDie(dir / "plans/brp.yaml", R"(id: brp
name: Basisregistratie Personen
owner: Team Burgerzaken
tier: 1
objectives: {rpo: 15m, rto: 4h, mtpd: 24h}
tests: {restore_every: 90d}
sources:
  recovery_point: [db-01/pg-standby, db-01/dump]
  integrity: [db-01/dump]
  restore_test: [db-01/drill]
  failover: [db-01/dr-port, db-01/dr-disk]
)");
  // A plan that is not ready, so there are reasons to show.
  WriteFileOrDie(dir / "plans/archief.yaml", R"(id: archief
name: Archief
objectives: {rpo: 1h, rto: 4h}
sources:
  recovery_point: [db-01/missing]
)");
  auto collector = StartCollector(dir.path(), dir / "plans", "evaluation_interval: 1s\n");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(
      dir / "agent.yaml",
      absl::StrCat("agent: {id: db-01}\ncollector: {address: ", collector->address(),
                   "}\nspool: {dir: spool}\nchecks:\n"
                   "  - {id: dump, kind: file_backup, interval: 1s, path: backups/*.dump, checksum: sidecar}\n"
                   "  - {id: dump-rotation, kind: file_backup, interval: 1s, path: backups/*.dump, checksum: "
                   "sidecar, verify: all, verify_fraction: 50%}\n"
                   "  - {id: missing, kind: file_backup, interval: 1s, path: nowhere/*.dump}\n"
                   "  - {id: drill, kind: restore_test, interval: 2s, command: [cp, ",
                   dir / "backups/db.dump",
                   ", \"{scratch}/\"]}\n"
                   "  - {id: dr-port, kind: tcp, interval: 1s, target: \"127.0.0.1:",
                   collector->grpc_port,
                   "\"}\n"
                   "  - {id: dr-disk, kind: disk_space, interval: 1s, path: ",
                   dir.path(),
                   ", min_free: 1MiB}\n"
                   "  - {id: bacula, kind: bacula, interval: 1s, config: ",
                   (*bacula)->bconsole_config(), ", job: ", Bacula::kBackupJob, "}\n",
                   "  - {id: offsite, kind: rclone, interval: 2s, remote: \":local:", dir / "offsite",
                   "\", source: ", dir / "backups", "}\n",
                   "  - {id: redis-replica, kind: redis_replication, interval: 1s, port: ", (*replica)->port(),
                   ", password_file: ", (*replica)->password_file(), ", role: replica}\n",
                   "  - id: pg-standby\n    kind: postgres_replication\n    interval: 1s\n    dsn: \"host=",
                   (*standby)->socket_dir(), " port=", (*standby)->port(), " user=postgres dbname=postgres\"\n"));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  auto prom = StartPrometheus(dir.path(), {absl::StrCat("127.0.0.1:", collector->metrics_port)});
  ASSERT_TRUE(prom.ok()) << prom.status();
  // Enough scrapes for rates and histogram quantiles over one minute.
  ASSERT_TRUE(
      WaitFor([&] { return PromQuery(prom->port, "paraat_check_restore_duration_seconds") >= 0; }, absl::Seconds(60)));
  ASSERT_TRUE(
      WaitFor([&] { return PromQuery(prom->port, "paraat_check_up{kind=\"rclone\"}") == 1; }, absl::Seconds(60)))
      << "the off-site copy is not in sync:\n"
      << ReadFileOrDie(dir / "agent.log");
  absl::SleepFor(absl::Seconds(15));

  int panels = 0, queries = 0;
  CheckEveryBoard(prom->port, &panels, &queries);
  EXPECT_GE(panels, 25);
  EXPECT_GE(queries, 40);
  // Prometheus' own linter accepts the exposition with every family the panels draw on.
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics,
              ::testing::HasSubstr("paraat_check_coverage_age_seconds{agent=\"db-01\",check=\"dump-rotation\""));
  RunResult lint = RunCommand({"promtool", "check", "metrics"}, absl::Seconds(30), *metrics);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
}

}  // namespace
}  // namespace paraat::testing
