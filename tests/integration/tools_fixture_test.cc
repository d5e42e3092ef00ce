// The fixtures that run real backup tools for the check kinds' tests (tests/testlib/): each one
// set up, driven through what its kind will rely on, and broken the ways the kind must tell
// apart. They prove the fixtures, and pin the tools' behaviour the kinds parse.
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/bacula.h"
#include "tests/testlib/barman.h"
#include "tests/testlib/mariabackup.h"
#include "tests/testlib/mariadb.h"
#include "tests/testlib/rclone.h"
#include "tests/testlib/redis.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Logs how long a fixture took to come up: the suite's time budget is shared.
class SetupTimer {
 public:
  explicit SetupTimer(std::string what) : what_(std::move(what)), start_(absl::Now()) {}
  ~SetupTimer() { std::cout << "[fixture] " << what_ << ": " << absl::Now() - start_ << "\n"; }

 private:
  std::string what_;
  absl::Time start_;
};

// Regular files under `dir`, relative path -> size.
std::map<std::string, uintmax_t> FilesUnder(const std::string& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[std::filesystem::relative(e.path(), dir)] = e.file_size();
  }
  return files;
}

class BaculaFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetupTimer t("bacula start");
    auto b = Bacula::Start(dir_ / "bacula");
    ASSERT_TRUE(b.ok()) << b.status();
    bacula_ = std::move(*b);
    WriteBackup(bacula_->data_dir() + "/a.bin", 200 << 10, false);
    WriteBackup(bacula_->data_dir() + "/sub/b.bin", 50 << 10, false);
    WriteFileOrDie(bacula_->data_dir() + "/sub/c.txt", "three\n");
  }
  TempDir dir_;
  std::unique_ptr<Bacula> bacula_;
};

TEST_F(BaculaFixtureTest, BackupVerifyAndRestoreTheNewestJob) {
  auto backup = bacula_->Backup();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_EQ(backup->status, 'T') << bacula_->JobLog(backup->id);
  EXPECT_EQ(backup->type, 'B');
  EXPECT_EQ(backup->level, 'F');
  EXPECT_EQ(backup->errors, 0);
  EXPECT_EQ(backup->files, 5) << "three files and two directories";
  EXPECT_EQ(backup->bytes, (200 << 10) + (50 << 10) + 6);
  EXPECT_EQ(backup->name, Bacula::kBackupJob);
  EXPECT_FALSE(backup->end_time.empty());

  auto verify = bacula_->Verify();
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_EQ(verify->status, 'T') << bacula_->JobLog(verify->id);
  EXPECT_EQ(verify->type, 'V');
  EXPECT_EQ(verify->level, 'O') << "VolumeToCatalog";
  EXPECT_THAT(bacula_->JobLog(verify->id), HasSubstr(absl::StrCat("Verifying against JobId=", backup->id)));

  // Then a changed and a deleted file: the restore (from the volume) still brings back what was
  // backed up, and DiskToCatalog finds the differences. Both at once: each job costs the
  // director's 2 s queue pause.
  const auto backed_up = FilesUnder(bacula_->data_dir());
  WriteFileOrDie(bacula_->data_dir() + "/sub/c.txt", "changed\n");
  std::filesystem::remove(bacula_->data_dir() + "/a.bin");
  auto restore_id = bacula_->StartRestore(dir_ / "restored");
  ASSERT_TRUE(restore_id.ok()) << restore_id.status();
  auto differs_id = bacula_->StartJob(Bacula::kVerifyJob, "level=DiskToCatalog");
  ASSERT_TRUE(differs_id.ok()) << differs_id.status();

  auto restore = bacula_->WaitJob(*restore_id);
  ASSERT_TRUE(restore.ok()) << restore.status();
  EXPECT_EQ(restore->status, 'T') << bacula_->JobLog(restore->id);
  EXPECT_EQ(restore->type, 'R');
  EXPECT_EQ(FilesUnder(dir_ / "restored" + bacula_->data_dir()), backed_up);

  auto differs = bacula_->WaitJob(*differs_id);
  ASSERT_TRUE(differs.ok()) << differs.status();
  EXPECT_EQ(differs->status, 'D') << bacula_->JobLog(differs->id);
  EXPECT_EQ(differs->level, 'd');
  const std::string log = bacula_->JobLog(differs->id);
  EXPECT_THAT(log, HasSubstr("st_size  differ"));
  EXPECT_THAT(log, HasSubstr("in the Catalog but not on disk"));
}

