// The barman kind and the barman restore_test recipe against Debian's Barman 3.4 managing a real
// PostgreSQL with WAL archiving (tests/testlib/barman.h): the newest DONE backup, moved forward by
// the WAL archived after it, is the recovery point; verify-backup reads the backup back; a missing
// WAL segment is a gap for point-in-time recovery and makes check-backup fail the backup; the
// recovered copy starts and answers the validation query with the rows written after the backup;
// a stopped server fails barman check; an unknown server, a missing config or program are errors.
// A Barman backup takes seconds: one per test.
#include "tests/testlib/barman.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

class BarmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = Barman::Create(dir_ / "barman");
    ASSERT_TRUE(b.ok()) << b.status();
    barman_ = std::move(*b);
    ASSERT_EQ(barman_->pg().Sql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS i").exit_code, 0);
  }
  std::string Check(const std::string& extra = "") const {
    return absl::StrCat("    id: barman\n    kind: barman\n    interval: 1h\n    timeout: 5m\n    server: ",
                        Barman::kServer, "\n    config: ", barman_->config(), "\n", extra);
  }
  std::string Recipe(const std::string& extra) const {
    return absl::StrCat("    id: barman-restore\n    kind: restore_test\n    interval: 24h\n    timeout: 5m\n",
                        "    recipe: barman\n    server: ", Barman::kServer, "\n    config: ", barman_->config(),
                        "\n    scratch_dir: scratch\n", extra);
  }
  // The path of an archived segment in Barman's WAL folder.
  std::string WalPath(const std::string& name) const {
    return barman_->wals_dir() + "/" + name.substr(0, 16) + "/" + name;
  }
  TempDir dir_;
  std::unique_ptr<Barman> barman_;
};

// The segment after `name` on its timeline (16 MiB segments).
std::string NextSegment(const std::string& name) {
  uint32_t log = std::stoul(name.substr(8, 8), nullptr, 16), seg = std::stoul(name.substr(16, 8), nullptr, 16);
  if (++seg == 0x100) seg = 0, ++log;
  char out[25];
  snprintf(out, sizeof out, "%s%08X%08X", name.substr(0, 8).c_str(), log, seg);
  return out;
}

TEST_F(BarmanTest, FromNoBackupToARestoredCopyToLostWal) {
  // Before the first backup: nothing to recover to, nothing to restore.
  v1::Result r = RunYamlCheck(dir_, Check());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("no DONE backup of server pg"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
  std::filesystem::create_directories(dir_ / "scratch");
  ::chmod((dir_ / "scratch").c_str(), 0755);
  v1::Result drill = RunYamlCheck(dir_, Recipe(""));
  EXPECT_EQ(drill.status(), v1::CHECK_STATUS_FAILED) << drill.message();
  EXPECT_THAT(drill.message(), HasSubstr("nothing to restore"));
  // A server Barman does not know, a program that is not there: the check cannot run.
  r = RunYamlCheck(dir_, absl::StrCat("    id: barman\n    kind: barman\n    interval: 1h\n    server: nosuch\n"
                                      "    config: ",
                                      barman_->config(), "\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("Unknown server 'nosuch'"));
  r = RunYamlCheck(dir_, Check("    binary: /nonexistent/barman\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("/nonexistent/barman not found"));

  auto id = barman_->Backup();
  ASSERT_TRUE(id.ok()) << id.status();
  auto shown = barman_->Json({"show-backup", Barman::kServer, *id});
  ASSERT_TRUE(shown.ok()) << shown.status();
  const auto& info = (*shown)[Barman::kServer]["base_backup_information"];
  const std::string end_wal = info["end_wal"];
  const int64_t end = std::stoll(info["end_time_timestamp"].get<std::string>());
  // Rows written after the backup, in a segment archived after it.
  ASSERT_EQ(barman_->pg().Sql("INSERT INTO t SELECT generate_series(1, 500)").exit_code, 0);
  ASSERT_TRUE(barman_->SwitchWal().ok());
  r = RunYamlCheck(dir_, Check("    verify_backup: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_EQ(ResultDetail(r, "backup_id"), *id);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_GT(r.facts().backup_bytes(), 1u << 20);
  EXPECT_THAT(r.message(), HasSubstr("verify-backup passed"));
  EXPECT_EQ(ResultDetail(r, "last_archived_wal"), NextSegment(end_wal)) << "the segment switched to after the backup";
  const int64_t rp = absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns()));
  EXPECT_GE(rp, end) << "the archived WAL moves the recovery point past the backup's end";
  EXPECT_NEAR(rp, absl::ToUnixSeconds(absl::Now()), 120);

  // The restore drill: the copy replays the archived WAL, so the later rows are there.
  drill = RunYamlCheck(dir_, Recipe("    validate_query: \"SELECT count(*) FROM t\"\n    expect_min: 1500\n"));
  EXPECT_EQ(drill.status(), v1::CHECK_STATUS_OK) << drill.message() << drill.output_tail();
  EXPECT_TRUE(drill.facts().restore_succeeded());
  EXPECT_EQ(ResultDetail(drill, "validation_result"), "1500");
  EXPECT_EQ(ResultDetail(drill, "backup_id"), *id);
  EXPECT_THAT(drill.output_tail(), HasSubstr("database system is ready to accept connections"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "scratch")) << "the scratch folder is removed";

  // One more segment, then the one between lost: point-in-time recovery stops before the gap,
  // and the backup itself is still whole.
  ASSERT_TRUE(barman_->SwitchWal().ok());
  ASSERT_TRUE(std::filesystem::remove(WalPath(NextSegment(end_wal))));
  r = RunYamlCheck(dir_, Check("    check: false\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr(absl::StrCat("the WAL archive has a gap after ", end_wal)));
  EXPECT_EQ(ResultDetail(r, "last_archived_wal"), end_wal);
  EXPECT_LE(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())), rp);
  EXPECT_NE(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  // The backup's own last segment lost: check-backup marks it FAILED, and it is corrupt.
  ASSERT_TRUE(std::filesystem::remove(WalPath(end_wal)));
  r = RunYamlCheck(dir_, Check("    check: false\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("WAL file is missing"));
  EXPECT_EQ(ResultDetail(r, "failed_backup"), *id);

  // PostgreSQL stopped: barman check says so.
  barman_->pg().Stop("immediate");
  r = RunYamlCheck(dir_, Check("    check_backup: false\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("barman check failed: "));
  EXPECT_THAT(r.message(), HasSubstr("postgresql"));
}

TEST(BarmanConfig, TheServerIsRequired) {
  TempDir dir;
  auto config = CheckConfig(dir, "    id: barman\n    kind: barman\n    interval: 1h\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("server: "));
  config = CheckConfig(dir,
                       "    id: b\n    kind: restore_test\n    interval: 1h\n    recipe: barman\n    server: pg\n"
                       "    config: /nonexistent/barman.conf\n");
  EXPECT_TRUE(config.ok()) << "files are required by --check-config only: " << config.status();
}

}  // namespace
}  // namespace paraat::testing
