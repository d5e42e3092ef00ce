// restic, borg and pgBackRest checks against real repositories made by the real tools, then
// damaged: a flipped byte in a pack or segment must read as corrupt; a wrong password, a
// missing repository or a missing binary as an error with a clear message; a repository
// locked by a running backup as locked, never as corrupt.
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

// Flips bytes in the largest file under `dir` (a data pack or segment).
void CorruptLargestFile(const std::string& dir) {
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.file_size() > size) {
      size = e.file_size();
      largest = e.path();
    }
  }
  ASSERT_FALSE(largest.empty());
  ::chmod(largest.c_str(), 0644);
  std::string data = ReadFileOrDie(largest);
  for (size_t i = data.size() / 2; i < data.size() / 2 + 16; ++i) data[i] ^= 0x5a;
  WriteFileOrDie(largest, data);
}

std::string Detail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

class ResticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("restic")) << "Debian's restic is needed: scripts/test.sh installs it";
    WriteFileOrDie(dir_ / "pw", "correct horse battery staple\n");
    ::chmod((dir_ / "pw").c_str(), 0600);
    WriteBackup(dir_ / "data/a.bin", 3 << 20, false);
    WriteBackup(dir_ / "data/b.bin", 1 << 20, false);
    ASSERT_EQ(Restic({"init"}).exit_code, 0);
    RunResult b = Restic({"backup", "--host", "db-01", "--tag", "nightly", dir_ / "data"});
    ASSERT_EQ(b.exit_code, 0) << b.output;
  }
  RunResult Restic(std::vector<std::string> args) {
    args.insert(args.begin(), {"restic", "-r", dir_ / "repo"});
    return RunCommand(args, absl::Seconds(120), "",
                      {{"RESTIC_PASSWORD_FILE", dir_ / "pw"}, {"RESTIC_CACHE_DIR", dir_ / "cache"}});
  }
  std::string Check(const std::string& extra = "") {
    return absl::StrCat(
        "    id: restic-offsite\n    kind: restic\n    interval: 1h\n    repository: repo\n"
        "    password_file: pw\n",
        extra);
  }
  TempDir dir_;
};

