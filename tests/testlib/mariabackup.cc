#include "tests/testlib/mariabackup.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace paraat::testing {

absl::StatusOr<std::string> MariaBackup(const MariaDb& server, const std::string& target_dir) {
  if (!HaveProgram("mariabackup")) return absl::FailedPreconditionError("mariabackup is missing (mariadb-backup)");
  RunResult r = RunCommand({"mariabackup", "--no-defaults", "--backup", "--target-dir=" + target_dir,
                            "--socket=" + server.socket(), "--user=root"},
                           absl::Seconds(300));
  if (r.exit_code != 0) return absl::InternalError("mariabackup --backup failed:\n" + r.output);
  return r.output;
}

absl::StatusOr<std::string> MariaPrepare(const std::string& backup_dir, const std::string& scratch_dir) {
  if (!HaveProgram("mariabackup")) return absl::FailedPreconditionError("mariabackup is missing (mariadb-backup)");
  std::error_code ec;
  std::filesystem::copy(backup_dir, scratch_dir, std::filesystem::copy_options::recursive, ec);
  if (ec) return absl::InternalError(absl::StrCat("copying ", backup_dir, " to ", scratch_dir, ": ", ec.message()));
  RunResult r =
      RunCommand({"mariabackup", "--no-defaults", "--prepare", "--target-dir=" + scratch_dir}, absl::Seconds(300));
  if (r.exit_code != 0) return absl::InternalError("mariabackup --prepare failed:\n" + r.output);
  return r.output;
}

}  // namespace paraat::testing
