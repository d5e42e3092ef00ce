// The mariabackup restore_test recipe against Debian's MariaDB 10.11 and mariabackup
// (tests/testlib/mariadb.h, mariabackup.h): the newest full backup is copied, prepared and started
// as a throw-away server that answers the validation query with the backup's rows; the backup
// itself stays unprepared; an incremental backup is not taken for a full one; a backup that
// cannot be prepared fails the restore test; a missing program is an error.
#include "tests/testlib/mariabackup.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/mariadb.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Recipe(const std::string& extra) {
  return absl::StrCat(
      "    id: mariabackup-restore\n    kind: restore_test\n    interval: 24h\n    timeout: 5m\n"
      "    recipe: mariabackup\n    backup: backups/*\n    validate_query: \"SELECT count(*) FROM shop.orders\"\n",
      extra);
}

int ScratchFolders(const TempDir& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "spool")) {
    if (e.path().filename().string().rfind("scratch-", 0) == 0) ++n;
  }
  return n;
}

TEST(MariabackupRestoreTest, TheNewestFullBackupIsPreparedStartedAndValidated) {
  TempDir dir;
  auto db = MariaDb::Start(dir / "db", 1);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ((*db)
                ->Sql("CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB;"
                      "INSERT INTO shop.orders VALUES (1), (2), (3);")
                .exit_code,
            0);
  std::filesystem::create_directories(dir / "backups");
  ASSERT_TRUE(MariaBackup(**db, dir / "backups/full-1").ok());
  // A row after the full backup, in an incremental one: the recipe restores full backups only.
  ASSERT_EQ((*db)->Sql("INSERT INTO shop.orders VALUES (4)").exit_code, 0);
  RunResult inc =
      RunCommand({"mariabackup", "--no-defaults", "--backup", "--target-dir=" + (dir / "backups/inc-1"),
                  "--incremental-basedir=" + (dir / "backups/full-1"), "--socket=" + (*db)->socket(), "--user=root"},
                 absl::Seconds(300));
  ASSERT_EQ(inc.exit_code, 0) << inc.output;

  v1::Result r = RunYamlCheck(dir, Recipe("    expect_min: 3\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_TRUE(r.facts().restore_succeeded());
  EXPECT_EQ(ResultDetail(r, "backup"), dir / "backups/full-1");
  EXPECT_EQ(ResultDetail(r, "validation_result"), "3") << "the backup's rows";
  EXPECT_THAT(ResultDetail(r, "binlog_position"), StartsWith("mysql-bin.000001"));
  EXPECT_NEAR(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())),
              absl::ToUnixSeconds(absl::Now()), 300);
  EXPECT_THAT(r.output_tail(), HasSubstr("completed OK!"));
  EXPECT_THAT(r.output_tail(), HasSubstr("ready for connections"));
  EXPECT_THAT(ReadFileOrDie(dir / "backups/full-1/xtrabackup_checkpoints"), StartsWith("backup_type = full-backuped"))
      << "the backup itself is not prepared";
  EXPECT_EQ(ScratchFolders(dir), 0);

  // The validation sees the backup's data: four rows are not there.
  r = RunYamlCheck(dir, Recipe("    expect_min: 4\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("returned 3, expected at least 4"));

  // A newer full backup that lost its system tablespace cannot be prepared.
  std::filesystem::copy(dir / "backups/full-1", dir / "backups/full-2", std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir / "backups/full-2/ibdata1");
  const std::string info = ReadFileOrDie(dir / "backups/full-2/xtrabackup_info");
  const size_t at = info.find("end_time = ") + strlen("end_time = ");
  WriteFileOrDie(dir / "backups/full-2/xtrabackup_info",
                 info.substr(0, at) +
                     absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::Now() + absl::Minutes(1), absl::LocalTimeZone()) +
                     info.substr(info.find('\n', at)));
  r = RunYamlCheck(dir, Recipe(""));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(ResultDetail(r, "backup"), dir / "backups/full-2");
  EXPECT_THAT(r.message(), HasSubstr("mariabackup --prepare failed"));
  EXPECT_THAT(r.message(), HasSubstr("InnoDB files do not exist"));

  r = RunYamlCheck(dir, Recipe("    mariabackup: /nonexistent/mariabackup\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("/nonexistent/mariabackup not found"));
}

}  // namespace
}  // namespace paraat::testing
