// file_backup against real files in temporary folders.
#include "agent/checks/file_backup.h"

#include <sys/stat.h>

#include <map>
#include <set>

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
  EXPECT_THAT(bad.lines(), ::testing::UnorderedElementsAre(
                               "agent.yaml:3: checks[0].min_size: \"big\" is not a size (use e.g. 512KiB, 1MiB, 10GB)",
                               "agent.yaml:2: checks[0].checksum: \"md5\" is not one of none, sidecar, manifest"));
}

}  // namespace
}  // namespace paraat

namespace paraat {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteBackup;
using testing::WriteFileOrDie;

// A check run with a state directory, as the scheduler gives it.
v1::Result RunWithState(const FileBackupCheck::Options& o, const std::string& state_dir) {
  FileBackupCheck check(o);
  v1::Result r;
  CheckContext ctx;
  ctx.state_dir = state_dir;
  check.Run(ctx, &r);
  return r;
}

// A backup set of `n` files of `size` bytes with a SHA256SUMS manifest listing them.
void WriteSet(const TempDir& dir, const std::string& sub, int n, size_t size) {
  std::string manifest;
  for (int i = 0; i < n; ++i) {
    std::string name = "part-" + std::to_string(i) + ".bin";
    WriteBackup(dir / (sub + "/" + name), size, true);
    std::string sidecar = testing::ReadFileOrDie(dir / (sub + "/" + name + ".sha256"));
    std::remove((dir / (sub + "/" + name + ".sha256")).c_str());
    manifest += sidecar.substr(0, 64) + "  ./" + name + "\n";
  }
  WriteFileOrDie(dir / (sub + "/SHA256SUMS"), manifest);
}

FileBackupCheck::Options Manifest(const std::string& glob, double fraction = 1.0) {
  FileBackupCheck::Options o;
  o.checksum = FileBackupCheck::Checksum::kManifest;
  o.manifest = glob;
  o.verify_fraction = fraction;
  return o;
}

TEST(FileBackupManifest, VerifiesEveryListedFile) {
  TempDir dir;
  WriteSet(dir, "nightly/2026-11-28", 5, 10000);
  WriteSet(dir, "nightly/2026-11-29", 5, 10000);
  testing::SetMtime(dir / "nightly/2026-11-28/SHA256SUMS", absl::Now() - absl::Hours(24));
  v1::Result r = RunWithState(Manifest(dir / "nightly/*/SHA256SUMS"), dir / "state");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(r.facts().verified_objects(), 5u);
  EXPECT_EQ(r.facts().verified_bytes(), 50000u);
  EXPECT_DOUBLE_EQ(r.facts().coverage(), 1.0);
  EXPECT_THAT(r.message(), HasSubstr("2026-11-29/SHA256SUMS"));  // the newest set
}

TEST(FileBackupManifest, MissingAndDamagedFilesAreCorrupt) {
  TempDir dir;
  WriteSet(dir, "set", 4, 5000);
  std::remove((dir / "set/part-1.bin").c_str());
  std::string data = testing::ReadFileOrDie(dir / "set/part-2.bin");
  data[7] ^= 1;
  WriteFileOrDie(dir / "set/part-2.bin", data);
  v1::Result r = RunWithState(Manifest(dir / "set/SHA256SUMS"), dir / "state");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("1 files do not match their checksums (part-2.bin)"));
  EXPECT_THAT(r.message(), HasSubstr("1 files listed are missing (part-1.bin)"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
}

TEST(FileBackupManifest, RotationReadsEveryByteWithinTheWindowAndRemembersCorruption) {
  TempDir dir;
  WriteSet(dir, "set", 10, 4096);
  const std::string state = dir / "state";
  std::set<std::string> seen;
  double coverage = 0;
  for (int run = 1; run <= 4; ++run) {
    v1::Result r = RunWithState(Manifest(dir / "set/SHA256SUMS", 0.25), state);
    ASSERT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
    // About a quarter of the bytes each run (whole files: 3 of 10).
    EXPECT_LE(r.facts().verified_objects(), 3u);
    EXPECT_GE(r.facts().coverage(), coverage);
    coverage = r.facts().coverage();
    EXPECT_EQ(r.facts().integrity(), run < 4 ? v1::INTEGRITY_UNVERIFIED : v1::INTEGRITY_VERIFIED) << run;
  }
  EXPECT_DOUBLE_EQ(coverage, 1.0);  // every byte within ceil(1/25%) = 4 runs

  // Damage a file the rotation has just read: found when the rotation comes back to it, and
  // then reported on every run until the file changes.
  std::string data = testing::ReadFileOrDie(dir / "set/part-0.bin");
  data[0] ^= 1;
  // Keep size and mtime: silent corruption (bit rot), not a rewritten file.
  struct stat st;
  stat((dir / "set/part-0.bin").c_str(), &st);
  WriteFileOrDie(dir / "set/part-0.bin", data);
  testing::SetMtime(dir / "set/part-0.bin", absl::TimeFromTimespec(st.st_mtim));
  bool found = false;
  for (int run = 0; run < 4 && !found; ++run) {
    v1::Result r = RunWithState(Manifest(dir / "set/SHA256SUMS", 0.25), state);
    found = r.facts().integrity() == v1::INTEGRITY_CORRUPT;
  }
  EXPECT_TRUE(found) << "the rotation must reach the damaged file within 4 runs";
  v1::Result again = RunWithState(Manifest(dir / "set/SHA256SUMS", 0.25), state);
  EXPECT_EQ(again.facts().integrity(), v1::INTEGRITY_CORRUPT) << "corruption is remembered";
}

TEST(FileBackupSidecars, VerifyAllRetainedBackups) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) WriteBackup(dir / ("b/db-" + std::to_string(i) + ".dump"), 20000, true);
  FileBackupCheck::Options o;
  o.pattern = dir / "b/*.dump";
  o.checksum = FileBackupCheck::Checksum::kSidecar;
  o.verify_all = true;
  o.parallel = 2;
  v1::Result r = RunWithState(o, dir / "state");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().verified_objects(), 6u);
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  std::remove((dir / "b/db-3.dump.sha256").c_str());
  r = RunWithState(o, dir / "state");
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("checksum files are missing (db-3.dump.sha256)"));
}