TEST_F(BaculaFixtureTest, WarningsFatalErrorsAndCancelledJobs) {
  // Four jobs at once: each job costs the director's 2 s queue pause.
  std::map<std::string, int> ids;
  for (const char* job : {Bacula::kBackupJob, Bacula::kMissingJob, Bacula::kFailingJob, Bacula::kSlowJob}) {
    auto id = bacula_->StartJob(job);
    ASSERT_TRUE(id.ok()) << id.status();
    ids[job] = *id;
  }
  auto missing = bacula_->WaitJob(ids[Bacula::kMissingJob]);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 'T') << "9.6 keeps T for a backup with warnings";
  EXPECT_EQ(missing->errors, 1);
  EXPECT_EQ(missing->files, 0);
  EXPECT_THAT(bacula_->JobLog(missing->id), HasSubstr("Backup OK -- with warnings"));

  auto fails = bacula_->WaitJob(ids[Bacula::kFailingJob]);
  ASSERT_TRUE(fails.ok()) << fails.status();
  EXPECT_EQ(fails->status, 'f') << bacula_->JobLog(fails->id);

  const int slow = ids[Bacula::kSlowJob];
  ASSERT_TRUE(WaitFor([&] { return bacula_->JobLog(slow).find("ClientRunBeforeJob") != std::string::npos; },
                      absl::Seconds(30)));
  ASSERT_TRUE(bacula_->Cancel(slow).ok());
  auto cancelled = bacula_->WaitJob(slow);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, 'A');

  auto good = bacula_->WaitJob(ids[Bacula::kBackupJob]);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->status, 'T');

  // The file daemon down: the next backup fails, and the newest successful one (what a kind
  // reads as the recovery point) stays the earlier job.
  bacula_->StopFileDaemon();
  auto no_client = bacula_->Backup();
  ASSERT_TRUE(no_client.ok()) << no_client.status();
  EXPECT_EQ(no_client->status, 'f');
  EXPECT_THAT(bacula_->JobLog(no_client->id), HasSubstr("Unable to connect to Client"));
  RunResult newest =
      bacula_->Console(absl::StrCat("llist jobname=", Bacula::kBackupJob, " jobstatus=T order=desc limit=1\n"));
  EXPECT_THAT(newest.output, HasSubstr(absl::StrCat("JobId: ", good->id, "\n")));
  ASSERT_TRUE(bacula_->StartFileDaemon().ok());
  EXPECT_THAT(bacula_->Console(absl::StrCat("status client=", Bacula::kClient, "\n")).output,
              HasSubstr("Daemon started"));

  // A wrong console password: exit 1 and the director's words.
  WriteFileOrDie(dir_ / "bad.conf",
                 absl::StrCat("Director {\n  Name = ", Bacula::kDirector, "\n  DIRport = ", bacula_->director_port(),
                              "\n  Address = 127.0.0.1\n  Password = \"wrong\"\n}\n"));
  RunResult denied = RunCommand({"bconsole", "-n", "-c", dir_ / "bad.conf"}, absl::Seconds(30), "list jobs\n");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.output, HasSubstr("Director authorization problem"));
}

class BarmanFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetupTimer t("barman create");
    auto b = Barman::Create(dir_ / "barman");
    ASSERT_TRUE(b.ok()) << b.status();
    barman_ = std::move(*b);
    ASSERT_EQ(barman_->pg().Sql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS i").exit_code, 0);
  }
  TempDir dir_;
  std::unique_ptr<Barman> barman_;
};

TEST_F(BarmanFixtureTest, BackupCheckRecoverAndStartTheCopy) {
  auto id = barman_->Backup();
  ASSERT_TRUE(id.ok()) << id.status();
  auto list = barman_->Json({"list-backups", Barman::kServer});
  ASSERT_TRUE(list.ok()) << list.status();
  const auto& newest = (*list)[Barman::kServer][0];
  EXPECT_EQ(newest["backup_id"], *id);
  EXPECT_EQ(newest["status"], "DONE");
  EXPECT_FALSE(newest.value("end_time_timestamp", "").empty()) << newest.dump();

  int exit_code = -1;
  auto check = barman_->Json({"check", Barman::kServer}, &exit_code);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(exit_code, 0);
  for (const auto& [name, c] : (*check)[Barman::kServer].items()) EXPECT_EQ(c["status"], "OK") << name;
  RunResult check_backup = barman_->Run({"check-backup", Barman::kServer, *id});
  EXPECT_EQ(check_backup.exit_code, 0) << check_backup.output;
  auto shown = barman_->Json({"show-backup", Barman::kServer, *id});
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ((*shown)[Barman::kServer]["status"], "DONE");

  // Rows written after the backup reach the copy through the archived WAL.
  ASSERT_EQ(barman_->pg().Sql("INSERT INTO t SELECT generate_series(1, 500)").exit_code, 0);
  ASSERT_TRUE(barman_->SwitchWal().ok());
  EXPECT_THAT(ReadFileOrDie(barman_->wals_dir() + "/xlog.db"), HasSubstr("\t16777216\t"));
  ASSERT_TRUE(barman_->Recover("latest", dir_ / "recovered/data").ok());
  SetupTimer t("barman recovered cluster start");
  auto copy = Barman::StartRecovered(dir_ / "recovered", dir_ / "recovered/data");
  ASSERT_TRUE(copy.ok()) << copy.status();
  RunResult rows = (*copy)->Sql("SELECT count(*) FROM t");
  EXPECT_EQ(rows.output, "1500\n") << rows.output;
  EXPECT_NE((*copy)->port(), barman_->pg().port());
}

