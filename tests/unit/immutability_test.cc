// Immutability evidence against a real file system: the real chattr sets the immutable and
// append-only attributes, a real bind mount is remounted read-only, and the agent only looks.
// Runs as root (CI does); skips with the reason when chattr or mount is refused.
#include "agent/checks/support/immutability.h"

#include <unistd.h>

#include "agent/checks/file_backup.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/disk_dir.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using testing::DiskTempDir;
using ::testing::HasSubstr;
using testing::WriteBackup;
using testing::WriteFileOrDie;

#define SKIP_UNLESS_OK(expr)                    \
  do {                                          \
    absl::Status s_ = (expr);                   \
    if (!s_.ok()) GTEST_SKIP() << s_.message(); \
  } while (0)

std::string Detail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

v1::Result RunNewest(const std::string& pattern) {
  FileBackupCheck::Options o;
  o.pattern = pattern;
  o.checksum = FileBackupCheck::Checksum::kSidecar;
  FileBackupCheck check(std::move(o));
  v1::Result r;
  check.Run(CheckContext{}, &r);
  return r;
}

class Immutability : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "setting the immutable attribute and mounting need root";
  }
  DiskTempDir dir_;
};

TEST_F(Immutability, AnOrdinaryFileIsNotProtected) {
  WriteBackup(dir_ / "db.dump", 4096, true);
  Protection p = ExamineFile(dir_ / "db.dump");
  EXPECT_TRUE(p.error.empty()) << p.error;
  EXPECT_FALSE(p.immutable);
  EXPECT_THAT(p.how, HasSubstr("no immutable or append-only attribute; mount "));
  EXPECT_THAT(p.how, HasSubstr(" is read-write"));
  v1::Result r = RunNewest(dir_ / "*.dump");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  ASSERT_TRUE(r.facts().has_immutable()) << "examined and found deletable: false, not unknown";
  EXPECT_FALSE(r.facts().immutable());
  EXPECT_THAT(Detail(r, "immutable"), HasSubstr("no: no immutable or append-only attribute"));
}

TEST_F(Immutability, TheImmutableAttributeProtectsTheNewestBackup) {
  WriteBackup(dir_ / "db.dump", 4096, true);
  SKIP_UNLESS_OK(dir_.Chattr("+i", dir_ / "db.dump"));
  // The attribute is real: not even root deletes the file.
  EXPECT_NE(::unlink((dir_ / "db.dump").c_str()), 0);
  Protection p = ExamineFile(dir_ / "db.dump");
  EXPECT_TRUE(p.immutable);
  EXPECT_EQ(p.how, "immutable attribute");
  v1::Result r = RunNewest(dir_ / "*.dump");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().immutable());
  EXPECT_EQ(Detail(r, "immutable"), "yes: immutable attribute");
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED) << "reading it back still works";
}

TEST_F(Immutability, TheAppendOnlyAttributeProtectsTheBytesWritten) {
  WriteBackup(dir_ / "wal.log", 4096, false);
  SKIP_UNLESS_OK(dir_.Chattr("+a", dir_ / "wal.log"));
  EXPECT_NE(::truncate((dir_ / "wal.log").c_str(), 0), 0);
  Protection p = ExamineFile(dir_ / "wal.log");
  EXPECT_TRUE(p.immutable);
  EXPECT_EQ(p.how, "append-only attribute");
}

TEST_F(Immutability, AReadOnlyBindMountProtectsEverythingOnIt) {
  WriteBackup(dir_ / "archive/db.dump", 4096, true);
  SKIP_UNLESS_OK(dir_.BindReadOnly(dir_ / "archive"));
  EXPECT_NE(::unlink((dir_ / "archive/db.dump").c_str()), 0);
  Protection p = ExamineFile(dir_ / "archive/db.dump");
  EXPECT_TRUE(p.immutable);
  EXPECT_EQ(p.how, "read-only mount " + (dir_ / "archive"));
  p = ExamineMount(dir_ / "archive");
  EXPECT_TRUE(p.immutable);
  // Beside the mount, the same file system is writable.
  WriteFileOrDie(dir_ / "other", "x");
  EXPECT_FALSE(ExamineFile(dir_ / "other").immutable);
  EXPECT_FALSE(ExamineMount(dir_.path()).immutable);
  v1::Result r = RunNewest(dir_ / "archive/*.dump");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().immutable());
  EXPECT_EQ(Detail(r, "immutable"), "yes: read-only mount " + (dir_ / "archive"));
}

TEST_F(Immutability, ASetIsProtectedOnlyWhenEveryFileIs) {
  WriteFileOrDie(dir_ / "set/a", "a");
  WriteFileOrDie(dir_ / "set/b", "b");
  SKIP_UNLESS_OK(dir_.Chattr("+i", dir_ / "set/a"));
  Protection p = ExamineFiles({dir_ / "set/a", dir_ / "set/b"});
  EXPECT_FALSE(p.immutable);
  EXPECT_THAT(p.how, HasSubstr("1 of 2 files unprotected, first " + (dir_ / "set/b") + ": no immutable"));
  SKIP_UNLESS_OK(dir_.Chattr("+i", dir_ / "set/b"));
  p = ExamineFiles({dir_ / "set/a", dir_ / "set/b"});
  EXPECT_TRUE(p.immutable);
  EXPECT_EQ(p.how, "all 2 files: immutable attribute");
}

TEST_F(Immutability, WhatCannotBeExaminedStaysUnknown) {
  Protection p = ExamineFile(dir_ / "gone.dump");
  EXPECT_FALSE(p.immutable);
  EXPECT_THAT(p.error, HasSubstr("No such file or directory"));
  v1::Result r;
  r.mutable_facts()->set_immutable(true);
  ReportProtection(p, &r);
  EXPECT_FALSE(r.facts().has_immutable()) << "not looked at is neither immutable nor deletable";
  EXPECT_THAT(Detail(r, "immutable"), HasSubstr("not examined: cannot examine "));
}

}  // namespace
}  // namespace paraat
