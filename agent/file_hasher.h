// Streaming SHA-256 of files for backup verification: sequential reads in large blocks,
// cancellable, with progress and an optional read-rate limit.
#ifndef PARAAT_AGENT_FILE_HASHER_H_
#define PARAAT_AGENT_FILE_HASHER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/sha256.h"

namespace paraat {

// Token bucket shared by every reader of one check, so `max_read_rate` bounds the check as a
// whole, however many files it reads at once. It refills by the clock's monotonic time and
// waits on the clock. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(uint64_t bytes_per_second, const Clock* clock = Clock::Real());
  // Blocks until `bytes` may be read, or until `cancelled` returns true.
  void Acquire(uint64_t bytes, const std::function<bool()>& cancelled);

 private:
  const double rate_;
  const Clock* clock_;
  std::mutex mu_;
  double available_;
  absl::Duration last_;
};

struct HashOptions {
  size_t block_size = 1 << 20;
  std::function<bool()> cancelled;              // polled every block
  RateLimiter* limiter = nullptr;               // optional
  std::function<void(uint64_t bytes)> on_read;  // bytes read since the last call
  uint64_t offset = 0;                          // hash only [offset, offset + length)
  uint64_t length = UINT64_MAX;
};

// CANCELLED when `cancelled` fired; NOT_FOUND / PERMISSION_DENIED / INTERNAL for I/O errors,
// with the path in the message.
[[nodiscard]] absl::StatusOr<Digest> HashFile(const std::string& path, const HashOptions& options = {});

// Parses a sha256sum-style line ("<64 hex>  name" or "<64 hex> *name") or a bare digest.
// Returns the lower-case hex digest and, when present, the file name.
bool ParseChecksumLine(const std::string& line, std::string* hex, std::string* name);

}  // namespace paraat

#endif  // PARAAT_AGENT_FILE_HASHER_H_
