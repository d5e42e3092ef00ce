#include "agent/footprint.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace paraat {

absl::StatusOr<uint64_t> ReleaseStartupPages() {
  std::error_code ec;
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return absl::UnavailableError(absl::StrCat("/proc/self/exe: ", ec.message()));
  std::ifstream maps("/proc/self/maps");
  if (!maps) return absl::UnavailableError("/proc/self/maps cannot be read");
  uint64_t advised = 0;
  std::string line;
  while (std::getline(maps, line)) {
    // address perms offset dev inode path: "55d0c000-55d0e000 r-xp 00001000 fe:01 1234 /usr/bin/x"
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(' ', 5), absl::SkipEmpty());
    if (f.size() < 6 || absl::StripLeadingAsciiWhitespace(f[5]) != exe || f[1].size() < 2 || f[1][1] == 'w') {
      continue;
    }
    std::vector<absl::string_view> range = absl::StrSplit(f[0], '-');
    uint64_t start = 0, end = 0;
    if (range.size() != 2 || !absl::SimpleHexAtoi(range[0], &start) || !absl::SimpleHexAtoi(range[1], &end) ||
        end <= start) {
      continue;
    }
    if (madvise(reinterpret_cast<void*>(start), end - start, MADV_PAGEOUT) != 0) {
      return absl::UnavailableError(absl::StrCat("madvise(MADV_PAGEOUT): ", std::strerror(errno)));
    }
    advised += end - start;
  }
  return advised;
}

uint64_t ResidentFileBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view v = line;
    if (!absl::ConsumePrefix(&v, "RssFile:")) continue;
    v = absl::StripAsciiWhitespace(v);
    absl::ConsumeSuffix(&v, " kB");
    uint64_t kib = 0;
    return absl::SimpleAtoi(v, &kib) ? kib * 1024 : 0;
  }
  return 0;
}

}  // namespace paraat