TEST_F(ResticTest, LatestSnapshotIsTheRecoveryPoint) {
  v1::Result r = RunYamlCheck(dir_, Check("    host: db-01\n    tags: [nightly]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  ASSERT_TRUE(r.facts().has_recovery_point_unix_ns());
  EXPECT_NEAR(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())),
              absl::ToUnixSeconds(absl::Now()), 120);
  EXPECT_THAT(Detail(r, "tool_version"), HasSubstr("restic 0."));
  EXPECT_EQ(Detail(r, "snapshot_host"), "db-01");
  EXPECT_FALSE(Detail(r, "snapshot_id").empty());
  // Without reading data back, restic's check proves the structure only.
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  // A filter that matches nothing: no snapshot, no recovery point.
  r = RunYamlCheck(dir_, Check("    host: some-other-host\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("no snapshots in"));
}

TEST_F(ResticTest, ReadDataSubsetRotatesUntilEverythingIsRead) {
  v1::Result first = RunYamlCheck(dir_, Check("    read_data_subset: 50%\n"));
  EXPECT_EQ(first.status(), v1::CHECK_STATUS_OK) << first.message();
  EXPECT_EQ(Detail(first, "read_data_subset"), "1/2");
  EXPECT_DOUBLE_EQ(first.facts().coverage(), 0.5);
  EXPECT_EQ(first.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  v1::Result second = RunYamlCheck(dir_, Check("    read_data_subset: 50%\n"));
  EXPECT_EQ(Detail(second, "read_data_subset"), "2/2");
  EXPECT_DOUBLE_EQ(second.facts().coverage(), 1.0);
  EXPECT_EQ(second.facts().integrity(), v1::INTEGRITY_VERIFIED);
  v1::Result third = RunYamlCheck(dir_, Check("    read_data_subset: 50%\n"));
  EXPECT_EQ(Detail(third, "read_data_subset"), "1/2");
  // Another subset size cuts the packs differently: the rotation starts afresh.
  v1::Result quarter = RunYamlCheck(dir_, Check("    read_data_subset: 25%\n"));
  EXPECT_EQ(Detail(quarter, "read_data_subset"), "1/4");
  EXPECT_DOUBLE_EQ(quarter.facts().coverage(), 0.25);
}

double Value(const v1::Result& r, const std::string& name) {
  for (const auto& v : r.values()) {
    if (v.name() == name) return v.value();
  }
  return -1;
}

// Coverage age: each subset remembers when it last read back intact; the oldest of those is how
// long the oldest byte has gone unread. The agent's clock is moved on between the real runs.
TEST_F(ResticTest, CoverageAgeIsTheOldestSubsetsLastIntactRead) {
  auto config = CheckConfig(dir_, Check("    read_data_subset: 50%\n    verify_within: 30d\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  FakeClock clock(absl::Now());
  v1::Result first = RunCheck(config->checks[0], &clock, config->state_dir);
  // Subset 1 read now, subset 2 never: unread since the only snapshot, a moment ago.
  EXPECT_EQ(first.status(), v1::CHECK_STATUS_OK) << first.message();
  EXPECT_GE(Value(first, "coverage_age"), 0);
  EXPECT_LT(Value(first, "coverage_age"), 600);
  clock.Advance(absl::Hours(24 * 40));
  v1::Result second = RunCheck(config->checks[0], &clock, config->state_dir);
  // Subset 2 read now; subset 1 last read 40 days ago.
  EXPECT_EQ(Detail(second, "read_data_subset"), "2/2");
  EXPECT_EQ(second.status(), v1::CHECK_STATUS_WARNING) << second.message();
  EXPECT_THAT(second.message(), HasSubstr("; the oldest byte has not been read back for 40d, longer than "
                                          "verify_within 30d"));
  EXPECT_NEAR(Value(second, "coverage_age"), 40 * 86400, 600);
  clock.Advance(absl::Hours(1));
  v1::Result third = RunCheck(config->checks[0], &clock, config->state_dir);
  // Subset 1 read again: the oldest read is subset 2's, an hour ago.
  EXPECT_EQ(third.status(), v1::CHECK_STATUS_OK) << third.message();
  EXPECT_NEAR(Value(third, "coverage_age"), 3600, 1);

  // A damaged pack: the subset holding it stays unread intact, its age keeps growing.
  CorruptLargestFile(dir_ / "repo/data");
  clock.Advance(absl::Hours(24 * 31));
  for (int run = 0; run < 2; ++run) {
    v1::Result r = RunCheck(config->checks[0], &clock, config->state_dir);
    if (r.status() == v1::CHECK_STATUS_FAILED) {
      EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
      EXPECT_EQ(Value(r, "coverage_age"), -1);
    } else {
      EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
      EXPECT_THAT(r.message(), HasSubstr("the oldest byte has not been read back for 31d"));
    }
  }
}

TEST_F(ResticTest, ARotationThatCannotReachEverySubsetInTimeIsAWarning) {
  v1::Result r = RunYamlCheck(dir_, absl::StrReplaceAll(Check("    read_data_subset: 10%\n    verify_within: 30d\n"),
                                                        {{"interval: 1h", "interval: 7d"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(),
              HasSubstr("; the rotation reads every byte in 10 runs of 7d (70d), longer than verify_within 30d"));
  // verify_within bounds a rotation: without read_data_subset it is a config error.
  auto config = CheckConfig(dir_, Check("    verify_within: 30d\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("verify_within: bounds a rotation"));
}

TEST_F(ResticTest, FlippedBytesInAPackAreCorrupt) {
  CorruptLargestFile(dir_ / "repo/data");
  v1::Result r = RunYamlCheck(dir_, Check("    read_data_subset: 100%\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("restic check found errors"));
  EXPECT_THAT(r.output_tail(), HasSubstr("repository contains errors"));
  // The recovery point is still reported (the evaluator excludes corrupt sources).
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());
}

TEST_F(ResticTest, WrongPasswordMissingRepoAndMissingBinaryAreErrors) {
  WriteFileOrDie(dir_ / "wrong", "not the password\n");
  ::chmod((dir_ / "wrong").c_str(), 0600);
  v1::Result r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"password_file: pw", "password_file: wrong"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("wrong password"));
  EXPECT_THAT(r.message() + r.output_tail(), Not(HasSubstr("not the password")));

  r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"repository: repo", "repository: /nonexistent/repo"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("no restic repository at /nonexistent/repo"));

  r = RunYamlCheck(dir_, Check("    binary: /nonexistent/bin/restic\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("/nonexistent/bin/restic not found"));

  // A password given by environment variable that is not set.
  r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"password_file: pw", "password_env: PARAAT_TEST_UNSET_PW"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("PARAAT_TEST_UNSET_PW is not set"));
}

TEST_F(ResticTest, ARunningBackupsLockIsReportedNotBroken) {
  // A backup reading from a pipe that stays open holds its lock until the pipe closes.
  auto backup = Process::Start(
      {"sh", "-c", absl::StrCat("sleep 30 | restic -r ", dir_ / "repo", " backup --stdin --stdin-filename stream.bin")},
      dir_ / "backup.log", {{"RESTIC_PASSWORD_FILE", dir_ / "pw"}, {"RESTIC_CACHE_DIR", dir_ / "cache2"}});
  ASSERT_TRUE(backup.ok());
  ASSERT_TRUE(WaitFor([&] { return !std::filesystem::is_empty(dir_ / "repo/locks"); }, absl::Seconds(20)));
  v1::Result r = RunYamlCheck(dir_, Check());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("locked by a running backup"));
  EXPECT_NE(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());
  // The lock is still there: the check never removes locks.
  EXPECT_FALSE(std::filesystem::is_empty(dir_ / "repo/locks"));
}

TEST_F(ResticTest, WorldReadablePasswordFileIsRefused) {
  ::chmod((dir_ / "pw").c_str(), 0644);
  auto config = CheckConfig(dir_, Check());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("password_file: "));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("is readable by everyone"));
  ::chmod((dir_ / "pw").c_str(), 0600);
  // And a password written into the config itself is refused.
  config = CheckConfig(dir_, Check("    password: hunter2\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("secrets are not accepted in the config"));
}

class BorgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("borg")) << "Debian's borgbackup is needed: scripts/test.sh installs it";
    WriteFileOrDie(dir_ / "pass", "borg passphrase\n");
    ::chmod((dir_ / "pass").c_str(), 0600);
    WriteBackup(dir_ / "data/a.bin", 3 << 20, false);
    ASSERT_EQ(Borg({"init", "-e", "repokey", dir_ / "repo"}).exit_code, 0);
    RunResult c = Borg({"create", (dir_ / "repo") + "::db-01-nightly", dir_ / "data"});
    ASSERT_EQ(c.exit_code, 0) << c.output;
  }
  RunResult Borg(std::vector<std::string> args) {
    args.insert(args.begin(), "borg");
    return RunCommand(args, absl::Seconds(120), "",
                      {{"BORG_PASSPHRASE", "borg passphrase"}, {"BORG_BASE_DIR", dir_ / "borgbase"}});
  }
  std::string Check(const std::string& extra = "") {
    return absl::StrCat(
        "    id: borg-offsite\n    kind: borg\n    interval: 6h\n    repository: repo\n"
        "    passphrase_file: pass\n",
        extra);
  }
  TempDir dir_;
};

TEST_F(BorgTest, LatestArchiveAndCheckedSegments) {
  v1::Result r = RunYamlCheck(dir_, Check("    glob_archives: \"db-01-*\"\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_EQ(Detail(r, "archive"), "db-01-nightly");
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_NEAR(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())),
              absl::ToUnixSeconds(absl::Now()), 120);
  r = RunYamlCheck(dir_, Check("    glob_archives: \"web-*\"\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
}

TEST_F(BorgTest, FlippedBytesInASegmentAreCorrupt) {
  CorruptLargestFile(dir_ / "repo/data");
  v1::Result r = RunYamlCheck(dir_, Check("    verify_data: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("borg check found errors"));
}

TEST_F(BorgTest, WrongPassphraseAndMissingRepositoryAreErrors) {
  WriteFileOrDie(dir_ / "wrong", "nope nope\n");
  ::chmod((dir_ / "wrong").c_str(), 0600);
  v1::Result r =
      RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"passphrase_file: pass", "passphrase_file: wrong"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("wrong passphrase"));
  r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"repository: repo", "repository: /nonexistent/borg"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("no borg repository at /nonexistent/borg"));
}

TEST_F(BorgTest, AnAppendOnlyRepositoryIsAnImmutableCopy) {
  v1::Result r = RunYamlCheck(dir_, Check());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  ASSERT_TRUE(r.facts().has_immutable()) << Detail(r, "immutable");
  EXPECT_FALSE(r.facts().immutable());
  EXPECT_EQ(Detail(r, "immutable"), "no: borg repository append_only = 0");
  // The repository's own setting, as `borg init --append-only` or an administrator sets it.
  RunResult c = Borg({"config", dir_ / "repo", "append_only", "1"});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  r = RunYamlCheck(dir_, Check());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_TRUE(r.facts().immutable());
  EXPECT_EQ(Detail(r, "immutable"), "yes: borg repository append_only = 1");
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED) << "borg check still reads it back";
  // Where borg cannot be asked, nothing is claimed either way.
  r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"repository: repo", "repository: /nonexistent/borg"}}));
  EXPECT_FALSE(r.facts().has_immutable());
}

class PgBackRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("pgbackrest")) << "Debian's pgbackrest is needed: scripts/test.sh installs it";
    ASSERT_FALSE(PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
    std::filesystem::create_directories(dir_ / "pgbr/repo");
    std::filesystem::create_directories(dir_ / "pgbr/lock");
    WriteFileOrDie(dir_ / "pgbr/pgbackrest.conf",
                   absl::StrCat("[global]\nrepo1-path=", dir_ / "pgbr/repo", "\nlock-path=", dir_ / "pgbr/lock",
                                "\nlog-level-file=off\nstart-fast=y\nrepo1-retention-full=2\n[main]\npg1-path=",
                                dir_ / "pg/data", "\npg1-socket-path=", dir_ / "pg", "\n"));
    GiveToPostgres(dir_ / "pgbr");
    auto pg = PgCluster::Create(dir_ / "pg",
                                absl::StrCat("archive_mode = on\narchive_command = 'pgbackrest --config=",
                                             dir_ / "pgbr/pgbackrest.conf", " --stanza=main archive-push %p'\n"));
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = std::move(*pg);
    WriteFileOrDie(dir_ / "pgbr/pgbackrest.conf",
                   ReadFileOrDie(dir_ / "pgbr/pgbackrest.conf") + absl::StrCat("pg1-port=", pg_->port(), "\n"));
    ASSERT_EQ(Backrest({"stanza-create"}).exit_code, 0);
  }
  RunResult Backrest(std::vector<std::string> args) {
    std::vector<std::string> argv = AsPostgres();
    argv.insert(argv.end(), {"pgbackrest", "--config=" + (dir_ / "pgbr/pgbackrest.conf"), "--stanza=main",
                             "--log-level-console=warn"});
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, absl::Seconds(180));
  }
  std::string Check(const std::string& extra = "") {
    return absl::StrCat(
        "    id: pgbackrest-main\n    kind: pgbackrest\n    interval: 1h\n    stanza: main\n"
        "    config: pgbr/pgbackrest.conf\n",
        extra);
  }
  TempDir dir_;
  std::unique_ptr<PgCluster> pg_;
};

TEST_F(PgBackRestTest, NoBackupYetThenAFullBackupThenDamage) {
  v1::Result r = RunYamlCheck(dir_, Check());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("no valid backup"));

  RunResult b = Backrest({"backup", "--type=full"});
  ASSERT_EQ(b.exit_code, 0) << b.output;
  r = RunYamlCheck(dir_, Check("    verify: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(Detail(r, "backup_type"), "full");
  EXPECT_FALSE(Detail(r, "last_full").empty());
  EXPECT_THAT(Detail(r, "wal_archive"), HasSubstr("000000010000000000000"));
  EXPECT_NEAR(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())),
              absl::ToUnixSeconds(absl::Now()), 180);

  // Damage one file of the backup: verify finds it.
  CorruptLargestFile(dir_ / "pgbr/repo/backup");
  r = RunYamlCheck(dir_, Check("    verify: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message() << r.output_tail();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("pgbackrest verify found damage"));
}

TEST_F(PgBackRestTest, UnknownStanzaIsAnError) {
  v1::Result r = RunYamlCheck(dir_, absl::StrReplaceAll(Check(), {{"stanza: main", "stanza: nosuch"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("stanza nosuch: missing stanza path"));
}

}  // namespace
}  // namespace paraat::testing
