#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace paraat {

absl::Status ErrnoStatus(int err, absl::string_view context) {
  std::string msg = absl::StrCat(context, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string LimitText(size_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes >= (1 << 10) && bytes % (1 << 10) == 0) return absl::StrCat(bytes >> 10, " KiB");
  return absl::StrCat(bytes, " bytes");
}

namespace {

const char* FileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

absl::Status NotRegular(mode_t mode) {
  return absl::FailedPreconditionError(absl::StrCat("not a regular file (", FileKind(mode), ")"));
}

absl::Status TooLarge(size_t max_bytes, uint64_t size, absl::string_view note = "") {
  return absl::ResourceExhaustedError(
      absl::StrCat("larger than ", LimitText(max_bytes), " (", size, " bytes", note, ")"));
}

std::string RealPath(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  if (r == nullptr) return "";
  std::string out = r;
  std::free(r);
  return out;
}

// Where the open descriptor really is: the file that was opened, not what `path` names now.
// Before opening (fd < 0), where `path` leads.
std::string RealPathOf(int fd, const std::string& path) {
  char buf[PATH_MAX];
  const ssize_t n = fd < 0 ? -1 : ::readlink(absl::StrCat("/proc/self/fd/", fd).c_str(), buf, sizeof buf - 1);
  if (n > 0 && buf[0] == '/') return std::string(buf, static_cast<size_t>(n));
  return RealPath(path);  // no /proc
}

absl::Status CheckWithinFolder(int fd, const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const std::string real_folder = RealPath(folder);
  const std::string real = RealPathOf(fd, path);
  const std::string prefix = real_folder == "/" ? "/" : real_folder + "/";
  if (!real_folder.empty() && !real.empty() && real.compare(0, prefix.size(), prefix) == 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("a symlink to ", real.empty() ? "an unknown file" : real,
                                                  ", outside its folder ", real_folder.empty() ? folder : real_folder));
}

// What was opened is judged again: the name may lead elsewhere since the stat.
absl::Status CheckOpened(int fd, const std::string& path, size_t max_bytes, bool within_folder, uint64_t* size) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot read");
  if (!S_ISREG(st.st_mode)) return NotRegular(st.st_mode);
  if (within_folder) {
    absl::Status inside = CheckWithinFolder(fd, path);
    if (!inside.ok()) return inside;
  }
  *size = static_cast<uint64_t>(st.st_size);
  if (*size > max_bytes) return TooLarge(max_bytes, *size);
  return absl::OkStatus();
}

// Reads at most max_bytes + 1: one byte more than allowed shows a file that grew since the fstat.
absl::Status ReadAtMost(int fd, size_t max_bytes, uint64_t size_hint, std::string* out) {
  out->resize(std::min<uint64_t>(size_hint, max_bytes) + 1);
  size_t have = 0;
  while (have <= max_bytes) {
    if (have == out->size()) out->resize(std::min(out->size() * 2, max_bytes + 1));
    const ssize_t n = ::read(fd, out->data() + have, out->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "cannot read");
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  out->resize(have);
  if (have > max_bytes) return TooLarge(max_bytes, have, " and growing");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadRegularFile(const std::string& path, size_t max_bytes, bool within_folder) {
  struct stat st;
  // Looked at before it is opened: opening a FIFO waits for a writer, opening a device may act.
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot read");
  if (!S_ISREG(st.st_mode)) return NotRegular(st.st_mode);
  // Where it leads is judged before it is opened too: the answer must not depend on whether
  // this process may read the target (/etc/shadow as root or not).
  if (within_folder) {
    absl::Status inside = CheckWithinFolder(-1, path);
    if (!inside.ok()) return inside;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot read");
  uint64_t size = 0;
  std::string out;
  absl::Status status = CheckOpened(fd, path, max_bytes, within_folder, &size);
  if (status.ok()) status = ReadAtMost(fd, max_bytes, size, &out);
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", dir));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, absl::StrCat("fsync ", dir));
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, bool durable) {
  std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", tmp));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoStatus(err, absl::StrCat("write ", tmp));
    }
    off += static_cast<size_t>(n);
  }
  if (durable && ::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, absl::StrCat("fsync ", tmp));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, absl::StrCat("rename ", tmp));
  }
  if (!durable) return absl::OkStatus();
  std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  return FsyncDir(dir.empty() ? "." : dir);
}

absl::Status MakeDirs(const std::string& dir, int mode) {
  if (dir.empty()) return absl::OkStatus();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(dir, " exists and is not a directory"));
  }
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = MakeDirs(dir.substr(0, slash), mode);
    if (!parent.ok()) return parent;
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, absl::StrCat("mkdir ", dir));
  }
  return absl::OkStatus();
}

}  // namespace paraat
