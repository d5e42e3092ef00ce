#include "agent/checks/support/immutability.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/check.h"

namespace paraat {
namespace {

// /proc/self/mounts escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountField(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The mount point a path lies on: the longest mount point that is a prefix of its real path.
std::string MountPointOf(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return "";
  const std::string p = real;
  std::ifstream mounts("/proc/self/mounts");
  std::string line, best;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string device, dir;
    if (!(fields >> device >> dir)) continue;
    dir = UnescapeMountField(dir);
    const bool under = dir == "/" || p == dir || (p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
    if (under && dir.size() >= best.size()) best = dir;
  }
  return best;
}

// Whether the mount `path` lies on is read-only; the mount point in *where. False with *error
// set when it cannot be told.
bool ReadOnlyMount(const std::string& path, std::string* where, std::string* error) {
  struct statvfs sv;
  if (::statvfs(path.c_str(), &sv) != 0) {
    *error = absl::StrCat("cannot examine ", path, ": ", std::strerror(errno));
    return false;
  }
  *where = MountPointOf(path);
  if (where->empty()) *where = "of " + path;
  return (sv.f_flag & ST_RDONLY) != 0;
}

}  // namespace

Protection ExamineMount(const std::string& path) {
  Protection p;
  std::string where;
  const bool ro = ReadOnlyMount(path, &where, &p.error);
  if (!p.error.empty()) return p;
  p.immutable = ro;
  p.how = absl::StrCat(ro ? "read-only mount " : "mount ", where, ro ? "" : " is read-write");
  return p;
}

Protection ExamineFile(const std::string& path) {
  Protection p;
  // O_NONBLOCK as lsattr: opening a fifo or a device never waits. Reading flags needs no write.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    p.error = absl::StrCat("cannot examine ", path, ": ", std::strerror(errno));
    return p;
  }
  int flags = 0;
  std::string attributes;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    const int e = errno;
    ::close(fd);
    if (e != ENOTTY && e != EOPNOTSUPP && e != EINVAL && e != ENOSYS) {
      p.error = absl::StrCat("cannot read the attributes of ", path, ": ", std::strerror(e));
      return p;
    }
    attributes = "a file system without file attributes";
    flags = 0;
  } else {
    ::close(fd);
    attributes = "no immutable or append-only attribute";
  }
  if (flags & FS_IMMUTABLE_FL) {
    p.immutable = true;
    p.how = "immutable attribute";
    return p;
  }
  if (flags & FS_APPEND_FL) {
    p.immutable = true;
    p.how = "append-only attribute";
    return p;
  }
  Protection mount = ExamineMount(path);
  if (!mount.error.empty() || mount.immutable) return mount;
  p.how = absl::StrCat(attributes, "; ", mount.how);
  return p;
}

Protection ExamineFiles(const std::vector<std::string>& paths) {
  if (paths.size() == 1) return ExamineFile(paths[0]);
  Protection all;
  all.immutable = !paths.empty();
  int unprotected = 0;
  std::string first, how;
  for (const std::string& path : paths) {
    Protection p = ExamineFile(path);
    if (!p.error.empty()) return p;
    if (p.immutable) {
      if (how.empty()) how = p.how;
      continue;
    }
    if (unprotected++ == 0) first = absl::StrCat(path, ": ", p.how);
  }
  if (paths.empty()) {
    all.how = "no files";
  } else if (unprotected == 0) {
    all.how = absl::StrCat("all ", paths.size(), " files: ", how);
  } else {
    all.immutable = false;
    all.how = absl::StrCat(unprotected, " of ", paths.size(), " files unprotected, first ", first);
  }
  return all;
}

void ReportProtection(const Protection& p, paraat::v1::Result* r) {
  if (!p.error.empty()) {
    r->mutable_facts()->clear_immutable();
    AddDetail(r, "immutable", absl::StrCat("not examined: ", p.error));
    return;
  }
  r->mutable_facts()->set_immutable(p.immutable);
  AddDetail(r, "immutable", absl::StrCat(p.immutable ? "yes: " : "no: ", p.how));
}

}  // namespace paraat
