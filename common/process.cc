#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
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
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError(strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return absl::InternalError(strerror(errno));
  }
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return absl::InternalError(strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, o.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group, so a timeout kills the tool and everything it started.
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

  const absl::Time start = absl::Now();
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::string msg = absl::StrCat("cannot run ", o.argv[0], ": ", strerror(rc));
    return rc == ENOENT ? absl::NotFoundError(msg) : absl::FailedPreconditionError(msg);
  }

  ProcessResult result;
  size_t stdin_off = 0;
  int in_fd = in_pipe[1];
  if (o.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  std::string err_line_buf;
  bool out_open = true, err_open = true;
  bool terminating = false;
  absl::Time kill_at = absl::InfiniteFuture();
  const absl::Time deadline = o.timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : start + o.timeout;
  char buf[65536];

  while (out_open || err_open) {
    absl::Time now = absl::Now();
    if (!terminating) {
      bool cancel = o.cancelled && o.cancelled();
      if (now >= deadline || cancel) {
        result.timed_out = now >= deadline;
        result.cancelled = !result.timed_out;
        kill(-pid, SIGTERM);
        terminating = true;
        kill_at = now + o.kill_grace;
      }
    } else if (now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = absl::InfiniteFuture();
    }
    pollfd fds[3];
    int n = 0;
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_open) {
      fds[n] = {out_pipe[0], POLLIN, 0};
      out_idx = n++;
    }
    if (err_open) {
      fds[n] = {err_pipe[0], POLLIN, 0};
      err_idx = n++;
    }
    if (in_fd >= 0) {
      fds[n] = {in_fd, POLLOUT, 0};
      in_idx = n++;
    }
    int ready = poll(fds, n, 100);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in_idx >= 0 && (fds[in_idx].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_fd, o.stdin_data.data() + stdin_off, o.stdin_data.size() - stdin_off);
      if (w > 0) stdin_off += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) stdin_off = o.stdin_data.size();
      if (stdin_off >= o.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (out_idx >= 0 && (fds[out_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(out_pipe[0], buf, sizeof buf);
      if (r > 0)
        AppendBounded(&result.out, &result.out_truncated, buf, r, o.max_capture);
      else if (r == 0 || (errno != EINTR && errno != EAGAIN))
        out_open = false;
    }
    if (err_idx >= 0 && (fds[err_idx].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(err_pipe[0], buf, sizeof buf);
      if (r > 0) {
        AppendBounded(&result.err, &result.err_truncated, buf, r, o.max_capture);
        if (o.on_stderr_line) {
          err_line_buf.append(buf, r);
          size_t nl;
          while ((nl = err_line_buf.find_first_of("\n\r")) != std::string::npos) {
            if (nl > 0) o.on_stderr_line(err_line_buf.substr(0, nl));
            err_line_buf.erase(0, nl + 1);
          }
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        err_open = false;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);

  // The pipes are closed; the child (or a grandchild holding them) is finishing.
  int status = 0;
  while (true) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    absl::Time now = absl::Now();
    if (!terminating && now >= deadline) {
      result.timed_out = true;
      kill(-pid, SIGTERM);
      terminating = true;
      kill_at = now + o.kill_grace;
    } else if (terminating && now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = absl::InfiniteFuture();
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (terminating) kill(-pid, SIGKILL);  // stragglers in the group
  result.duration = absl::Now() - start;
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
