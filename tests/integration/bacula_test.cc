// The bacula kind and the bacula restore_test recipe against a real Bacula 9.6 (director, storage
// and file daemons on loopback, tests/testlib/bacula.h): the newest successful job is the recovery
// point, warnings, fatal errors and cancellations are told apart, a VolumeToCatalog verify is the
// integrity and a damaged volume reads as corrupt, a restore lands in the scratch folder and is
// compared with the catalog; a director that is down, a wrong password and a name the director
// does not know are errors. Every Bacula job waits 2 s in the director's queue: jobs that can run
// together are started together, and each test waits on the jobs' real ends.
#include "tests/testlib/bacula.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A job's start as the kind reports it: the director's local time (TZ of the test process).
int64_t StartOf(const BaculaJob& j) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M:%S", j.start_time, absl::LocalTimeZone(), &t, &err)) << err;
  return absl::ToUnixSeconds(t);
}

class BaculaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = Bacula::Start(dir_ / "bacula");
    ASSERT_TRUE(b.ok()) << b.status();
    bacula_ = std::move(*b);
    WriteBackup(bacula_->data_dir() + "/a.bin", 200 << 10, false);
    WriteBackup(bacula_->data_dir() + "/sub/b.bin", 50 << 10, false);
    WriteFileOrDie(bacula_->data_dir() + "/sub/c.txt", "three\n");
  }
  // A bacula check of `what` (job: NAME or client: NAME) reading the fixture's bconsole config.
  std::string Check(const std::string& what, const std::string& extra = "") const {
    return absl::StrCat("    id: bacula\n    kind: bacula\n    interval: 1h\n    timeout: 1m\n    config: ",
                        bacula_->bconsole_config(), "\n    ", what, "\n", extra);
  }
  absl::StatusOr<BaculaJob> Wait(const absl::StatusOr<int>& id) const {
    if (!id.ok()) return id.status();
    return bacula_->WaitJob(*id);
  }
  // The volume file the fixture's storage daemon writes.
  std::string Volume() const {
    for (const auto& e : std::filesystem::directory_iterator(dir_ / "bacula/volumes")) return e.path();
    return "";
  }
  TempDir dir_;
  std::unique_ptr<Bacula> bacula_;
};

// Flips bytes in the middle of a volume: the storage daemon's block checksums catch it.
void Damage(const std::string& volume) {
  std::string data = ReadFileOrDie(volume);
  ASSERT_GT(data.size(), 100000u);
  for (size_t i = data.size() / 2; i < data.size() / 2 + 64; ++i) data[i] ^= 0x5a;
  WriteFileOrDie(volume, data);
}

TEST_F(BaculaTest, TheNewestGoodJobIsTheRecoveryPointAndItsVerifyTheIntegrity) {
  auto backup = bacula_->Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  ASSERT_EQ(backup->status, 'T') << bacula_->JobLog(backup->id);
  // The verify of that backup and a newer backup of the same client that fails, together.
  auto verify_id = bacula_->StartJob(Bacula::kVerifyJob, absl::StrCat("jobid=", backup->id));
  auto fails_id = bacula_->StartJob(Bacula::kFailingJob);
  auto verify = Wait(verify_id);
  auto fails = Wait(fails_id);
  ASSERT_TRUE(verify.ok()) << verify.status();
  ASSERT_TRUE(fails.ok()) << fails.status();
  ASSERT_EQ(verify->status, 'T') << bacula_->JobLog(verify->id);
  ASSERT_EQ(fails->status, 'f');

  v1::Result r = RunYamlCheck(dir_, Check(absl::StrCat("job: ", Bacula::kBackupJob), "    verify_job: verify-data\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_EQ(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())), StartOf(*backup));
  EXPECT_EQ(r.facts().backup_files(), 5u) << "three files and two directories";
  EXPECT_EQ(r.facts().backup_bytes(), static_cast<uint64_t>((200 << 10) + (50 << 10) + 6));
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_VERIFIED);
  EXPECT_EQ(ResultDetail(r, "backup_job_id"), absl::StrCat(backup->id));
  EXPECT_EQ(ResultDetail(r, "verified_job_id"), absl::StrCat(backup->id));
  EXPECT_EQ(ResultDetail(r, "verify_level"), "VolumeToCatalog");
  EXPECT_THAT(ResultDetail(r, "director_version"), HasSubstr("Version: 9."));
  EXPECT_THAT(r.message(), HasSubstr("verify job"));

  // By client: the newest job of the client failed; the recovery point stays at the good one.
  r = RunYamlCheck(dir_, Check(absl::StrCat("client: ", Bacula::kClient)));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr(absl::StrCat("job ", fails->id)));
  EXPECT_THAT(r.message(), HasSubstr("fatal error"));
  EXPECT_THAT(r.message(), HasSubstr("ClientRunBeforeJob"));
  EXPECT_EQ(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())), StartOf(*backup));

  // A damaged volume: the verify reading it back is the evidence of corruption.
  Damage(Volume());
  auto damaged = bacula_->Verify("VolumeToCatalog", backup->id);
  ASSERT_TRUE(damaged.ok()) << damaged.status();
  EXPECT_NE(damaged->status, 'T') << bacula_->JobLog(damaged->id);
  r = RunYamlCheck(dir_, Check(absl::StrCat("job: ", Bacula::kBackupJob), "    verify_job: verify-data\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_CORRUPT);
  EXPECT_THAT(r.message(), HasSubstr("checksum mismatch"));
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());
}

