#include "agent/checks/support/entropy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace paraat {

double ByteEntropy(absl::string_view data) {
  if (data.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : data) ++counts[c];
  const double n = static_cast<double>(data.size());
  double h = 0;
  for (size_t c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

namespace {

struct Part {
  std::string path;
  uint64_t size = 0;
};

// Reads up to `n` bytes at `offset` of `path`.
absl::StatusOr<std::string> ReadAt(const std::string& path, uint64_t offset, size_t n) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::string buf(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t k = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(offset + got));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      const int e = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(e)));
    }
    if (k == 0) break;
    got += static_cast<size_t>(k);
  }
  ::close(fd);
  buf.resize(got);
  return buf;
}

}  // namespace

absl::StatusOr<double> SampleEntropy(const std::vector<std::string>& paths, EntropySample sample) {
  std::vector<Part> parts;
  uint64_t total = 0;
  for (const std::string& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0)
      return absl::InternalError(absl::StrCat("cannot stat ", p, ": ", std::strerror(errno)));
    parts.push_back(Part{p, static_cast<uint64_t>(st.st_size)});
    total += static_cast<uint64_t>(st.st_size);
  }
  if (total == 0) return absl::FailedPreconditionError("no bytes to sample");
  const uint64_t block = sample.block_size;
  // Block starts spread evenly from the first byte to the last block's start.
  const uint64_t span = total > block ? total - block : 0;
  const size_t blocks = total <= block ? 1 : sample.blocks;
  double sum = 0;
  size_t counted = 0;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t at = blocks == 1 ? 0 : span * i / (blocks - 1);
    size_t k = 0;
    while (k < parts.size() && at >= parts[k].size) at -= parts[k++].size;
    if (k == parts.size()) break;
    absl::StatusOr<std::string> bytes = ReadAt(parts[k].path, at, static_cast<size_t>(block));
    if (!bytes.ok()) return bytes.status();
    if (bytes->empty()) continue;
    sum += ByteEntropy(*bytes);
    ++counted;
  }
  if (counted == 0) return absl::FailedPreconditionError("no bytes to sample");
  return sum / static_cast<double>(counted);
}

}  // namespace paraat
