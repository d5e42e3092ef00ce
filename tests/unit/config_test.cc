// Agent and collector config files: good ones load, bad ones say file:line: key: problem.
#include "agent/config.h"

#include <sys/stat.h>

#include <filesystem>

#include "collector/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AgentConfig, LoadsTheDesignExample) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "agent.yaml", R"(agent:
  id: db-01
  labels: {site: zwolle, env: prod}
collector:
  address: 127.0.0.1:7443
spool: {dir: /var/lib/paraat/spool, max_size: 256MiB}
checks:
  - id: pg-dump-nightly
    kind: file_backup
    interval: 15m
    path: /backups/pg/*.dump
    min_size: 1MiB
    checksum: sidecar
    labels: {team: dba}
  - {id: quick, kind: file_backup, interval: 30s, timeout: 10s, path: backups/*.tar}
)");
  auto c = LoadAgentConfig(dir / "agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->agent_id, "db-01");
  EXPECT_EQ(c->labels.at("site"), "zwolle");
  EXPECT_EQ(c->spool_max_size, 256u << 20);
  ASSERT_EQ(c->checks.size(), 2u);
  EXPECT_EQ(c->checks[0].interval, absl::Minutes(15));
  EXPECT_EQ(c->checks[0].timeout, absl::Minutes(15));  // defaults to the interval
  EXPECT_EQ(c->checks[0].labels.at("team"), "dba");
  EXPECT_EQ(c->checks[1].timeout, absl::Seconds(10));
  EXPECT_EQ(c->FindCheck("quick")->kind, "file_backup");
}

TEST(AgentConfig, ReportsEveryMistake) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "agent.yaml", R"(agent: {id: db-01}
collector:
  address: collector.example.org:7443
spool: {dir: spool}
checks:
  - id: a
    kind: file_backup
    interval: 15m
    path: /b/*.dump
    min_sise: 1MiB
  - id: a
    kind: file_backup
    interval: 1m
    path: /c/*
  - id: b
    kind: tape_robot
    interval: 1m
  - id: c
    kind: file_backup
    interval: often
    path: /x
)");
  auto c = LoadAgentConfig(dir / "agent.yaml");
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  const std::string f = dir / "agent.yaml";
  EXPECT_THAT(msg, HasSubstr(f + ":3: collector.address: plaintext to collector.example.org:7443 is refused"));
  EXPECT_THAT(msg, HasSubstr(f + ":10: checks[0].min_sise: unknown key (did you mean \"min_size\"?)"));
  EXPECT_THAT(msg, HasSubstr(f + ":11: checks[1].id: \"a\" is used by another check"));
  EXPECT_THAT(msg, HasSubstr(f + ":16: checks[2].kind: unknown kind \"tape_robot\""));
  EXPECT_THAT(msg, HasSubstr(f + ":20: checks[3].interval: \"often\" is not a duration"));
}

TEST(AgentConfig, MissingSectionsAndUnreadableFiles) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "agent.yaml", "agent: {id: x}\n");
  auto c = LoadAgentConfig(dir / "agent.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(":1: collector: is required"));
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("checks: is required"));
  auto missing = LoadAgentConfig(dir / "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.yaml: cannot read: No such file"));
}

// Every secret of the agent is known to every check: a result is redacted of all of them.
TEST(AgentConfig, EveryCheckRedactsEverySecretOfTheAgent) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "restic.pass", "Horse-Battery-Staple\n");
  ::chmod((dir / "restic.pass").c_str(), 0600);
  ::setenv("PARAAT_TEST_DB_PASSWORD", "db-pw-0815", 1);
  testing::WriteFileOrDie(dir / "agent.yaml", R"(collector: {address: 127.0.0.1:7443}
spool: {dir: spool}
checks:
  - {id: offsite, kind: restic, interval: 1h, repository: /srv/restic, password_file: restic.pass}
  - {id: replica, kind: mysql_replication, interval: 1m, host: db, password_env: PARAAT_TEST_DB_PASSWORD}
  - {id: plugin, kind: command, interval: 1m, command: [/bin/true]}
)");
  auto c = LoadAgentConfig(dir / "agent.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->checks.size(), 3u);
  const CheckSpec& plugin = c->checks[2];
  ASSERT_NE(plugin.agent_secrets, nullptr);
  EXPECT_EQ(plugin.agent_secrets, c->checks[0].agent_secrets) << "one set for the agent";
  EXPECT_THAT(plugin.agent_secrets->Values(), ::testing::UnorderedElementsAre("Horse-Battery-Staple", "db-pw-0815"));

  paraat::v1::Result r;
  r.set_message("key Horse-Battery-Staple and db-pw-0815");
  r.set_output_tail("...Horse-Battery-Staple\n");
  AddDetail(&r, "dsn", "mysql://app:db-pw-0815@db");
  AddValue(&r, "db-pw-0815", 1);
  RedactResult(&r, plugin.agent_secrets->Values());
  EXPECT_EQ(r.message(), "key [REDACTED] and [REDACTED]");
  EXPECT_EQ(r.output_tail(), "...[REDACTED]\n");
  EXPECT_EQ(r.details(0).value(), "mysql://app:[REDACTED]@db");
  EXPECT_EQ(r.values(0).name(), "[REDACTED]");
  ::unsetenv("PARAAT_TEST_DB_PASSWORD");
}

TEST(CollectorConfig, ResolvesRelativePathsAgainstTheConfigFile) {
  testing::TempDir dir;
  testing::WriteFileOrDie(
      dir / "collector.yaml",
      "listen: 127.0.0.1:7443\nstorage: sqlite://data/paraat.db\nplans_dir: plans\nretention: 400d\n");
  auto c = LoadCollectorConfig(dir / "collector.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->storage, "sqlite://" + (dir / "data/paraat.db"));
  EXPECT_EQ(c->plans_dir, dir / "plans");
  EXPECT_EQ(c->retention, absl::Hours(24 * 400));
}

TEST(CollectorConfig, RefusesPlaintextOffLoopbackAndBadValues) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "collector.yaml",
                          "listen: 0.0.0.0:7443\nstorage: mysql://x\nplans_dir: plans\nretention: forever\n");
  auto c = LoadCollectorConfig(dir / "collector.yaml");
  ASSERT_FALSE(c.ok());
  const std::string msg(c.status().message());
  EXPECT_THAT(msg, HasSubstr(":2: storage: \"mysql://x\" is not a storage URL"));
  EXPECT_THAT(msg, HasSubstr(":4: retention: \"forever\" is not a duration"));

  testing::WriteFileOrDie(dir / "collector.yaml", "listen: 0.0.0.0:7443\nstorage: sqlite://x.db\nplans_dir: p\n");
  c = LoadCollectorConfig(dir / "collector.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr(":1: listen: plaintext gRPC on non-loopback address 0.0.0.0:7443 is refused"));
  testing::WriteFileOrDie(dir / "collector.yaml",
                          "listen: 0.0.0.0:7443\nstorage: sqlite://x.db\nplans_dir: p\ninsecure: true\n");
  EXPECT_TRUE(LoadCollectorConfig(dir / "collector.yaml").ok());
}

TEST(CollectorConfig, NamesEveryMissingFileWhereTheConfigNamesIt) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "collector.yaml", R"(listen: 127.0.0.1:7443
storage: sqlite://x.db
plans_dir: plans
tls: {ca: ca.pem, cert: c.pem, key: c.key}
metrics_auth: {user: prometheus, password_file: metrics.pass}
auth:
  tokens:
    - {file: admin.token, role: admin}
)");
  testing::WriteFileOrDie(dir / "ca.pem", "ca");
  testing::WriteFileOrDie(dir / "plans", "a file, not a directory");
  auto c = LoadCollectorConfig(dir / "collector.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Status st = c->CheckPathsExist();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(st.message());
  const std::string f = dir / "collector.yaml";
  EXPECT_THAT(msg, HasSubstr(f + ":3: plans_dir: " + (dir / "plans") + " is not a directory"));
  EXPECT_THAT(msg, HasSubstr(f + ":4: tls.cert: " + (dir / "c.pem") + " does not exist"));
  EXPECT_THAT(msg, HasSubstr(f + ":4: tls.key: " + (dir / "c.key") + " does not exist"));
  EXPECT_THAT(msg, HasSubstr(f + ":5: metrics_auth.password_file: " + (dir / "metrics.pass") + " does not exist"));
  EXPECT_THAT(msg, HasSubstr(f + ":8: auth.tokens[0].file: " + (dir / "admin.token") + " does not exist"));
  EXPECT_THAT(msg, Not(HasSubstr("tls.ca")));

  std::filesystem::remove(dir / "plans");
  std::filesystem::create_directory(dir / "plans");
  for (const char* secret : {"c.pem", "c.key", "metrics.pass", "admin.token"}) {
    testing::WriteFileOrDie(dir / secret, "x");
    ::chmod((dir / secret).c_str(), 0600);
  }
  EXPECT_TRUE(c->CheckPathsExist().ok()) << c->CheckPathsExist();
}

}  // namespace
}  // namespace paraat
