// Replication checks against real servers started by the test: a PostgreSQL primary with a
// streaming standby (pg_basebackup -R), and a MariaDB primary with a replica. Paused replay
// under writes shows its true, growing lag; an idle primary with a caught-up standby shows none;
// broken replication, an unreachable server and a denied login read as what they are.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/mariadb.h"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

std::string Detail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

double AgeOfRecoveryPoint(const v1::Result& r) {
  return absl::ToDoubleSeconds(absl::Now() - absl::FromUnixNanos(r.facts().recovery_point_unix_ns()));
}

class PgReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
    auto primary = PgCluster::Create(dir_ / "primary", "wal_sender_timeout = 60s\n");
    ASSERT_TRUE(primary.ok()) << primary.status();
    primary_ = std::move(*primary);
    ASSERT_EQ(primary_->Sql("CREATE TABLE t (id serial PRIMARY KEY, v text)").exit_code, 0);
    auto standby = PgCluster::CreateStandby(dir_ / "standby", *primary_);
    ASSERT_TRUE(standby.ok()) << standby.status();
    standby_ = std::move(*standby);
    ASSERT_TRUE(
        WaitFor([&] { return standby_->Sql("SELECT status FROM pg_stat_wal_receiver").output == "streaming\n"; },
                absl::Seconds(30)));
  }
  std::string Check(const PgCluster& c, const std::string& role, const std::string& extra = "") {
    return absl::StrCat(
        "    id: pg\n    kind: postgres_replication\n    interval: 1m\n    dsn: \"host=", c.socket_dir(),
        " port=", c.port(), " user=postgres dbname=postgres\"\n    role: ", role, "\n", extra);
  }
  // Inserts a row every 100 ms for `seconds`, in one psql session on the primary.
  std::unique_ptr<Process> Writes(int seconds) {
    std::vector<std::string> argv = AsPostgres();
    argv.insert(argv.end(), {PgBinDir() + "/psql", "-h", primary_->socket_dir(), "-p", std::to_string(primary_->port()),
                             "-U", "postgres", "-X", "-c",
                             absl::StrCat("DO $$ BEGIN FOR i IN 1..", seconds * 10,
                                          " LOOP INSERT INTO t(v) VALUES ('x'); COMMIT; PERFORM pg_sleep(0.1); "
                                          "END LOOP; END $$;")});
    return *Process::Start(argv, dir_ / "writes.log");
  }
  TempDir dir_;
  std::unique_ptr<PgCluster> primary_, standby_;
};

TEST_F(PgReplicationTest, CaughtUpStandbyOfAnIdlePrimaryIsNotLagging) {
  ASSERT_EQ(primary_->Sql("INSERT INTO t(v) VALUES ('last write')").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return standby_->Sql("SELECT count(*) FROM t").output == "1\n"; }, absl::Seconds(20)));
  absl::SleepFor(absl::Seconds(6));  // idle: the last transaction grows old
  v1::Result r = RunYamlCheck(dir_, Check(*standby_, "standby"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().ready());
  EXPECT_EQ(r.facts().replication_lag_seconds(), 0) << r.message();
  EXPECT_EQ(r.facts().replication_lag_bytes(), 0u);
  EXPECT_LT(AgeOfRecoveryPoint(r), 3.0);
  EXPECT_THAT(r.message(), HasSubstr("caught up"));
  EXPECT_THAT(Detail(r, "wal_receiver"), HasSubstr("streaming"));
}

