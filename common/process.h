// Running external programs (backup tools, plugins, restore drills) without a shell:
// argv lists only, a timeout that kills the whole process group, bounded output capture.
// The timeout, the kill grace and the measured duration are monotonic time of the options'
// clock, so a FakeClock drives them in tests. Thread-safe: each call runs its own child.
#ifndef PARAAT_COMMON_PROCESS_H_
#define PARAAT_COMMON_PROCESS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace paraat {

struct ProcessOptions {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  // added to (or replacing in) the inherited environment
  std::vector<std::string> unset_env;
  std::string cwd;  // empty: inherit
  absl::Duration timeout = absl::InfiniteDuration();
  absl::Duration kill_grace = absl::Seconds(5);  // SIGTERM, then SIGKILL after this
  size_t max_capture = 16 << 20;                 // per stream; beyond it the oldest bytes are dropped
  std::string stdin_data;                        // written to the child's stdin, which is then closed
  // Polled about every 100 ms; returning true terminates the child like a timeout.
  std::function<bool()> cancelled;
  // Called with each complete line the child writes to stderr (progress output).
  std::function<void(const std::string&)> on_stderr_line;
  // Measures the timeout, the kill grace and the duration.
  const Clock* clock = Clock::Real();
};

struct ProcessResult {
  bool exited = false;  // exited normally; exit_code is valid
  int exit_code = -1;
  int term_signal = 0;  // killed by this signal
  bool timed_out = false;
  bool cancelled = false;
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
  absl::Duration duration;  // monotonic, from start to reaped

  bool success() const { return exited && exit_code == 0; }
  // "exit code 3", "killed by signal 9", "timed out after 2h".
  std::string Describe() const;
};

// Fails only when the program could not be started (not found, not executable); everything
// that happens after start is in the result.
[[nodiscard]] absl::StatusOr<ProcessResult> RunProcess(const ProcessOptions& options);

// The last `max_lines` lines of `text`, at most `max_bytes` bytes (cut on a character boundary), for
// evidence and messages.
std::string TailText(const std::string& text, size_t max_lines, size_t max_bytes);
// The first line of `text`, trimmed.
std::string FirstLine(const std::string& text);

// Lowers the calling thread's scheduling priority to `nice` (0..19), for background work that
// must not compete with serving; threads it starts afterwards inherit it (Linux: per thread).
absl::Status LowerThreadPriority(int nice);

}  // namespace paraat

#endif  // PARAAT_COMMON_PROCESS_H_
