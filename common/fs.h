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

// Reads a file named by a user (a plan, a config, an attachment, a secret) that must be a regular
// file of at most `max_bytes`: a FIFO, a device (/dev/zero) or a directory is refused before it
// is read, so nothing hangs and nothing grows; at most max_bytes are ever read, however the file
// changes meanwhile. With `within_folder`, a symlink is followed only when the file it leads to
// lies inside the folder that holds `path` (or below it: a Kubernetes ConfigMap's ..data/);
// a symlink out of it (plans/x.yaml -> /etc/shadow) is refused without reading it.
//
// Errors, each message a phrase that reads after "<path>: " and never holds the file's content:
// NOT_FOUND / PERMISSION_DENIED / INTERNAL "cannot read: <strerror>"; FAILED_PRECONDITION
// "not a regular file (a FIFO)"; RESOURCE_EXHAUSTED "larger than 1 MiB (52428800 bytes)";
// PERMISSION_DENIED "a symlink to /etc/shadow, outside its folder /etc/paraat/plans".
[[nodiscard]] absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes,
                                                          bool within_folder = false);
// A byte limit as people write it: "1 MiB", "8 MiB", "64 KiB", "1000 bytes".
std::string LimitText(size_t bytes);
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
