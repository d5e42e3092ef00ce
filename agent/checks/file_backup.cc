#include "agent/checks/file_backup.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/file_hasher.h"
#include "common/fs.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::unique_ptr<Check> FileBackupCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  auto path = keys.String("path", kRequired);
  if (path) {
    o.pattern = (*path)[0] == '/' ? *path : absl::StrCat(env.config_dir, "/", *path);
  }
  if (auto v = keys.Size("min_size")) o.min_size = *v;
  if (auto v = keys.Enum("checksum", {"none", "sidecar"})) o.checksum = *v == "sidecar" ? Checksum::kSidecar : Checksum::kNone;
  if (!path) return nullptr;
  return std::make_unique<FileBackupCheck>(std::move(o));
}

namespace {

// The directory part of a glob, up to the first component with a wildcard.
std::string FixedDir(const std::string& pattern) {
  size_t wild = pattern.find_first_of("*?[");
  std::string head = pattern.substr(0, wild);
  size_t slash = head.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : head.substr(0, slash));
}

int GlobError(const char* path, int err) {
  (void)path;
  (void)err;
  return 0;  // keep going; permission problems are found by stat below
}

}  // namespace

absl::Status FileBackupCheck::Examine(const CheckContext& ctx, const Candidate& c, std::string* problem, bool* corrupt,
                                      std::string* digest, uint64_t* verified_bytes) {
  *corrupt = false;
  problem->clear();
  const std::string name = c.path.substr(c.path.find_last_of('/') + 1);
  if (c.size < options_.min_size) {
    *problem = absl::StrCat(name, " is ", HumanSize(c.size), ", below min_size ", HumanSize(options_.min_size));
    return absl::OkStatus();
  }
  if (options_.checksum == Checksum::kNone) return absl::OkStatus();

  const std::string sidecar = c.path + ".sha256";
  auto text = ReadFile(sidecar);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      *problem = absl::StrCat(name, " has no checksum file ", name, ".sha256");
      return absl::OkStatus();
    }
    return text.status();
  }
  std::string expected, listed;
  if (!ParseChecksumLine(*text, &expected, &listed)) {
    *problem = absl::StrCat(name, ".sha256 is not in sha256sum format");
    return absl::OkStatus();
  }
  HashOptions ho;
  ho.cancelled = ctx.cancelled;
  uint64_t done = 0;
  ho.on_read = [&](uint64_t n) {
    done += n;
    ctx.progress->Update(name, done, c.size);
  };
  auto got = HashFile(c.path, ho);
  if (!got.ok()) return got.status();
  *verified_bytes += done;
  *digest = ToHex(*got);
  if (*digest != expected) {
    *corrupt = true;
    *problem = absl::StrCat(name, " does not match its checksum (expected ", expected.substr(0, 12), "…, read ",
                            digest->substr(0, 12), "…)");
  }
  return absl::OkStatus();
}

void FileBackupCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  glob_t g{};
  int rc = ::glob(options_.pattern.c_str(), GLOB_NOSORT, &GlobError, &g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    globfree(&g);
    Error(r, absl::StrCat("cannot list ", options_.pattern, rc == GLOB_NOSPACE ? ": out of memory" : ": read error"));
    return;
  }
  std::vector<Candidate> files;
  for (size_t i = 0; i < g.gl_pathc; ++i) {
    std::string p = g.gl_pathv[i];
    if (options_.checksum == Checksum::kSidecar && absl::EndsWith(p, ".sha256")) continue;
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT) continue;  // removed meanwhile (rotation)
      globfree(&g);
      Error(r, absl::StrCat("cannot stat ", p, ": ", std::strerror(err)));
      return;
    }
    if (!S_ISREG(st.st_mode)) continue;
    files.push_back(Candidate{p, static_cast<uint64_t>(st.st_size),
                              absl::TimeFromTimespec(st.st_mtim)});
  }
  globfree(&g);
  AddDetail(r, "pattern", options_.pattern);

  if (files.empty()) {
    const std::string dir = FixedDir(options_.pattern);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
      if (errno == EACCES) {
        Error(r, absl::StrCat("cannot read ", dir, ": permission denied"));
      } else {
        Fail(r, absl::StrCat("no backup: ", dir, " does not exist"));
      }
    } else if (::access(dir.c_str(), R_OK | X_OK) != 0) {
      Error(r, absl::StrCat("cannot read ", dir, ": ", std::strerror(errno)));
    } else {
      Fail(r, absl::StrCat("no backup matches ", options_.pattern));
    }
    return;
  }
  std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) { return a.mtime > b.mtime; });
  AddValue(r, "files", static_cast<double>(files.size()));

  auto* facts = r->mutable_facts();
  uint64_t verified_bytes = 0;
  std::string problem, digest;
  bool corrupt = false;
  const Candidate& newest = files[0];
  absl::Status st = Examine(ctx, newest, &problem, &corrupt, &digest, &verified_bytes);
  if (!st.ok()) {
    Error(r, st.code() == absl::StatusCode::kCancelled
                 ? absl::StrCat("timed out while verifying ", newest.path)
                 : std::string(st.message()));
    return;
  }
  AddDetail(r, "file", newest.path);
  AddDetail(r, "size", absl::StrCat(newest.size));
  AddDetail(r, "mtime", FormatTimeUtc(newest.mtime));
  AddValue(r, "newest_size", static_cast<double>(newest.size), "B");
  if (!digest.empty()) AddDetail(r, "sha256", digest);

  if (options_.checksum == Checksum::kNone) {
    facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
  } else if (corrupt) {
    facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
  } else if (problem.empty()) {
    facts->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
    facts->set_verified_objects(1);
    facts->set_coverage(1.0);
  } else {
    facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
  }

  const std::string name = newest.path.substr(newest.path.find_last_of('/') + 1);
  if (problem.empty()) {
    facts->set_recovery_point_unix_ns(ToUnixNs(newest.mtime));
    if (verified_bytes) facts->set_verified_bytes(verified_bytes);
    Ok(r, absl::StrCat("newest backup ", name, ": ", HumanSize(newest.size),
                       options_.checksum == Checksum::kSidecar ? ", sha256 verified" : ""));
    return;
  }

  // The newest backup is bad: look for the newest good one, which is the real recovery point.
  std::string fallback;
  for (size_t i = 1; i < files.size() && static_cast<int>(i) <= options_.fallback_candidates; ++i) {
    std::string p2, d2;
    bool c2 = false;
    if (!Examine(ctx, files[i], &p2, &c2, &d2, &verified_bytes).ok()) break;
    if (p2.empty()) {
      facts->set_recovery_point_unix_ns(ToUnixNs(files[i].mtime));
      fallback = files[i].path.substr(files[i].path.find_last_of('/') + 1);
      AddDetail(r, "recovery_point_file", files[i].path);
      break;
    }
  }
  if (verified_bytes) facts->set_verified_bytes(verified_bytes);
  Fail(r, absl::StrCat("newest backup ", problem,
                       fallback.empty() ? "" : absl::StrCat("; newest good backup is ", fallback)));
}

}  // namespace paraat