TEST_F(BarmanFixtureTest, AMissingWalFailsTheBackupAndADownServerFailsTheCheck) {
  auto id = barman_->Backup();
  ASSERT_TRUE(id.ok()) << id.status();
  auto shown = barman_->Json({"show-backup", Barman::kServer, *id});
  ASSERT_TRUE(shown.ok()) << shown.status();
  const std::string end_wal = (*shown)[Barman::kServer]["base_backup_information"]["end_wal"];
  ASSERT_TRUE(std::filesystem::remove(barman_->wals_dir() + "/" + end_wal.substr(0, 16) + "/" + end_wal));
  // check-backup says nothing and exits 0: its verdict goes into the catalog. The backup's last
  // segment missing with nothing archived after it: Barman waits for it to arrive.
  RunResult check_backup = barman_->Run({"check-backup", Barman::kServer, *id});
  EXPECT_EQ(check_backup.exit_code, 0) << check_backup.output;
  shown = barman_->Json({"show-backup", Barman::kServer, *id});
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ((*shown)[Barman::kServer]["status"], "WAITING_FOR_WALS");
  // Once a later segment is archived, the gap is final.
  ASSERT_TRUE(barman_->SwitchWal().ok());
  check_backup = barman_->Run({"check-backup", Barman::kServer, *id});
  EXPECT_EQ(check_backup.exit_code, 0) << check_backup.output;
  shown = barman_->Json({"show-backup", Barman::kServer, *id});
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ((*shown)[Barman::kServer]["status"], "FAILED");
  EXPECT_THAT((*shown)[Barman::kServer].value("error", ""), HasSubstr("WAL file is missing"));

  int exit_code = -1;
  auto check = barman_->Json({"check", Barman::kServer}, &exit_code);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ((*check)[Barman::kServer]["failed_backups"]["status"], "FAILED");

  barman_->pg().Stop("immediate");
  check = barman_->Json({"check", Barman::kServer}, &exit_code);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ((*check)[Barman::kServer]["postgresql"]["status"], "FAILED");
  auto unknown = barman_->Json({"list-backups", "no-such-server"}, &exit_code);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(exit_code, 1);
  EXPECT_TRUE(unknown->contains("_ERROR")) << unknown->dump();
}

TEST(MariabackupFixtureTest, BackupPrepareAScratchCopyAndStartIt) {
  TempDir dir;
  std::unique_ptr<MariaDb> db;
  {
    SetupTimer t("mariadb start");
    auto m = MariaDb::Start(dir / "db", 1);
    ASSERT_TRUE(m.ok()) << m.status();
    db = std::move(*m);
  }
  ASSERT_EQ(db->Sql("CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB;"
                    "INSERT INTO shop.orders VALUES (1), (2), (3);")
                .exit_code,
            0);
  auto backup = MariaBackup(*db, dir / "backup");
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_THAT(*backup, HasSubstr("completed OK!"));
  EXPECT_THAT(ReadFileOrDie(dir / "backup/xtrabackup_checkpoints"), StartsWith("backup_type = full-backuped\n"));
  EXPECT_THAT(ReadFileOrDie(dir / "backup/xtrabackup_info"), HasSubstr("\nend_time = "));
  ASSERT_EQ(db->Sql("INSERT INTO shop.orders VALUES (4)").exit_code, 0);

  auto prepared = MariaPrepare(dir / "backup", dir / "scratch");
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_THAT(*prepared, HasSubstr("completed OK!"));
  EXPECT_THAT(ReadFileOrDie(dir / "scratch/xtrabackup_checkpoints"), StartsWith("backup_type = log-applied\n"));
  EXPECT_THAT(ReadFileOrDie(dir / "backup/xtrabackup_checkpoints"), StartsWith("backup_type = full-backuped\n"))
      << "the backup itself stays unprepared";
  SetupTimer t("mariadb on the prepared copy");
  auto copy = MariaDb::StartOn(dir / "copy", dir / "scratch", 2);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->Sql("SELECT count(*) FROM shop.orders").output, "3\n");

  std::filesystem::create_directories(dir / "not-a-backup");
  auto refused = MariaPrepare(dir / "not-a-backup", dir / "scratch2");
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("Can't open backup-my.cnf"));
}

