// file_backup against real files in temporary folders.
#include "agent/checks/file_backup.h"

#include <sys/stat.h>

#include "common/yaml_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;
using testing::SetMtime;
using testing::TempDir;
using testing::WriteBackup;
using testing::WriteFileOrDie;

v1::Result RunCheck(FileBackupCheck::Options o) {
  FileBackupCheck check(std::move(o));
  v1::Result r;
  check.Run(CheckContext{}, &r);
  return r;
}

FileBackupCheck::Options Sidecar(const std::string& pattern, uint64_t min_size = 1) {
  FileBackupCheck::Options o;
  o.pattern = pattern;
  o.min_size = min_size;
  o.checksum = FileBackupCheck::Checksum::kSidecar;
  return o;
}

TEST(FileBackup, NoMatchingFileIsAFailureWithoutRecoveryPoint) {
  TempDir dir;
  WriteFileOrDie(dir / "readme.txt", "x");
  v1::Result r = RunCheck(Sidecar(dir / "*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("no backup matches"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
}

TEST(FileBackup, MissingDirectoryIsAFailure) {
  v1::Result r = RunCheck(Sidecar("/nonexistent/paraat/*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.message(), "no backup: /nonexistent/paraat does not exist");
}

TEST(FileBackup, NewestFileIsTheRecoveryPoint) {
  TempDir dir;
  WriteBackup(dir / "a.dump", 4096, true);
  WriteBackup(dir / "b.dump", 4096, true);
  const absl::Time newer = absl::FromUnixSeconds(1'700'000'000);
  SetMtime(dir / "a.dump", newer - absl::Hours(24));
  SetMtime(dir / "b.dump", newer);
  v1::Result r = RunCheck(Sidecar(dir / "*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(newer));
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(r.facts().verified_bytes(), 4096u);
  EXPECT_EQ(r.facts().verified_objects(), 1u);
  EXPECT_DOUBLE_EQ(r.facts().coverage(), 1.0);
  EXPECT_THAT(r.message(), HasSubstr("b.dump"));
  bool has_digest = false;
  for (const auto& d : r.details()) has_digest |= d.key() == "sha256" && d.value().size() == 64;
  EXPECT_TRUE(has_digest);
}

TEST(FileBackup, TooSmallNewestFallsBackToTheNewestGoodOne) {
  TempDir dir;
  WriteBackup(dir / "old.dump", 2 << 20, true);
  WriteBackup(dir / "new.dump", 100, true);
  const absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  SetMtime(dir / "old.dump", t - absl::Hours(24));
  SetMtime(dir / "new.dump", t);
  v1::Result r = RunCheck(Sidecar(dir / "*.dump", 1 << 20));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("new.dump is 100 B, below min_size 1.0 MiB"));
  EXPECT_THAT(r.message(), HasSubstr("newest good backup is old.dump"));
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(t - absl::Hours(24)));
}

TEST(FileBackup, ChecksumMismatchIsCorrupt) {
  TempDir dir;
  WriteBackup(dir / "db.dump", 8192, true);
  // Flip one byte after the sidecar was written.
  std::string data = testing::ReadFileOrDie(dir / "db.dump");
  data[100] ^= 0x01;
  WriteFileOrDie(dir / "db.dump", data);
  v1::Result r = RunCheck(Sidecar(dir / "*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("db.dump does not match its checksum"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
}

TEST(FileBackup, MissingSidecarIsUnverified) {
  TempDir dir;
  WriteBackup(dir / "db.dump", 4096, false);
  v1::Result r = RunCheck(Sidecar(dir / "*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  EXPECT_THAT(r.message(), HasSubstr("has no checksum file db.dump.sha256"));
}

TEST(FileBackup, SidecarsAreNotBackups) {
  TempDir dir;
  WriteBackup(dir / "db.dump", 4096, true);
  SetMtime(dir / "db.dump", absl::Now() - absl::Hours(1));  // the sidecar is newer
  v1::Result r = RunCheck(Sidecar(dir / "*"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("db.dump:"));
}

TEST(FileBackup, WithoutChecksumOnlySizeIsChecked) {
  TempDir dir;
  WriteBackup(dir / "db.dump", 4096, false);
  FileBackupCheck::Options o;
  o.pattern = dir / "*.dump";
  v1::Result r = RunCheck(o);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());
}

TEST(FileBackup, UnreadableDirectoryIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads everything; permission errors cannot be provoked";
  TempDir dir;
  WriteBackup(dir / "sub/db.dump", 4096, true);
  chmod((dir / "sub").c_str(), 0);
  v1::Result r = RunCheck(Sidecar(dir / "sub/*.dump"));
  chmod((dir / "sub").c_str(), 0755);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
}

TEST(FileBackup, UnreadableFileIsAnErrorNotCorrupt) {
  TempDir dir;
  WriteBackup(dir / "db.dump", 4096, true);
  // A directory named like a backup's sidecar cannot be read as a file.
  WriteBackup(dir / "x.dump", 4096, false);
  mkdir((dir / "x.dump.sha256").c_str(), 0755);
  SetMtime(dir / "db.dump", absl::Now() - absl::Hours(2));
  v1::Result r = RunCheck(Sidecar(dir / "*.dump"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR) << r.message();
}

TEST(FileBackup, ConfigKeys) {
  ConfigErrors errors("agent.yaml");
  YamlMap keys(LoadYamlString("path: /b/*.dump\nmin_size: 1MiB\nchecksum: sidecar\n", &errors), "checks[0]", &errors);
  auto check = FileBackupCheck::Create(keys, CheckEnv{"/etc/paraat", "x", absl::Minutes(1), absl::Minutes(1)});
  keys.Finish();
  EXPECT_TRUE(errors.empty()) << errors.ToStatus();
  EXPECT_NE(check, nullptr);

  ConfigErrors bad("agent.yaml");
  YamlMap bad_keys(LoadYamlString("path: /b/*.dump\nchecksum: md5\nmin_size: big\n", &bad), "checks[0]", &bad);
  FileBackupCheck::Create(bad_keys, CheckEnv{});
  bad_keys.Finish();
  EXPECT_THAT(bad.lines(), ::testing::ElementsAre(
                               "agent.yaml:3: checks[0].min_size: \"big\" is not a size (use e.g. 512KiB, 1MiB, 10GB)",
                               "agent.yaml:2: checks[0].checksum: \"md5\" is not one of none, sidecar"));
}

}  // namespace
}  // namespace paraat
