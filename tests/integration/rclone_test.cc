// rclone against Debian's rclone and its own servers on loopback (tests/testlib/rclone.h): an
// off-site copy on SFTP (hashes), WebDAV (sizes only) and crypt (cryptcheck). A clean copy is
// verified and its newest object is the recovery point; a changed file is corrupt, a missing or
// stray file a failed check, a missing remote path a failure; a remote that is down, an unknown
// remote, a missing config and a missing rclone are errors — the down remote within a second.
#include "tests/testlib/rclone.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
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

class RcloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Rclone::Start(dir_ / "rclone");
    ASSERT_TRUE(r.ok()) << r.status();
    rclone_ = std::move(*r);
    WriteBackup(dir_ / "set/full-1.tar", 64 << 10, false);
    WriteBackup(dir_ / "set/full-2.tar", 32 << 10, false);
    WriteFileOrDie(dir_ / "set/logs/run.log", "ok\n");
    SetMtime(dir_ / "set/full-1.tar", newest_);
    SetMtime(dir_ / "set/full-2.tar", newest_ - absl::Hours(24));
    SetMtime(dir_ / "set/logs/run.log", newest_ - absl::Hours(25));
  }
  void Copy(const std::string& remote) {
    RunResult copy = rclone_->Run({"copy", dir_ / "set", remote});
    ASSERT_EQ(copy.exit_code, 0) << copy.output;
  }
  std::string Check(const std::string& remote, const std::string& extra = "") {
    return absl::StrCat("    id: offsite\n    kind: rclone\n    interval: 6h\n    remote: \"", remote,
                        "\"\n    config: ", rclone_->config(), "\n    source: set\n", extra);
  }
  TempDir dir_;
  std::unique_ptr<Rclone> rclone_;
  const absl::Time newest_ = absl::FromUnixSeconds(1796000000);
};

TEST_F(RcloneTest, ACleanCopyOnSftpIsVerifiedAndDifferencesFail) {
  Copy("sftp:set");
  v1::Result r = RunYamlCheck(dir_, Check("sftp:set"));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << "\n" << r.output_tail();
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(newest_)) << "the newest object's mtime";
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(r.facts().verified_objects(), 3u);
  EXPECT_EQ(r.facts().verified_bytes(), (64u << 10) + (32u << 10) + 3);
  // The remote set's size, as `rclone size` counts it.
  EXPECT_EQ(r.facts().backup_bytes(), (64u << 10) + (32u << 10) + 3);
  EXPECT_EQ(r.facts().backup_files(), 3u);
  EXPECT_EQ(Detail(r, "objects"), "3");
  EXPECT_EQ(Detail(r, "location"), "offsite");
  EXPECT_EQ(Detail(r, "remote_type"), "sftp");
  EXPECT_EQ(Detail(r, "compared"), "hashes");
  EXPECT_THAT(r.message(), HasSubstr("3 objects (96.0 KiB) at sftp:set, newest full-1.tar at 2026-11-30T00:53:20Z"));
  EXPECT_THAT(r.message(), HasSubstr("rclone check: 3 files match"));

  // A changed file on the remote is damage; a stray and a missing one are an incomplete copy.
  WriteBackup(rclone_->sftp_root() + "/set/full-1.tar", 64 << 10, false);
  r = RunYamlCheck(dir_, Check("sftp:set"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("1 differ (full-1.tar)"));
  Copy("sftp:set");
  WriteFileOrDie(rclone_->sftp_root() + "/set/stray.txt", "x\n");
  std::filesystem::remove(rclone_->sftp_root() + "/set/logs/run.log");
  r = RunYamlCheck(dir_, Check("sftp:set"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  EXPECT_THAT(r.message(), HasSubstr("1 missing on the remote (logs/run.log), 1 only on the remote (stray.txt)"));
  // one_way: files only on the remote are no difference.
  Copy("sftp:set");
  r = RunYamlCheck(dir_, Check("sftp:set", "    one_way: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
}

TEST_F(RcloneTest, CryptIsCheckedWithCryptcheckAndWebdavBySizeOnly) {
  Copy("crypt:set");
  v1::Result r = RunYamlCheck(dir_, Check("crypt:set"));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << "\n" << r.output_tail();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_THAT(r.message(), HasSubstr("rclone cryptcheck: 3 files match"));
  EXPECT_EQ(r.facts().backup_bytes(), (64u << 10) + (32u << 10) + 3) << "the plain sizes, not the ciphertext's";
  EXPECT_EQ(r.facts().backup_files(), 3u);
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(newest_));

  // Flipped ciphertext: plain `rclone check` would pass it (sizes only on crypt).
  std::string victim;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(rclone_->crypt_root())) {
    if (e.is_regular_file() && e.file_size() > size) victim = e.path(), size = e.file_size();
  }
  std::string data = ReadFileOrDie(victim);
  data[data.size() / 2] ^= 0x5a;
  WriteFileOrDie(victim, data);
  r = RunYamlCheck(dir_, Check("crypt:set"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("rclone cryptcheck against"));

  // WebDAV has no hash in common with the source: sizes only, not verified; with download: the
  // contents.
  Copy("webdav:set");
  r = RunYamlCheck(dir_, Check("webdav:set"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  EXPECT_THAT(r.message(), HasSubstr("by size only"));
  r = RunYamlCheck(dir_, Check("webdav:set", "    download: true\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(Detail(r, "compared"), "contents (downloaded)");
}

TEST_F(RcloneTest, DownRemoteUnknownRemoteMissingConfigAndMissingPathsSayWhat) {
  Copy("sftp:set");
  rclone_->StopSftp();
  const absl::Time start = absl::Now();
  v1::Result r = RunYamlCheck(dir_, Check("sftp:set"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "bounded retries";
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("connection refused"));
  ASSERT_TRUE(rclone_->StartSftp().ok());

  r = RunYamlCheck(dir_, Check("sftp:no-such-dir"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.message(), "sftp:no-such-dir does not exist (rclone lsjson: directory not found)");
  r = RunYamlCheck(dir_, Check("nosuch:set"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(r.message(), absl::StrCat("no remote \"nosuch\" in ", rclone_->config()));
  r = RunYamlCheck(dir_, absl::StrCat("    id: offsite\n    kind: rclone\n    interval: 6h\n    remote: sftp:set\n"
                                      "    config: missing.conf\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("missing.conf does not exist"));
  r = RunYamlCheck(dir_, Check("sftp:set", "    binary: /nonexistent/rclone\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("is it installed"));
  // Without a source: the listing alone, integrity unverified.
  r = RunYamlCheck(dir_, absl::StrCat("    id: offsite\n    kind: rclone\n    interval: 6h\n    remote: sftp:set\n"
                                      "    config: ",
                                      rclone_->config(), "\n    location: onsite\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("(no source to compare with)"));
  EXPECT_EQ(r.facts().backup_files(), 3u) << "the listing alone gives the size";
  EXPECT_EQ(Detail(r, "location"), "onsite");
}

}  // namespace
}  // namespace paraat::testing