TEST(RedisFixtureTest, TheReplicaFollowsThePrimaryUntilItStops) {
  TempDir dir;
  std::unique_ptr<Redis> primary, replica;
  {
    SetupTimer t("redis primary and replica");
    auto p = Redis::Start(dir / "primary");
    ASSERT_TRUE(p.ok()) << p.status();
    primary = std::move(*p);
    Redis::Options o;
    o.primary = primary.get();
    o.appendonly = true;
    auto r = Redis::Start(dir / "replica", o);
    ASSERT_TRUE(r.ok()) << r.status();
    replica = std::move(*r);
    ASSERT_TRUE(replica->WaitForLinkUp().ok());
  }
  EXPECT_EQ(ReadFileOrDie(primary->password_file()), primary->password() + "\n");
  ASSERT_EQ(primary->Cli({"set", "k", "v"}).output, "OK\n");
  const std::string offset = primary->Info("replication")["master_repl_offset"];
  EXPECT_TRUE(WaitFor([&] { return replica->Info("replication")["slave_repl_offset"] == offset; }, absl::Seconds(10)));
  auto p = primary->Info("replication");
  EXPECT_EQ(p["role"], "master");
  EXPECT_EQ(p["connected_slaves"], "1");
  EXPECT_THAT(p["slave0"], HasSubstr("state=online"));
  auto r = replica->Info("replication");
  EXPECT_EQ(r["role"], "slave");
  EXPECT_EQ(r["master_port"], std::to_string(primary->port()));
  EXPECT_EQ(replica->Cli({"get", "k"}).output, "v\n");
  EXPECT_EQ(replica->Info("persistence")["aof_enabled"], "1");

  // No snapshot yet: rdb_last_save_time is the start time all the same. A BGSAVE counts.
  EXPECT_EQ(primary->Info("persistence")["rdb_saves"], "0");
  ASSERT_THAT(primary->Cli({"bgsave"}).output, HasSubstr("Background saving started"));
  EXPECT_TRUE(WaitFor([&] { return primary->Info("persistence")["rdb_saves"] == "1"; }, absl::Seconds(10)));
  EXPECT_EQ(primary->Info("persistence")["rdb_last_bgsave_status"], "ok");

  // A wrong password: redis-cli exits 0 and prints the server's refusal.
  RunResult denied = RunCommand({"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(primary->port()), "info"},
                                absl::Seconds(10), "", {{"REDISCLI_AUTH", "wrong"}});
  EXPECT_EQ(denied.exit_code, 0);
  EXPECT_THAT(denied.output, HasSubstr("WRONGPASS"));

  primary->Stop();
  EXPECT_TRUE(WaitFor([&] { return replica->Info("replication")["master_link_status"] == "down"; }, absl::Seconds(5)));
  EXPECT_NE(replica->Info("replication")["master_link_down_since_seconds"], "-1");
}

class RcloneFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      SetupTimer t("rclone servers");
      auto r = Rclone::Start(dir_ / "rclone");
      ASSERT_TRUE(r.ok()) << r.status();
      rclone_ = std::move(*r);
    }
    WriteBackup(dir_ / "set/full-1.tar", 64 << 10, false);
    WriteBackup(dir_ / "set/full-2.tar", 32 << 10, false);
    WriteFileOrDie(dir_ / "set/logs/run.log", "ok\n");
    SetMtime(dir_ / "set/full-2.tar", absl::FromUnixSeconds(1700000000));
  }
  RunResult Copy(const std::string& remote) { return rclone_->Run({"copy", dir_ / "set", remote}); }
  TempDir dir_;
  std::unique_ptr<Rclone> rclone_;
};

