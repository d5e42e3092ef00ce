#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/text.h"
#include "common/units.h"

extern char** environ;

namespace paraat {
namespace {

void AppendBounded(std::string* buf, bool* truncated, const char* data, size_t n, size_t limit) {
  buf->append(data, n);
  if (buf->size() > limit) {
    buf->erase(0, buf->size() - limit);
    *truncated = true;
  }
}

std::vector<std::string> BuildEnv(const ProcessOptions& o) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (o.env.count(name)) continue;
    if (std::find(o.unset_env.begin(), o.unset_env.end(), name) != o.unset_env.end()) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : o.env) env.push_back(absl::StrCat(k, "=", v));
  return env;
}

// How often a quiet child's deadline (on the options' clock) and `cancelled` are looked at. The
// waits below are waits for I/O or for the child, bounded by this tick; they are not timed waits.
constexpr int kTickMs = 100;

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// The child's stdin, stdout and stderr pipes; closes whatever end it still holds.
struct Pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() { CloseAll(); }
  absl::Status Open() {
    for (int* p : {in, out, err}) {
      if (pipe2(p, O_CLOEXEC) != 0) return absl::InternalError(strerror(errno));
    }
    return absl::OkStatus();
  }
  void CloseAll() {
    for (int* p : {in, out, err}) {
      CloseFd(&p[0]);
      CloseFd(&p[1]);
    }
  }
};

// Starts the program in its own process group (so a timeout ends it and everything it started)
// with the pipes as its stdin, stdout and stderr; closes the child's ends here.
absl::StatusOr<pid_t> Spawn(const ProcessOptions& o, Pipes* pipes) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes->in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, pipes->out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipes->err[1], 2);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, o.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = BuildEnv(o);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&pipes->in[0]);
  CloseFd(&pipes->out[1]);
  CloseFd(&pipes->err[1]);
  if (rc != 0) {
    std::string msg = absl::StrCat("cannot run ", o.argv[0], ": ", strerror(rc));
    return rc == ENOENT ? absl::NotFoundError(msg) : absl::FailedPreconditionError(msg);
  }
  return pid;
}

// Ends the child's process group when its time is up or the caller cancels: SIGTERM, then SIGKILL
// once the grace has passed. Time is the options' clock's monotonic time.
class Terminator {
 public:
  Terminator(const ProcessOptions& o, pid_t pid, absl::Duration start)
      : o_(o), pid_(pid), deadline_(start + o.timeout) {}

  // Signals the group when it is due. `cancellable`: `cancelled` may end the child too.
  void Poll(ProcessResult* r, bool cancellable) {
    const absl::Duration now = o_.clock->Monotonic();
    if (!terminating_) {
      const bool cancel = cancellable && o_.cancelled && o_.cancelled();
      if (now < deadline_ && !cancel) return;
      r->timed_out = now >= deadline_;
      r->cancelled = !r->timed_out;
      kill(-pid_, SIGTERM);
      terminating_ = true;
      kill_at_ = now + o_.kill_grace;
    } else if (now >= kill_at_) {
      kill(-pid_, SIGKILL);
      kill_at_ = absl::InfiniteDuration();
    }
  }
  bool terminating() const { return terminating_; }

 private:
  const ProcessOptions& o_;
  const pid_t pid_;
  const absl::Duration deadline_;  // infinite without a timeout
  absl::Duration kill_at_ = absl::InfiniteDuration();
  bool terminating_ = false;
};

// Writes the next piece of stdin_data; closes stdin when all is written or the child stopped reading.
void WriteStdin(const ProcessOptions& o, int* fd, size_t* written) {
  ssize_t w = write(*fd, o.stdin_data.data() + *written, o.stdin_data.size() - *written);
  if (w > 0) *written += static_cast<size_t>(w);
  if (w < 0 && errno != EAGAIN && errno != EINTR) *written = o.stdin_data.size();
  if (*written >= o.stdin_data.size()) CloseFd(fd);
}

// Reads what `fd` holds into `buf` (bounded); complete lines also go to `on_line` when set.
// False once the stream has ended.
bool ReadStream(int fd, size_t limit, std::string* buf, bool* truncated,
                const std::function<void(const std::string&)>& on_line, std::string* partial_line) {
  char chunk[65536];
  const ssize_t r = read(fd, chunk, sizeof chunk);
  if (r <= 0) return r < 0 && (errno == EINTR || errno == EAGAIN);
  AppendBounded(buf, truncated, chunk, static_cast<size_t>(r), limit);
  if (on_line) {
    partial_line->append(chunk, static_cast<size_t>(r));
    size_t nl;
    while ((nl = partial_line->find_first_of("\n\r")) != std::string::npos) {
      if (nl > 0) on_line(partial_line->substr(0, nl));
      partial_line->erase(0, nl + 1);
    }
  }
  return true;
}