TEST(FileBackupSidecars, ReadRateIsLimited) {
  TempDir dir;
  WriteBackup(dir / "b/db.dump", 3 << 20, true);
  FileBackupCheck::Options o;
  o.pattern = dir / "b/*.dump";
  o.checksum = FileBackupCheck::Checksum::kSidecar;
  o.max_read_rate = 4 << 20;  // 4 MiB/s: 3 MiB take at least ~0.65 s after the first burst
  const absl::Time start = absl::Now();
  v1::Result r = RunWithState(o, dir / "state");
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK);
  EXPECT_GE(took, absl::Milliseconds(500)) << "the limit was not applied";
}

TEST(FileBackupConfig, RotationKeysNeedASet) {
  ConfigErrors errors("agent.yaml");
  YamlMap keys(LoadYamlString("path: /b/*.dump\nchecksum: sidecar\nverify_fraction: 10%\n", &errors), "checks[0]",
               &errors);
  FileBackupCheck::Create(keys, CheckEnv{});
  keys.Finish();
  EXPECT_THAT(errors.lines(), ::testing::ElementsAre(::testing::HasSubstr(
                                  "checks[0].verify_fraction: rotates through many files: it needs verify: all")));
}

}  // namespace
}  // namespace paraat

namespace paraat {
namespace {

// verify_within: the age of the oldest byte not read back since bounds a rotation.
TEST(FileBackupCoverageAge, AByteUnreadLongerThanVerifyWithinIsAWarning) {
  testing::TempDir dir, state;
  for (const char* name : {"a.dump", "b.dump"}) {
    testing::WriteBackup(dir / name, 4096, true);
    testing::SetMtime(dir / name, absl::Now() - absl::Hours(24 * 40));  // written 40 days ago
  }
  FileBackupCheck::Options o = Sidecar(dir / "*.dump");
  o.verify_all = true;
  o.verify_fraction = 0.5;
  o.interval = absl::Hours(24);
  o.verify_within = absl::Hours(24 * 30);
  CheckContext ctx;
  ctx.state_dir = state.path();
  v1::Result r;
  FileBackupCheck(o).Run(ctx, &r);
  // One file read back now; the other unread since it was written, 40 days ago.
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("; the oldest byte has not been read back for 40d"));
  EXPECT_THAT(r.message(), HasSubstr(", longer than verify_within 30d"));
  r.Clear();
  FileBackupCheck(o).Run(ctx, &r);  // the rotation reaches the other one
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  for (const auto& v : r.values()) {
    if (v.name() == "coverage_age") {
      EXPECT_LT(v.value(), 3600);
    }
  }
}

TEST(FileBackupCoverageAge, ARotationThatCannotReachEveryByteInTimeIsAWarning) {
  testing::TempDir dir, state;
  testing::WriteBackup(dir / "a.dump", 4096, true);
  FileBackupCheck::Options o = Sidecar(dir / "*.dump");
  o.verify_all = true;
  o.verify_fraction = 0.1;  // ten runs
  o.interval = absl::Hours(24 * 7);
  o.verify_within = absl::Hours(24 * 30);
  CheckContext ctx;
  ctx.state_dir = state.path();
  v1::Result r;
  FileBackupCheck(o).Run(ctx, &r);
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(),
              HasSubstr("; the rotation reads every byte in 10 runs of 7d (70d), longer than verify_within 30d"));
  // The bound and the reach travel with the result, for the plan's coverage_age_exceeded.
  std::map<std::string, double> values;
  for (const auto& v : r.values()) values[v.name()] = v.value();
  EXPECT_EQ(values["verify_within"], 30 * 86400);
  EXPECT_EQ(values["coverage_reach"], 70 * 86400);
}

}  // namespace
}  // namespace paraat
