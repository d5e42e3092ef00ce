// The agent's code pages that starting touched are handed back (agent/footprint.h): file-backed
// resident memory falls. In this test binary only its own executable's pages go (the libraries
// are shared objects here); in the static agent it is most of its resident memory
// (bench/fleet_bench.sh section 6: 13.7 MiB before, 5.8 MiB after).
//
// The kernel pages out only pages no other process maps, and ctest runs other tests of this same
// binary beside this one: the measurement runs in a child started from a private copy of the
// executable, which nothing else maps.
#include "agent/footprint.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "gtest/gtest.h"

namespace paraat {
namespace {

constexpr char kChildEnv[] = "PARAAT_FOOTPRINT_CHILD";

// In the child: exit 0 when releasing lowered the resident file memory by more than 64 KiB.
[[noreturn]] void MeasureAndExit() {
  const uint64_t before = ResidentFileBytes();
  absl::StatusOr<uint64_t> advised = ReleaseStartupPages();
  const uint64_t after = ResidentFileBytes();
  std::cerr << "before " << before / 1024 << " KiB, after " << after / 1024 << " KiB, advised "
            << (advised.ok() ? std::to_string(*advised) : std::string(advised.status().message())) << "\n";
  const bool ok = before > 0 && advised.ok() && *advised > (1u << 20) && after + (64u << 10) < before;
  std::_Exit(ok ? 0 : 1);
}

TEST(Footprint, ReleasingStartupPagesLowersResidentFileMemory) {
  if (std::getenv(kChildEnv) != nullptr) MeasureAndExit();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("paraat-footprint-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path copy = dir / "footprint_child";
  std::filesystem::copy_file(std::filesystem::read_symlink("/proc/self/exe"), copy);
  // Written back first: the kernel pages out clean file pages only.
  const int fd = ::open(copy.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fsync(fd), 0);
  ::close(fd);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv(kChildEnv, "1", 1);
    ::execl(copy.c_str(), copy.c_str(), "--gtest_filter=Footprint.ReleasingStartupPagesLowersResidentFileMemory",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "resident file memory did not fall (the child's line above says by how much)";
}

}  // namespace
}  // namespace paraat
