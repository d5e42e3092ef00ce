// The agent's code pages that starting touched are handed back (agent/footprint.h): file-backed
// resident memory falls. In this test binary only its own executable's pages go (the libraries
// are shared objects here); in the static agent it is most of its resident memory
// (bench/fleet_bench.sh section 6: 13.7 MiB before, 5.8 MiB after).
#include "agent/footprint.h"

#include "gtest/gtest.h"

namespace paraat {
namespace {

TEST(Footprint, ReleasingStartupPagesLowersResidentFileMemory) {
  const uint64_t before = ResidentFileBytes();
  ASSERT_GT(before, 0u) << "RssFile missing from /proc/self/status";
  absl::StatusOr<uint64_t> advised = ReleaseStartupPages();
  ASSERT_TRUE(advised.ok()) << advised.status();
  EXPECT_GT(*advised, 1u << 20) << "the executable's read-only mappings were not found";
  const uint64_t after = ResidentFileBytes();
  EXPECT_LT(after + (64u << 10), before) << "before " << before / 1024 << " KiB, after " << after / 1024 << " KiB";
}

}  // namespace
}  // namespace paraat
