// File helpers with the durability the spool and the evidence attachments need.
//
// Errors: the errno of the failing call as a status (ErrnoStatus: NotFound for ENOENT,
// PermissionDenied for EACCES, ...) whose message names the operation and the path.
// Thread-safety: safe from any thread; two writers of one path race as they would in a shell.
#ifndef PARAAT_COMMON_FS_H_
#define PARAAT_COMMON_FS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace paraat {

[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path`
// and (when `durable`) fsyncs the directory, so a crash leaves the old or the new file.
[[nodiscard]] absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, bool durable = true);
[[nodiscard]] absl::Status FsyncDir(const std::string& dir);
// mkdir -p with the given mode for created directories.
[[nodiscard]] absl::Status MakeDirs(const std::string& dir, int mode = 0750);
// An errno-based status with context: "open /x: No such file or directory".
absl::Status ErrnoStatus(int err, absl::string_view context);

}  // namespace paraat

#endif  // PARAAT_COMMON_FS_H_