// Feeds stdin and captures stdout and stderr until both are closed: the child, and whatever it
// started that holds them, has finished (or was ended when its time was up).
void Pump(const ProcessOptions& o, Pipes* pipes, Terminator* terminator, ProcessResult* r) {
  size_t stdin_written = 0;
  if (o.stdin_data.empty()) {
    CloseFd(&pipes->in[1]);
  } else {
    fcntl(pipes->in[1], F_SETFL, O_NONBLOCK);
  }
  std::string err_line;
  bool out_open = true, err_open = true;
  constexpr short kReadable = POLLIN | POLLHUP | POLLERR;
  while (out_open || err_open) {
    terminator->Poll(r, /*cancellable=*/true);
    pollfd fds[3];
    int n = 0, out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_open) {
      fds[n] = {pipes->out[0], POLLIN, 0};
      out_idx = n++;
    }
    if (err_open) {
      fds[n] = {pipes->err[0], POLLIN, 0};
      err_idx = n++;
    }
    if (pipes->in[1] >= 0) {
      fds[n] = {pipes->in[1], POLLOUT, 0};
      in_idx = n++;
    }
    if (poll(fds, n, kTickMs) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in_idx >= 0 && (fds[in_idx].revents & (POLLOUT | POLLERR | POLLHUP))) {
      WriteStdin(o, &pipes->in[1], &stdin_written);
    }
    if (out_idx >= 0 && (fds[out_idx].revents & kReadable)) {
      out_open = ReadStream(pipes->out[0], o.max_capture, &r->out, &r->out_truncated, nullptr, nullptr);
    }
    if (err_idx >= 0 && (fds[err_idx].revents & kReadable)) {
      err_open = ReadStream(pipes->err[0], o.max_capture, &r->err, &r->err_truncated, o.on_stderr_line, &err_line);
    }
  }
}

// Waits for the child to exit (its pipes are closed: it is finishing), still ending it when its
// time is up, and kills what is left of its group if it had to be ended. Its wait status.
int Reap(pid_t pid, Terminator* terminator, ProcessResult* r) {
  // A pidfd becomes readable the moment the child exits; without one (an old kernel) the wait
  // below is a short tick. (The syscall: Debian 12's <sys/pidfd.h> lacks extern "C".)
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  int status = 0;
  while (true) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    terminator->Poll(r, /*cancellable=*/false);
    pollfd p = {pidfd, POLLIN, 0};
    poll(pidfd >= 0 ? &p : nullptr, pidfd >= 0 ? 1 : 0, pidfd >= 0 ? kTickMs : 10);
  }
  if (pidfd >= 0) ::close(pidfd);
  if (terminator->terminating()) kill(-pid, SIGKILL);  // stragglers in the group
  return status;
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (timed_out) return absl::StrCat("timed out after ", HumanDuration(duration));
  if (cancelled) return "cancelled";
  if (exited) return absl::StrCat("exit code ", exit_code);
  if (term_signal) return absl::StrCat("killed by signal ", term_signal, " (", strsignal(term_signal), ")");
  return "ended abnormally";
}

absl::StatusOr<ProcessResult> RunProcess(const ProcessOptions& o) {
  if (o.argv.empty()) return absl::InvalidArgumentError("no command given");
  Pipes pipes;
  PARAAT_RETURN_IF_ERROR(pipes.Open());
  const absl::Duration start = o.clock->Monotonic();
  PARAAT_ASSIGN_OR_RETURN(const pid_t pid, Spawn(o, &pipes));
  ProcessResult result;
  Terminator terminator(o, pid, start);
  Pump(o, &pipes, &terminator, &result);
  pipes.CloseAll();
  const int status = Reap(pid, &terminator, &result);
  result.duration = o.clock->Monotonic() - start;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  if (result.timed_out || result.cancelled) result.exited = false;
  return result;
}

std::string TailText(const std::string& text, size_t max_lines, size_t max_bytes) {
  std::string t(absl::StripTrailingAsciiWhitespace(text));
  size_t pos = t.size();
  size_t lines = 0;
  while (pos > 0 && lines < max_lines) {
    size_t nl = t.rfind('\n', pos - 1);
    ++lines;
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
    if (lines == max_lines) ++pos;
  }
  std::string tail = t.substr(pos == 0 ? 0 : pos);
  if (!tail.empty() && tail[0] == '\n') tail.erase(0, 1);
  if (tail.size() > max_bytes) tail = std::string(Utf8Suffix(tail, max_bytes));  // whole characters
  return tail;
}

std::string FirstLine(const std::string& text) {
  size_t nl = text.find('\n');
  return std::string(
      absl::StripAsciiWhitespace(absl::string_view(text.data(), nl == std::string::npos ? text.size() : nl)));
}

absl::Status LowerThreadPriority(int nice) {
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice) != 0) {
    return absl::ErrnoToStatus(errno, "setpriority");
  }
  return absl::OkStatus();
}

}  // namespace paraat
