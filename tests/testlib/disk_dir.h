// A temporary directory on a disk file system, for tests that set file attributes
// (`chattr +i`, `chattr +a`) or mount over a directory as root: under /var/tmp, as /tmp may be a
// tmpfs. Whatever the test did, its destructor unmounts what it mounted, clears the attributes
// it set and removes the directory.
#ifndef PARAAT_TESTS_TESTLIB_DISK_DIR_H_
#define PARAAT_TESTS_TESTLIB_DISK_DIR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace paraat::testing {

class DiskTempDir {
 public:
  DiskTempDir();
  ~DiskTempDir();
  DiskTempDir(const DiskTempDir&) = delete;
  DiskTempDir& operator=(const DiskTempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  // The real chattr (flags "+i", "+a"); FAILED_PRECONDITION with its words when refused (not
  // root, a file system without attributes): a test skips on it.
  absl::Status Chattr(const std::string& flags, const std::string& path);
  // `mount --bind dir dir` and `mount -o remount,ro,bind dir`: dir becomes a read-only mount.
  absl::Status BindReadOnly(const std::string& dir);

 private:
  std::string path_;
  std::vector<std::string> attributed_;
  std::vector<std::string> mounted_;
};

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_DISK_DIR_H_
