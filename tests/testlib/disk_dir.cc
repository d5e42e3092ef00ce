#include "tests/testlib/disk_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

DiskTempDir::DiskTempDir() {
  std::string tmpl = "/var/tmp/paraat-test-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
  ::chmod(path_.c_str(), 0755);
}

DiskTempDir::~DiskTempDir() {
  for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it) {
    RunResult u = RunCommand({"umount", *it});
    if (u.exit_code != 0) RunCommand({"umount", "-l", *it});
  }
  for (const std::string& p : attributed_) RunCommand({"chattr", "-i", "-a", p});
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::Status DiskTempDir::Chattr(const std::string& flags, const std::string& path) {
  attributed_.push_back(path);  // cleared on destruction even if chattr half-succeeded
  RunResult r = RunCommand({"chattr", flags, path});
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat("chattr ", flags, " ", path, " refused: ", r.output));
  }
  return absl::OkStatus();
}

absl::Status DiskTempDir::BindReadOnly(const std::string& dir) {
  RunResult r = RunCommand({"mount", "--bind", dir, dir});
  if (r.exit_code != 0)
    return absl::FailedPreconditionError(absl::StrCat("mount --bind ", dir, " refused: ", r.output));
  mounted_.push_back(dir);
  r = RunCommand({"mount", "-o", "remount,ro,bind", dir});
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat("remount,ro,bind ", dir, " refused: ", r.output));
  }
  return absl::OkStatus();
}

}  // namespace paraat::testing
