// Debian's mariabackup (10.11) against a throw-away MariaDB server (tests/testlib/mariadb.h):
// a full physical backup into a folder, and --prepare of a scratch copy of it, the way the
// restore_test recipe `mariabackup` works. A prepared copy starts with MariaDb::StartOn().
//
// Errors: each helper fails with mariabackup's own output when it exits non-zero (or is
// missing). Thread-compatible: no state.
#ifndef PARAAT_TESTS_TESTLIB_MARIABACKUP_H_
#define PARAAT_TESTS_TESTLIB_MARIABACKUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "tests/testlib/mariadb.h"

namespace paraat::testing {

// `mariabackup --backup` of `server` (root over its socket) into `target_dir`, which must not
// exist or be empty; mariabackup's log (it writes everything to stderr).
[[nodiscard]] absl::StatusOr<std::string> MariaBackup(const MariaDb& server, const std::string& target_dir);
// Copies `backup_dir` to `scratch_dir` (which must not exist) and runs `mariabackup --prepare`
// there, leaving the backup as it was; the prepare log.
[[nodiscard]] absl::StatusOr<std::string> MariaPrepare(const std::string& backup_dir, const std::string& scratch_dir);

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_MARIABACKUP_H_
