// A throw-away Bacula installation from Debian's packages (9.6): a director with an SQLite
// catalog, a storage daemon writing disk volumes into a temporary directory, and a file daemon,
// all on free loopback ports, run as the current user (root in CI). Every daemon is killed on
// destruction.
//
// The director knows these resources (the constants below name them):
//   client  paraat-fd, fileset data-set (data_dir(), MD5 signatures, verify = pins5)
//   jobs    backup-data     Full backup of data_dir()                     -> JobStatus T
//           backup-missing  its FileSet names a path that does not exist  -> T with JobErrors 1
//                           ("Backup OK -- with warnings": 9.6 has no status W)
//           backup-fails    ClientRunBeforeJob /bin/false                 -> f
//           backup-slow     ClientRunBeforeJob sleeps 60 s, to be cancelled -> A
//           verify-data     Verify of backup-data's newest job, VolumeToCatalog unless asked
//                           otherwise                                     -> T, or D on differences
//           restore-files   the Restore job Restore() runs
// Stopping the file daemon makes any backup fail with f after the 2 s connect timeout.
// Tests add resources of their own through Options::extra_director_conf.
//
// Errors: Start() fails (with the daemons' logs) when Bacula is not installed or a daemon does
// not come up; the job helpers fail when bconsole does not queue the job (with its output).
// Not thread-safe: one test thread drives it.
#ifndef PARAAT_TESTS_TESTLIB_BACULA_H_
#define PARAAT_TESTS_TESTLIB_BACULA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

// One row of the catalog's Job table, as `llist jobid=N` prints it.
struct BaculaJob {
  int id = 0;
  std::string name;
  char type = 0;    // B backup, V verify, R restore
  char level = 0;   // F full, I incremental, D differential; verify: O VolumeToCatalog, d DiskToCatalog
  char status = 0;  // T E e f D A ... (the catalog's Status table)
  int64_t files = 0;
  int64_t bytes = 0;
  int errors = 0;          // JobErrors: non-fatal errors, > 0 on "OK -- with warnings"
  std::string start_time;  // "2026-12-01 20:58:19", the director's local time, no zone
  std::string end_time;
  std::map<std::string, std::string> fields;  // every "Key: value" of the listing
};

class Bacula {
 public:
  static constexpr char kDirector[] = "paraat-dir";
  static constexpr char kClient[] = "paraat-fd";
  static constexpr char kFileSet[] = "data-set";
  static constexpr char kBackupJob[] = "backup-data";
  static constexpr char kMissingJob[] = "backup-missing";
  static constexpr char kFailingJob[] = "backup-fails";
  static constexpr char kSlowJob[] = "backup-slow";
  static constexpr char kVerifyJob[] = "verify-data";
  static constexpr char kRestoreJob[] = "restore-files";

  struct Options {
    std::string extra_director_conf;  // appended to bacula-dir.conf
  };
  // `dir` is created; data_dir() is created empty for the test to fill.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Bacula>> Start(const std::string& dir, const Options& options);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Bacula>> Start(const std::string& dir) {
    return Start(dir, Options());
  }
  ~Bacula() = default;

  // Runs bconsole with `commands` (one per line) on its standard input.
  RunResult Console(const std::string& commands, absl::Duration timeout = absl::Seconds(120)) const;

  // Queues a job (`run job=NAME ARGS yes`) and returns its JobId without waiting.
  [[nodiscard]] absl::StatusOr<int> StartJob(const std::string& job, const std::string& args = "") const;
  // Waits for a job to end and returns its catalog row.
  [[nodiscard]] absl::StatusOr<BaculaJob> WaitJob(int job_id) const;
  // StartJob then WaitJob. Every job starts at least 2 s after it is queued (the director's job
  // queue sleeps 2 s between passes): tests that need several jobs start them together.
  [[nodiscard]] absl::StatusOr<BaculaJob> Run(const std::string& job, const std::string& args = "") const;
  // A Full backup of data_dir().
  [[nodiscard]] absl::StatusOr<BaculaJob> Backup() const { return Run(kBackupJob); }
  // A Verify job at `level` (VolumeToCatalog, DiskToCatalog) of backup job `of_job_id`, or of
  // backup-data's newest job when 0.
  [[nodiscard]] absl::StatusOr<BaculaJob> Verify(const std::string& level = "VolumeToCatalog", int of_job_id = 0) const;
  // Restores every file of job `job_id`, or the newest backup of data_dir() when 0, under
  // `where` (Bacula recreates the absolute paths below it: where + data_dir()).
  [[nodiscard]] absl::StatusOr<BaculaJob> Restore(const std::string& where, int job_id = 0) const;
  // Queues that restore and returns its JobId without waiting.
  [[nodiscard]] absl::StatusOr<int> StartRestore(const std::string& where, int job_id = 0) const;
  // Cancels a queued or running job.
  [[nodiscard]] absl::Status Cancel(int job_id) const;
  // The job's log as the catalog keeps it (`list joblog jobid=N`).
  std::string JobLog(int job_id) const;

  void StopFileDaemon();
  [[nodiscard]] absl::Status StartFileDaemon();

  // A bconsole config whose password line includes password_file() (`Password = @FILE`).
  const std::string& bconsole_config() const { return bconsole_conf_; }
  // The director's console password, alone on one line.
  const std::string& password_file() const { return password_file_; }
  const std::string& password() const { return password_; }
  const std::string& data_dir() const { return data_dir_; }
  int director_port() const { return dir_port_; }
  // Everything the daemons logged.
  std::string Logs() const;

 private:
  Bacula() = default;
  [[nodiscard]] absl::Status WriteConfigs(const Options& options);
  [[nodiscard]] absl::Status StartDaemon(const std::string& program, const std::string& conf, int port,
                                         std::unique_ptr<Process>* process);

  std::string dir_, data_dir_, bconsole_conf_, password_file_, password_;
  int dir_port_ = 0, sd_port_ = 0, fd_port_ = 0;
  std::unique_ptr<Process> sd_, fd_, director_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_BACULA_H_