TEST_F(PgReplicationTest, PausedReplayUnderWritesShowsItsTrueGrowingLag) {
  ASSERT_EQ(standby_->Sql("SELECT pg_wal_replay_pause()").exit_code, 0);
  auto writes = Writes(10);
  absl::SleepFor(absl::Seconds(3));
  v1::Result first = RunYamlCheck(dir_, Check(*standby_, "standby"));
  absl::SleepFor(absl::Seconds(3));
  v1::Result second = RunYamlCheck(dir_, Check(*standby_, "standby"));
  EXPECT_EQ(second.status(), v1::CHECK_STATUS_WARNING) << second.message();
  EXPECT_THAT(second.message(), HasSubstr("replay is paused"));
  EXPECT_FALSE(second.facts().ready());
  EXPECT_GT(second.facts().replication_lag_seconds(), 5.0);
  EXPECT_GT(second.facts().replication_lag_seconds(), first.facts().replication_lag_seconds() + 2.0);
  EXPECT_GT(second.facts().replication_lag_bytes(), 0u);
  // With the primary at hand the byte lag is exact too.
  v1::Result exact =
      RunYamlCheck(dir_, Check(*standby_, "standby",
                               absl::StrCat("    primary_dsn: \"host=", primary_->socket_dir(),
                                            " port=", primary_->port(), " user=postgres dbname=postgres\"\n")));
  EXPECT_GT(exact.facts().replication_lag_bytes(), 0u);

  ASSERT_EQ(standby_->Sql("SELECT pg_wal_replay_resume()").exit_code, 0);
  writes->Wait(absl::Seconds(30));
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::Result r = RunYamlCheck(dir_, Check(*standby_, "standby"));
        return r.status() == v1::CHECK_STATUS_OK && r.facts().replication_lag_seconds() < 1.0;
      },
      absl::Seconds(30)));
}

TEST_F(PgReplicationTest, PrimarySeesItsStandbysAndMissesThem) {
  v1::Result r = RunYamlCheck(dir_, Check(*primary_, "primary"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("1 of 1 standbys streaming"));
  EXPECT_TRUE(r.facts().ready());
  standby_->Stop();
  ASSERT_TRUE(
      WaitFor([&] { return RunYamlCheck(dir_, Check(*primary_, "primary")).status() == v1::CHECK_STATUS_FAILED; },
              absl::Seconds(30)));
  r = RunYamlCheck(dir_, Check(*primary_, "primary"));
  EXPECT_THAT(r.message(), HasSubstr("1 required"));
  EXPECT_FALSE(r.facts().ready());
  // The standby role on the primary is a mistake worth saying so.
  r = RunYamlCheck(dir_, Check(*primary_, "standby"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("not in recovery"));
}

TEST_F(PgReplicationTest, BrokenReceiverUnderWritesIsNotReadyAndLags) {
  ASSERT_EQ(primary_->Sql("INSERT INTO t(v) VALUES ('before')").exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return standby_->Sql("SELECT count(*) FROM t").output == "1\n"; }, absl::Seconds(20)));
  primary_->Stop("immediate");
  ASSERT_TRUE(WaitFor(
      [&] {
        return standby_->Sql("SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'").output == "0\n";
      },
      absl::Seconds(30)));
  absl::SleepFor(absl::Seconds(2));
  v1::Result r = RunYamlCheck(dir_, Check(*standby_, "standby"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("WAL receiver is not streaming"));
  EXPECT_FALSE(r.facts().ready());
  EXPECT_GT(r.facts().replication_lag_seconds(), 1.0);
}

TEST_F(PgReplicationTest, UnreachableServerAndDeniedLoginAreErrors) {
  std::string check = absl::StrCat(
      "    id: pg\n    kind: postgres_replication\n    interval: 1m\n"
      "    dsn: \"host=127.0.0.1 port=",
      FreePort(), " user=postgres dbname=postgres\"\n");
  v1::Result r = RunYamlCheck(dir_, check);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("cannot connect to PostgreSQL"));
  r = RunYamlCheck(
      dir_, absl::StrCat("    id: pg\n    kind: postgres_replication\n    interval: 1m\n    dsn: \"host=",
                         standby_->socket_dir(), " port=", standby_->port(), " user=intruder dbname=postgres\"\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("role \"intruder\" does not exist"));
  auto config = CheckConfig(dir_,
                            "    id: pg\n    kind: postgres_replication\n    interval: 1m\n"
                            "    dsn: \"host=db user=paraat password=hunter2\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("dsn: contains a password"));
  EXPECT_THAT(std::string(config.status().message()), ::testing::Not(HasSubstr("hunter2")));
}

// The plan's view: a 5 s RPO served by the standby, evaluated by the real collector.
TEST_F(PgReplicationTest, PlanFollowsTheStandby) {
  WriteFileOrDie(dir_ / "plans/brp.yaml", R"(id: brp
name: BRP
objectives: {rpo: 5s, rto: 4h}
sources:
  recovery_point: [t1/pg-standby]
  failover: [t1/pg-standby]
)");
  auto collector = StartCollector(dir_.path(), dir_ / "plans", "evaluation_interval: 500ms\n");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir_ / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                   "}\nspool: {dir: spool}\nchecks:\n  - id: pg-standby\n"
                                                   "    kind: postgres_replication\n    interval: 1s\n"
                                                   "    dsn: \"host=",
                                                   standby_->socket_dir(), " port=", standby_->port(),
                                                   " user=postgres dbname=postgres\"\n"));
  auto agent = Process::Start({AgentBin(), "--config", dir_ / "agent.yaml"}, dir_ / "agent.log");
  ASSERT_TRUE(agent.ok());
  auto state = [&] {
    auto j = nlohmann::json::parse(
        RunCommand({CtlBin(), "--collector", collector->address(), "status", "--json"}).output, nullptr, false);
    return j.is_object() && !j["plans"].empty() ? j["plans"][0]["state"].get<std::string>() : std::string("?");
  };
  ASSERT_TRUE(WaitFor([&] { return state() == "ready"; }, absl::Seconds(30))) << collector->process->Log();
  // Replay paused under writes: lag past the 5 s RPO.
  ASSERT_EQ(standby_->Sql("SELECT pg_wal_replay_pause()").exit_code, 0);
  auto writes = Writes(15);
  EXPECT_TRUE(WaitFor([&] { return state() == "not_ready"; }, absl::Seconds(20)));
  ASSERT_EQ(standby_->Sql("SELECT pg_wal_replay_resume()").exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return state() == "ready"; }, absl::Seconds(20)));
  writes->Wait(absl::Seconds(30));
  // An idle primary with a caught-up standby stays ready, well past the RPO.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (absl::Now() < until) {
    ASSERT_EQ(state(), "ready");
    absl::SleepFor(absl::Milliseconds(500));
  }
}

class MariaDbReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("mariadb-install-db")) << "MariaDB is needed: scripts/test.sh installs it";
    auto primary = MariaDb::Start(dir_ / "primary", 1, {"--event-scheduler=ON"});
    ASSERT_TRUE(primary.ok()) << primary.status();
    primary_ = std::move(*primary);
    auto replica = MariaDb::Start(dir_ / "replica", 2);
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_ = std::move(*replica);
    ASSERT_EQ(primary_
                  ->Sql("CREATE DATABASE paraat; CREATE TABLE paraat.heartbeat (id INT PRIMARY KEY, "
                        "ts TIMESTAMP(6) NOT NULL); CREATE EVENT paraat.beat ON SCHEDULE EVERY 1 SECOND DO "
                        "REPLACE INTO paraat.heartbeat VALUES (1, UTC_TIMESTAMP(6));")
                  .exit_code,
              0);
    ASSERT_TRUE(replica_->ReplicateFrom(*primary_).ok());
    ASSERT_TRUE(WaitFor([&] { return replica_->Sql("SELECT count(*) FROM paraat.heartbeat").output == "1\n"; },
                        absl::Seconds(20)));
  }
  std::string Check(const MariaDb& m, const std::string& extra = "") {
    return absl::StrCat("    id: mdb\n    kind: mysql_replication\n    interval: 1m\n    host: 127.0.0.1\n    port: ",
                        m.port(), "\n    user: root\n", extra);
  }
  TempDir dir_;
  std::unique_ptr<MariaDb> primary_, replica_;
};