TEST_F(RcloneFixtureTest, EveryRemoteTakesACopyThatChecksClean) {
  const std::string local = "local:" + (dir_ / "offsite");
  for (const std::string& remote :
       {local, std::string("sftp:set"), std::string("webdav:set"), std::string("crypt:set")}) {
    RunResult copy = Copy(remote);
    ASSERT_EQ(copy.exit_code, 0) << remote << ": " << copy.output;
  }
  RunResult ls = rclone_->Run({"lsjson", "-R", "--files-only", "sftp:set"});
  ASSERT_EQ(ls.exit_code, 0) << ls.output;
  auto listing = nlohmann::json::parse(ls.output, nullptr, false);
  ASSERT_TRUE(listing.is_array()) << ls.output;
  std::map<std::string, nlohmann::json> by_path;
  for (const auto& e : listing) by_path[e["Path"]] = e;
  ASSERT_EQ(by_path.size(), 3u) << ls.output;
  EXPECT_EQ(by_path["full-1.tar"]["Size"], 64 << 10);
  EXPECT_EQ(by_path["full-2.tar"]["ModTime"], "2023-11-14T22:13:20Z") << "SFTP keeps the source's mtime";
  EXPECT_TRUE(std::filesystem::exists(rclone_->sftp_root() + "/set/logs/run.log"));

  for (const std::string& remote : {local, std::string("sftp:set")}) {
    RunResult check = rclone_->Run({"check", dir_ / "set", remote});
    EXPECT_EQ(check.exit_code, 0) << remote << ": " << check.output;
    EXPECT_THAT(check.output, HasSubstr("0 differences found"));
    EXPECT_THAT(check.output, HasSubstr("3 matching files"));
  }
  RunResult webdav = rclone_->Run({"check", dir_ / "set", "webdav:set"});
  EXPECT_EQ(webdav.exit_code, 0) << webdav.output;
  EXPECT_THAT(webdav.output, HasSubstr("3 hashes could not be checked"));
  RunResult crypt = rclone_->Run({"cryptcheck", dir_ / "set", "crypt:set"});
  EXPECT_EQ(crypt.exit_code, 0) << crypt.output;
  EXPECT_THAT(crypt.output, HasSubstr("3 matching files"));
  EXPECT_FALSE(std::filesystem::exists(rclone_->crypt_root() + "/full-1.tar")) << "names are encrypted";
}

TEST_F(RcloneFixtureTest, DamageAndADownRemoteAreSeen) {
  ASSERT_EQ(Copy("sftp:set").exit_code, 0);
  ASSERT_EQ(Copy("crypt:set").exit_code, 0);
  // A changed and an extra file on the SFTP side.
  WriteBackup(rclone_->sftp_root() + "/set/full-1.tar", 64 << 10, false);
  WriteFileOrDie(rclone_->sftp_root() + "/set/stray.txt", "x\n");
  RunResult check = rclone_->Run({"check", dir_ / "set", "sftp:set", "--combined", "-"});
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_THAT(check.output, HasSubstr("* full-1.tar\n"));
  EXPECT_THAT(check.output, HasSubstr("- stray.txt\n"));
  EXPECT_THAT(check.output, HasSubstr("2 differences found"));

  // Flipped ciphertext: cryptcheck sees it, plain check (sizes only on crypt) does not.
  std::string victim;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(rclone_->crypt_root())) {
    if (e.is_regular_file() && e.file_size() > size) victim = e.path(), size = e.file_size();
  }
  std::string data = ReadFileOrDie(victim);
  data[data.size() / 2] ^= 0x5a;
  WriteFileOrDie(victim, data);
  RunResult cryptcheck = rclone_->Run({"cryptcheck", dir_ / "set", "crypt:set"});
  EXPECT_EQ(cryptcheck.exit_code, 1) << cryptcheck.output;
  EXPECT_THAT(cryptcheck.output, HasSubstr("1 differences found"));
  EXPECT_EQ(rclone_->Run({"check", dir_ / "set", "crypt:set"}).exit_code, 0);

  rclone_->StopSftp();
  RunResult down = rclone_->Run({"lsjson", "sftp:set", "--low-level-retries", "1", "--retries", "1"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.output, HasSubstr("connection refused"));
  ASSERT_TRUE(rclone_->StartSftp().ok());
  EXPECT_EQ(rclone_->Run({"lsjson", "sftp:set"}).exit_code, 0);
  RunResult missing = rclone_->Run({"lsjson", "sftp:no-such-dir"});
  EXPECT_EQ(missing.exit_code, 3) << "directory not found";
}

}  // namespace
}  // namespace paraat::testing
