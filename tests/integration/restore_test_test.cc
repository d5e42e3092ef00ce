// restore_test with real restores: your own commands, the restic recipe against a real
// repository, and the pg_restore recipe against a real PostgreSQL server. A restore that
// fails, fails validation or runs past its timeout is a failed test; one that cannot start is
// an error; the scratch folder is always removed; secrets never reach the output.
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/pg_cluster.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int ScratchFolders(const TempDir& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir / "spool", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind("scratch-", 0) == 0) ++n;
  }
  return n;
}

TEST(RestoreTest, CommandAndValidationPass) {
  TempDir dir;
  WriteBackup(dir / "backup/db.tar", 100000, false);
  v1::Result r = RunYamlCheck(dir, absl::StrCat(R"(    id: restore-drill
    kind: restore_test
    interval: 24h
    timeout: 1m
    command: [cp, ")",
                                                dir / "backup/db.tar", R"(", "{scratch}/db.tar"]
    validate: [cmp, ")",
                                                dir / "backup/db.tar", R"(", "{scratch}/db.tar"]
)"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_TRUE(r.facts().restore_succeeded());
  EXPECT_GT(r.facts().restore_duration_seconds(), 0);
  EXPECT_LT(r.facts().restore_duration_seconds(), 30);
  EXPECT_THAT(r.message(), HasSubstr("restore test passed in"));
  EXPECT_EQ(ScratchFolders(dir), 0) << "the scratch folder must be removed";
}

TEST(RestoreTest, FailingValidationIsAFailedTest) {
  TempDir dir;
  v1::Result r = RunYamlCheck(dir, R"(    id: restore-drill
    kind: restore_test
    interval: 24h
    command: [sh, -c, "echo restoring; echo partial > {scratch}/db"]
    validate: [grep, -q, complete, "{scratch}/db"]
)");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_FALSE(r.facts().restore_succeeded());
  EXPECT_THAT(r.message(), HasSubstr("the validation failed (exit code 1)"));
  EXPECT_THAT(r.output_tail(), HasSubstr("restoring"));
  EXPECT_EQ(ScratchFolders(dir), 0);
}

TEST(RestoreTest, TimeoutIsAFailedTestNotAnError) {
  TempDir dir;
  v1::Result r = RunYamlCheck(dir, R"(    id: restore-drill
    kind: restore_test
    interval: 24h
    timeout: 1s
    command: [sleep, "30"]
)");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_FALSE(r.facts().restore_succeeded());
  EXPECT_THAT(r.message(), HasSubstr("did not finish within the timeout (1s)"));
  EXPECT_GE(r.facts().restore_duration_seconds(), 1.0);
  EXPECT_LT(r.facts().restore_duration_seconds(), 10.0);
  EXPECT_EQ(ScratchFolders(dir), 0);
}

TEST(RestoreTest, MissingProgramIsAnError) {
  TempDir dir;
  v1::Result r = RunYamlCheck(dir, R"(    id: restore-drill
    kind: restore_test
    interval: 24h
    command: [/usr/local/sbin/no-such-restore-drill]
)");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_FALSE(r.facts().has_restore_succeeded());
  EXPECT_THAT(r.message(), HasSubstr("not found"));
}

TEST(RestoreTest, SecretsAreRedactedFromTheOutput) {
  TempDir dir;
  v1::Result r = RunYamlCheck(dir, R"(    id: restore-drill
    kind: restore_test
    interval: 24h
    command: [sh, -c, "echo connecting with password=hunter2 to postgresql://app:s3cr3t@db/prod; exit 3"]
)");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.output_tail() + r.message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.output_tail() + r.message(), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(r.output_tail(), HasSubstr("password=[REDACTED]"));
}

TEST(RestoreTest, ResticRecipeRestoresAndCompares) {
  ASSERT_TRUE(HaveProgram("restic")) << "Debian's restic is needed: scripts/test.sh installs it";
  TempDir dir;
  WriteFileOrDie(dir / "pw", "restore test password\n");
  ::chmod((dir / "pw").c_str(), 0600);
  WriteBackup(dir / "data/a.bin", 2 << 20, false);
  WriteBackup(dir / "data/sub/b.bin", 12345, false);
  std::map<std::string, std::string> env = {{"RESTIC_PASSWORD_FILE", dir / "pw"}, {"RESTIC_CACHE_DIR", dir / "c"}};
  ASSERT_EQ(RunCommand({"restic", "-r", dir / "repo", "init"}, absl::Seconds(60), "", env).exit_code, 0);
  ASSERT_EQ(RunCommand({"restic", "-r", dir / "repo", "backup", dir / "data"}, absl::Seconds(60), "", env).exit_code,
            0);
  const std::string check = R"(    id: restic-restore
    kind: restore_test
    interval: 24h
    recipe: restic
    repository: repo
    password_file: pw
)";
  v1::Result r = RunYamlCheck(dir, check);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_TRUE(r.facts().restore_succeeded());
  EXPECT_EQ(r.facts().verified_bytes(), (2u << 20) + 12345);
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());
  EXPECT_EQ(ScratchFolders(dir), 0);

  // Damage the repository: the restore itself fails.
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "repo/data")) {
    if (e.is_regular_file() && e.file_size() > size) {
      size = e.file_size();
      largest = e.path();
    }
  }
  ::chmod(largest.c_str(), 0644);
  std::string data = ReadFileOrDie(largest);
  data[data.size() / 2] ^= 0x01;
  WriteFileOrDie(largest, data);
  r = RunYamlCheck(dir, check);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_FALSE(r.facts().restore_succeeded());
  EXPECT_THAT(r.message(), HasSubstr("restic restore failed"));
}

class PgRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
    auto pg = PgCluster::Create(dir_ / "pg");
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = std::move(*pg);
    ASSERT_EQ(pg_->Tool("createdb", {"brp"}).exit_code, 0);
    ASSERT_EQ(pg_->Sql("CREATE TABLE personen (bsn int PRIMARY KEY, naam text); "
                       "INSERT INTO personen SELECT g, 'persoon ' || g FROM generate_series(1, 500) g;",
                       "brp")
                  .exit_code,
              0);
    std::filesystem::create_directories(dir_ / "dumps");
    GiveToPostgres(dir_ / "dumps");
    RunResult d = pg_->Tool("pg_dump", {"-Fc", "-f", dir_ / "dumps/brp.dump", "brp"});
    ASSERT_EQ(d.exit_code, 0) << d.output;
  }
  std::string Check(const std::string& extra) {
    return absl::StrCat(
        "    id: pg-restore\n    kind: restore_test\n    interval: 24h\n    timeout: 2m\n"
        "    recipe: pg_restore\n    dump: dumps/*.dump\n    host: ",
        pg_->socket_dir(), "\n    port: \"", pg_->port(), "\"\n    user: postgres\n    bin_dir: ", PgBinDir(), "\n",
        extra);
  }
  TempDir dir_;
  std::unique_ptr<PgCluster> pg_;
};

TEST_F(PgRestoreTest, RestoresIntoAScratchDatabaseAndValidates) {
  v1::Result r =
      RunYamlCheck(dir_, Check("    validate_query: \"SELECT count(*) FROM personen\"\n    expect_min: 500\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << "\n" << r.output_tail();
  EXPECT_TRUE(r.facts().restore_succeeded());
  bool found = false;
  for (const auto& d : r.details()) found |= d.key() == "validation_result" && d.value() == "500";
  EXPECT_TRUE(found);
  // The scratch database is gone again.
  EXPECT_EQ(pg_->Sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'paraat_restore%'").output, "0\n");
}

TEST_F(PgRestoreTest, ValidationBelowExpectationFails) {
  v1::Result r =
      RunYamlCheck(dir_, Check("    validate_query: \"SELECT count(*) FROM personen\"\n    expect_min: 1000\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("returned 500, expected at least 1000"));
  EXPECT_EQ(pg_->Sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'paraat_restore%'").output, "0\n");
}

TEST_F(PgRestoreTest, DamagedDumpFails) {
  std::string dump = ReadFileOrDie(dir_ / "dumps/brp.dump");
  WriteFileOrDie(dir_ / "dumps/brp.dump", dump.substr(0, dump.size() / 2));
  v1::Result r = RunYamlCheck(dir_, Check(""));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("pg_restore failed"));
  EXPECT_EQ(pg_->Sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'paraat_restore%'").output, "0\n");
}

TEST_F(PgRestoreTest, UnreachableServerIsAnError) {
  std::string check = Check("");
  check = absl::StrReplaceAll(
      check, {{absl::StrCat("port: \"", pg_->port(), "\""), absl::StrCat("port: \"", FreePort(), "\"")}});
  v1::Result r = RunYamlCheck(dir_, check);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("creating the scratch database failed"));
}

}  // namespace
}  // namespace paraat::testing