TEST_F(MariaDbReplicationTest, HealthyReplicaWithHeartbeat) {
  v1::Result r = RunYamlCheck(dir_, Check(*replica_, "    heartbeat: {table: paraat.heartbeat, column: ts}\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().ready());
  EXPECT_LT(r.facts().replication_lag_seconds(), 3.0);
  EXPECT_EQ(Detail(r, "lag_source"), "heartbeat");
  EXPECT_LT(AgeOfRecoveryPoint(r), 4.0);
  // Without the heartbeat: Seconds_Behind_Master.
  r = RunYamlCheck(dir_, Check(*replica_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(Detail(r, "lag_source"), "Seconds_Behind_Master");
}

TEST_F(MariaDbReplicationTest, StoppedIoThreadLagsByTheHeartbeat) {
  ASSERT_EQ(replica_->Sql("STOP SLAVE IO_THREAD").exit_code, 0);
  absl::SleepFor(absl::Seconds(5));
  v1::Result r = RunYamlCheck(dir_, Check(*replica_, "    heartbeat: {table: paraat.heartbeat}\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("IO thread is No"));
  EXPECT_FALSE(r.facts().ready());
  EXPECT_GT(r.facts().replication_lag_seconds(), 4.0);
  // Seconds_Behind_Master cannot be trusted here, and is not used as a recovery point.
  r = RunYamlCheck(dir_, Check(*replica_));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns()) << r.message();
}

TEST_F(MariaDbReplicationTest, StoppedSqlThreadFailsAndNonReplicaSaysSo) {
  ASSERT_EQ(replica_->Sql("STOP SLAVE SQL_THREAD").exit_code, 0);
  v1::Result r = RunYamlCheck(dir_, Check(*replica_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("SQL thread is No"));
  r = RunYamlCheck(dir_, Check(*primary_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("is not a replica"));
}

TEST_F(MariaDbReplicationTest, DeniedLoginAndUnreachableServerAreErrors) {
  v1::Result r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(*replica_), {{"user: root", "user: intruder"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("Access denied"));
  r = RunYamlCheck(dir_,
                   absl::StrCat("    id: mdb\n    kind: mysql_replication\n    interval: 1m\n    host: 127.0.0.1\n"
                                "    port: ",
                                FreePort(), "\n    user: root\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("cannot connect to 127.0.0.1:"));
}

TEST_F(MariaDbReplicationTest, PlanFollowsTheReplica) {
  WriteFileOrDie(dir_ / "plans/zaak.yaml", R"(id: zaak
name: Zaaksysteem
objectives: {rpo: 5s, rto: 4h}
accept_unevidenced: {rto: "this test follows the replica's recovery point"}
sources:
  recovery_point: [t1/mdb]
)");
  auto collector = StartCollector(dir_.path(), dir_ / "plans", "evaluation_interval: 500ms\n");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir_ / "agent.yaml",
                 absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                              "}\nspool: {dir: spool}\nchecks:\n  - id: mdb\n    kind: mysql_replication\n"
                              "    interval: 1s\n    host: 127.0.0.1\n    port: ",
                              replica_->port(), "\n    user: root\n    heartbeat: {table: paraat.heartbeat}\n"));
  auto agent = Process::Start({AgentBin(), "--config", dir_ / "agent.yaml"}, dir_ / "agent.log");
  ASSERT_TRUE(agent.ok());
  auto state = [&] {
    auto j = nlohmann::json::parse(
        RunCommand({CtlBin(), "--collector", collector->address(), "status", "--json"}).output, nullptr, false);
    return j.is_object() && !j["plans"].empty() ? j["plans"][0]["state"].get<std::string>() : std::string("?");
  };
  ASSERT_TRUE(WaitFor([&] { return state() == "ready"; }, absl::Seconds(30)));
  ASSERT_EQ(replica_->Sql("STOP SLAVE SQL_THREAD").exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return state() == "not_ready"; }, absl::Seconds(20)));
  ASSERT_EQ(replica_->Sql("START SLAVE SQL_THREAD").exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return state() == "ready"; }, absl::Seconds(20)));
}

}  // namespace
}  // namespace paraat::testing