TEST_F(BaculaTest, WarningsCancellationsAndChangedFilesAreToldApart) {
  // Three jobs at once; the slow one is cancelled while its ClientRunBeforeJob sleeps.
  auto good_id = bacula_->StartJob(Bacula::kBackupJob);
  auto missing_id = bacula_->StartJob(Bacula::kMissingJob);
  auto slow_id = bacula_->StartJob(Bacula::kSlowJob);
  ASSERT_TRUE(good_id.ok() && missing_id.ok() && slow_id.ok());
  // Meanwhile: a wrong password (the director answers it after a pause of its own).
  WriteFileOrDie(dir_ / "wrong.pass", "not-the-password\n");
  ::chmod((dir_ / "wrong.pass").c_str(), 0600);
  v1::Result denied = RunYamlCheck(
      dir_, absl::StrCat("    id: bacula\n    kind: bacula\n    interval: 1h\n    director: ", Bacula::kDirector,
                         "\n    address: 127.0.0.1\n    port: ", bacula_->director_port(),
                         "\n    password_file: wrong.pass\n    job: backup-data\n"));
  EXPECT_EQ(denied.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(denied.message(), HasSubstr("refused the console's password"));
  EXPECT_THAT(denied.message() + denied.output_tail(), Not(HasSubstr("not-the-password")));

  ASSERT_TRUE(WaitFor([&] { return bacula_->JobLog(*slow_id).find("ClientRunBeforeJob") != std::string::npos; },
                      absl::Seconds(60)));
  ASSERT_TRUE(bacula_->Cancel(*slow_id).ok());
  for (int id : {*good_id, *missing_id, *slow_id}) ASSERT_TRUE(bacula_->WaitJob(id).ok());

  v1::Result r = RunYamlCheck(dir_, Check(absl::StrCat("job: ", Bacula::kMissingJob)));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("1 warnings"));
  EXPECT_THAT(r.message(), HasSubstr("Could not stat"));
  EXPECT_EQ(r.facts().backup_files(), 0u) << "OK with warnings, and nothing in it";
  EXPECT_TRUE(r.facts().has_recovery_point_unix_ns());

  r = RunYamlCheck(dir_, Check(absl::StrCat("job: ", Bacula::kSlowJob)));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("no successful backup of job backup-slow"));
  EXPECT_THAT(r.message(), HasSubstr("was canceled"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());

  // DiskToCatalog after a change: the files differ from the catalog, the volume was not read.
  WriteFileOrDie(bacula_->data_dir() + "/sub/c.txt", "changed\n");
  auto differs = bacula_->Verify("DiskToCatalog");
  ASSERT_TRUE(differs.ok()) << differs.status();
  ASSERT_EQ(differs->status, 'D') << bacula_->JobLog(differs->id);
  r = RunYamlCheck(dir_, Check(absl::StrCat("job: ", Bacula::kBackupJob), "    verify_job: verify-data\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_EQ(r.facts().integrity(), v1::INTEGRITY_UNVERIFIED);
  EXPECT_THAT(r.message(), HasSubstr("DiskToCatalog"));
  EXPECT_THAT(r.message(), HasSubstr("changed since the backup"));

  // A job name the director does not have is a mistake in the check, not a missing backup.
  r = RunYamlCheck(dir_, Check("job: backup-nosuch"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("the director has no job named backup-nosuch"));
}

TEST(BaculaErrors, ADirectorThatIsDownAMissingProgramAndBadConfigs) {
  TempDir dir;
  // bconsole retries a director that is down for 15 s: the check's timeout bounds it.
  WriteFileOrDie(dir / "down.conf", absl::StrCat("Director {\n  Name = paraat-dir\n  DIRport = ", FreePort(),
                                                 "\n  Address = 127.0.0.1\n  Password = \"x\"\n}\n"));
  const absl::Time start = absl::Now();
  v1::Result r = RunYamlCheck(
      dir, "    id: bacula\n    kind: bacula\n    interval: 1h\n    timeout: 2s\n    config: down.conf\n    job: j\n");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("timed out after"));
  EXPECT_THAT(r.message(), HasSubstr("is not answering"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  r = RunYamlCheck(dir,
                   "    id: bacula\n    kind: bacula\n    interval: 1h\n    config: down.conf\n    job: j\n"
                   "    binary: /nonexistent/bconsole\n");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("/nonexistent/bconsole not found"));

  auto config = CheckConfig(dir, "    id: bacula\n    kind: bacula\n    interval: 1h\n    job: j\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("config: is required"));
  config = CheckConfig(dir, "    id: bacula\n    kind: bacula\n    interval: 1h\n    config: down.conf\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("job: is required"));
  config = CheckConfig(
      dir, "    id: bacula\n    kind: bacula\n    interval: 1h\n    config: down.conf\n    job: j\n    port: 9101\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("port: is not used with config"));
}

class BaculaRestoreTest : public BaculaTest {
 protected:
  std::string Recipe(const std::string& timeout) const {
    return absl::StrCat("    id: bacula-restore\n    kind: restore_test\n    interval: 24h\n    timeout: ", timeout,
                        "\n    recipe: bacula\n    director: ", Bacula::kDirector,
                        "\n    address: 127.0.0.1\n    port: ", bacula_->director_port(),
                        "\n    password_file: console.pass\n    client: ", Bacula::kClient,
                        "\n    fileset: ", Bacula::kFileSet, "\n    restore_job: ", Bacula::kRestoreJob,
                        "\n    validate: [test, -s, \"{scratch}", bacula_->data_dir(), "/sub/c.txt\"]\n");
  }
};

TEST_F(BaculaRestoreTest, RestoresTheNewestBackupComparesItAndCancelsWhatCannotFinish) {
  // The password from a file of the check's own: the agent writes the console config itself.
  WriteFileOrDie(dir_ / "console.pass", bacula_->password() + "\n");
  ::chmod((dir_ / "console.pass").c_str(), 0600);
  auto backup = bacula_->Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  ASSERT_EQ(backup->status, 'T');

  v1::Result r = RunYamlCheck(dir_, Recipe("1m"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message() << r.output_tail();
  EXPECT_TRUE(r.facts().restore_succeeded());
  EXPECT_EQ(r.facts().verified_bytes(), static_cast<uint64_t>((200 << 10) + (50 << 10) + 6));
  EXPECT_EQ(r.facts().verified_objects(), 5u);
  EXPECT_EQ(ResultDetail(r, "backup_job_ids"), absl::StrCat(backup->id));
  EXPECT_EQ(absl::ToUnixSeconds(absl::FromUnixNanos(r.facts().recovery_point_unix_ns())), StartOf(*backup));
  EXPECT_THAT(r.output_tail(), Not(HasSubstr(bacula_->password())));
  const std::string restore_id = ResultDetail(r, "restore_job_id");
  auto restore = bacula_->WaitJob(std::stoi(restore_id));
  ASSERT_TRUE(restore.ok());
  EXPECT_EQ(restore->type, 'R');
  EXPECT_EQ(restore->status, 'T');
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "spool")) {
    EXPECT_EQ(e.path().filename().string().rfind("scratch-", 0), std::string::npos) << "scratch folder left behind";
    EXPECT_EQ(e.path().filename().string().rfind("bconsole-", 0), std::string::npos) << "console config left behind";
  }

  // The volume gone: the storage daemon waits for someone to mount it. The drill fails within its
  // timeout, says why, and does not leave the job waiting.
  const std::string volume = Volume();
  std::filesystem::rename(volume, dir_ / "volume.away");
  r = RunYamlCheck(dir_, Recipe("5s"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_FALSE(r.facts().restore_succeeded());
  EXPECT_THAT(r.message(), HasSubstr("did not finish within the timeout (5s)"));
  EXPECT_THAT(r.message(), HasSubstr("is waiting for a mount request"));
  const int stuck = std::stoi(ResultDetail(r, "restore_job_id"));
  auto cancelled = bacula_->WaitJob(stuck);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, 'A');
}

}  // namespace
}  // namespace paraat::testing
