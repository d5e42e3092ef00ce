#include "agent/file_hasher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace paraat {

RateLimiter::RateLimiter(uint64_t bytes_per_second, const Clock* clock)
    : rate_(static_cast<double>(bytes_per_second)), clock_(clock), available_(0), last_(clock->Monotonic()) {}

void RateLimiter::Acquire(uint64_t bytes, const std::function<bool()>& cancelled) {
  while (true) {
    absl::Duration wait;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const absl::Duration now = clock_->Monotonic();
      // Refill, allowing at most a tenth of a second of burst.
      available_ = std::min(available_ + absl::ToDoubleSeconds(now - last_) * rate_,
                            std::max(rate_ / 10, static_cast<double>(bytes)));
      last_ = now;
      if (available_ >= static_cast<double>(bytes)) {
        available_ -= static_cast<double>(bytes);
        return;
      }
      wait = absl::Seconds((static_cast<double>(bytes) - available_) / rate_);
    }
    if (cancelled && cancelled()) return;
    clock_->SleepFor(std::min(wait, absl::Milliseconds(100)));  // short: cancellation is noticed
  }
}

absl::StatusOr<Digest> HashFile(const std::string& path, const HashOptions& o) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // O_NOATIME needs ownership
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open ", path));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<char[]> buf(new char[o.block_size]);
  Sha256 sha;
  uint64_t pos = o.offset;
  uint64_t remaining = o.length;
  while (remaining > 0) {
    if (o.cancelled && o.cancelled()) {
      ::close(fd);
      return absl::CancelledError(absl::StrCat("stopped while reading ", path));
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(o.block_size, remaining));
    if (o.limiter) o.limiter->Acquire(want, o.cancelled);
    ssize_t n = ::pread(fd, buf.get(), want, static_cast<off_t>(pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    sha.Update(buf.get(), static_cast<size_t>(n));
    pos += static_cast<uint64_t>(n);
    remaining -= static_cast<uint64_t>(n);
    if (o.on_read) o.on_read(static_cast<uint64_t>(n));
  }
  // Drop what we read from the page cache: verification must not evict the server's working set.
  ::posix_fadvise(fd, static_cast<off_t>(o.offset), static_cast<off_t>(pos - o.offset), POSIX_FADV_DONTNEED);
  ::close(fd);
  return sha.Finish();
}

bool ParseChecksumLine(const std::string& line, std::string* hex, std::string* name) {
  std::string t(absl::StripAsciiWhitespace(line));
  if (t.size() < 64) return false;
  std::string digest = absl::AsciiStrToLower(t.substr(0, 64));
  for (char c : digest) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  std::string rest = t.substr(64);
  if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t') return false;
  rest = std::string(absl::StripLeadingAsciiWhitespace(rest));
  if (!rest.empty() && rest[0] == '*') rest.erase(0, 1);  // binary-mode marker
  *hex = digest;
  if (name) *name = rest;
  return true;
}

}  // namespace paraat
