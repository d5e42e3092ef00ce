// redis_replication against Debian's redis-server: a primary and a replica on loopback
// (tests/testlib/redis.h). A replica in sync is ready and recent; a stopped primary fails it with
// the moment its link went down as the recovery point; a primary counts its replicas and their
// byte lag; no snapshot since start is no recovery point (rdb_last_save_time is the start time
// then), a failed BGSAVE fails; a wrong or missing password and a down server are errors.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/redis.h"
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

class RedisReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = Redis::Start(dir_ / "primary");
    ASSERT_TRUE(p.ok()) << p.status();
    primary_ = std::move(*p);
    Redis::Options o;
    o.primary = primary_.get();
    o.appendonly = true;
    auto r = Redis::Start(dir_ / "replica", o);
    ASSERT_TRUE(r.ok()) << r.status();
    replica_ = std::move(*r);
    ASSERT_TRUE(replica_->WaitForLinkUp().ok());
  }
  std::string Check(const Redis& server, const std::string& extra = "") {
    return absl::StrCat("    id: redis\n    kind: redis_replication\n    interval: 1m\n    host: 127.0.0.1\n    port: ",
                        server.port(), "\n    password_file: ", server.password_file(), "\n", extra);
  }
  void WaitInSync() {
    const std::string offset = primary_->Info("replication")["master_repl_offset"];
    ASSERT_TRUE(
        WaitFor([&] { return replica_->Info("replication")["slave_repl_offset"] == offset; }, absl::Seconds(10)));
    // The primary learns the replica's offset from its acknowledgement, once a second.
    ASSERT_TRUE(WaitFor(
        [&] {
          return absl::StrContains(primary_->Info("replication")["slave0"], absl::StrCat("offset=", offset, ","));
        },
        absl::Seconds(10)));
  }
  TempDir dir_;
  std::unique_ptr<Redis> primary_, replica_;
};

TEST_F(RedisReplicationTest, ReplicaInSyncAndThePrimaryWithItsReplica) {
  ASSERT_EQ(primary_->Cli({"set", "k", "v"}).output, "OK\n");
  WaitInSync();
  v1::Result r = RunYamlCheck(dir_, Check(*replica_, "    role: replica\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().ready());
  EXPECT_THAT(r.message(), HasSubstr(absl::StrCat("replica of 127.0.0.1:", primary_->port(), ": link up")));
  EXPECT_LT(r.facts().replication_lag_seconds(), 11) << "at most the primary's ping period";
  EXPECT_LT(AgeOfRecoveryPoint(r), 12);
  EXPECT_EQ(Detail(r, "aof_enabled"), "yes");
  EXPECT_EQ(Detail(r, "server_version").substr(0, 2), "7.");

  // The primary: its replica online, no bytes behind. A change but no snapshot since it started:
  // rdb_last_save_time is its start time, which is no recovery point.
  r = RunYamlCheck(dir_, Check(*primary_, "    role: primary\n    min_replicas: 1\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("primary with 1 of 1 replicas online (at most 0 bytes behind)"));
  EXPECT_THAT(r.message(), HasSubstr("no RDB snapshot since the server started, 1 changes in none"));
  EXPECT_EQ(r.facts().replication_lag_bytes(), 0u);
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());

  ASSERT_THAT(primary_->Cli({"bgsave"}).output, HasSubstr("Background saving started"));
  // rdb_saves counts a save when it starts; rdb_last_save_time moves when it ends.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto p = primary_->Info("persistence");
        return p["rdb_saves"] == "1" && p["rdb_bgsave_in_progress"] == "0";
      },
      absl::Seconds(10)));
  const int64_t saved = std::stoll(primary_->Info("persistence")["rdb_last_save_time"]);
  ASSERT_EQ(primary_->Cli({"set", "k2", "v"}).output, "OK\n");
  r = RunYamlCheck(dir_, Check(*primary_, "    min_replicas: 1\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), saved * 1000000000) << "the snapshot, not the change after it";
  EXPECT_THAT(r.message(), HasSubstr("changes since"));

  // Two replicas expected, one there; a replica where a primary is expected, and the reverse.
  r = RunYamlCheck(dir_, Check(*primary_, "    min_replicas: 2\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("expected at least 2"));
  r = RunYamlCheck(dir_, Check(*primary_, "    role: replica\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("is a primary, not a replica"));
  EXPECT_FALSE(r.facts().ready());
}

TEST_F(RedisReplicationTest, AStoppedPrimaryFailsTheReplicaFromTheMomentItsLinkWentDown) {
  WaitInSync();
  // An idle link: nothing heard for longer than max_last_io is not ready, link up or not (a hung
  // primary keeps the link up until repl-timeout).
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string io = replica_->Info("replication")["master_last_io_seconds_ago"];
        return io >= "2" && io <= "7" && io.size() == 1;
      },
      absl::Seconds(15)));
  v1::Result r = RunYamlCheck(dir_, Check(*replica_, "    max_last_io: 1s\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("link up, but nothing heard from the primary for"));
  EXPECT_FALSE(r.facts().ready());

  const absl::Time stopped = absl::Now();
  primary_->Stop();
  ASSERT_TRUE(WaitFor([&] { return replica_->Info("replication")["master_link_status"] == "down"; }, absl::Seconds(5)));
  r = RunYamlCheck(dir_, Check(*replica_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("link down for"));
  EXPECT_FALSE(r.facts().ready());
  EXPECT_NEAR(absl::ToDoubleSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns()) - stopped), 0, 2.1);
}

TEST_F(RedisReplicationTest, AFailedBgsaveFailsAndAofIsTheRecoveryPoint) {
  // The snapshot cannot be renamed into place: dump.rdb is a directory.
  std::filesystem::create_directories(primary_->dir() + "/dump.rdb/x");
  ASSERT_THAT(primary_->Cli({"bgsave"}).output, HasSubstr("Background saving started"));
  ASSERT_TRUE(
      WaitFor([&] { return primary_->Info("persistence")["rdb_last_bgsave_status"] == "err"; }, absl::Seconds(10)));
  v1::Result r = RunYamlCheck(dir_, Check(*primary_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("the last BGSAVE failed (rdb_last_bgsave_status:err)"));

  // The replica writes an AOF: its own disk holds every write it got. Its recovery point is still
  // its replication.
  r = RunYamlCheck(dir_, Check(*replica_));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("AOF on"));
}

TEST_F(RedisReplicationTest, WrongOrMissingPasswordAndADownServerAreErrors) {
  WriteFileOrDie(dir_ / "wrong.pass", "not-the-password\n");
  std::filesystem::permissions(dir_ / "wrong.pass", std::filesystem::perms::owner_read);
  v1::Result r = RunYamlCheck(dir_, absl::StrCat("    id: redis\n    kind: redis_replication\n    interval: 1m\n"
                                                 "    port: ",
                                                 replica_->port(), "\n    password_file: wrong.pass\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("refused the login: WRONGPASS"));
  EXPECT_THAT(r.message(), ::testing::Not(HasSubstr("not-the-password")));
  r = RunYamlCheck(
      dir_,
      absl::StrCat("    id: redis\n    kind: redis_replication\n    interval: 1m\n    port: ", replica_->port(), "\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("NOAUTH Authentication required. (set password_file)"));
  const int port = FreePort();
  r = RunYamlCheck(
      dir_, absl::StrCat("    id: redis\n    kind: redis_replication\n    interval: 1m\n    port: ", port, "\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(r.message(), absl::StrCat("cannot connect to Redis at 127.0.0.1:", port, ": Connection refused"));
}

}  // namespace
}  // namespace paraat::testing
