#include "agent/checks/file_backup.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "agent/check_state.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/entropy.h"
#include "agent/checks/support/immutability.h"
#include "agent/file_hasher.h"
#include "common/fs.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::unique_ptr<Check> FileBackupCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.Enum("checksum", {"none", "sidecar", "manifest"})) {
    o.checksum = *v == "sidecar" ? Checksum::kSidecar : *v == "manifest" ? Checksum::kManifest : Checksum::kNone;
  }
  const bool manifest = o.checksum == Checksum::kManifest;
  auto path = PathKey(keys, env, "path", manifest ? kOptional : kRequired);
  if (path) o.pattern = *path;
  if (auto m = PathKey(keys, env, "manifest", manifest ? kRequired : kOptional)) {
    if (!manifest) keys.Error("manifest", "needs checksum: manifest");
    o.manifest = *m;
  }
  if (manifest && path) keys.Error("path", "is not used with checksum: manifest (the manifest lists the files)");
  if (auto v = keys.Size("min_size")) o.min_size = *v;
  if (auto v = keys.Enum("verify", {"newest", "all"})) {
    o.verify_all = *v == "all";
    if (o.verify_all && o.checksum != Checksum::kSidecar) keys.Error("verify", "verify: all needs checksum: sidecar");
  }
  if (auto v = keys.Percent("verify_fraction")) {
    o.verify_fraction = *v;
    if (!o.verify_all && !manifest) {
      keys.Error("verify_fraction", "rotates through many files: it needs verify: all or checksum: manifest");
    }
  }
  if (auto v = keys.Rate("max_read_rate")) o.max_read_rate = *v;
  if (auto v = keys.Int("parallel", 1, 64)) o.parallel = static_cast<int>(*v);
  if (auto v = keys.Bool("sample_entropy")) o.sample_entropy = *v;
  if (auto v = keys.PositiveDuration("verify_within")) {
    o.verify_within = *v;
    if (!o.verify_all && !manifest)
      keys.Error("verify_within", "bounds a rotation: it needs verify: all or checksum: manifest");
  }
  o.interval = env.interval;
  if (!path && !manifest) return nullptr;
  if (manifest && o.manifest.empty()) return nullptr;
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

std::string BaseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// Matches of a glob that are regular files, newest first; or why listing failed (an error) or
// nothing is there (a failure: no backup).
struct Listing {
  std::vector<std::pair<std::string, struct stat>> files;
  std::string error;    // could not look
  std::string missing;  // looked, found no backup
};

Listing List(const std::string& pattern, bool skip_sidecars) {
  Listing l;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    globfree(&g);
    l.error = absl::StrCat("cannot list ", pattern, rc == GLOB_NOSPACE ? ": out of memory" : ": read error");
    return l;
  }
  for (size_t i = 0; i < g.gl_pathc; ++i) {
    std::string p = g.gl_pathv[i];
    if (skip_sidecars && absl::EndsWith(p, ".sha256")) continue;
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed meanwhile (rotation)
      l.error = absl::StrCat("cannot stat ", p, ": ", std::strerror(errno));
      break;
    }
    if (S_ISREG(st.st_mode)) l.files.emplace_back(p, st);
  }
  globfree(&g);
  if (!l.error.empty() || !l.files.empty()) {
    std::sort(l.files.begin(), l.files.end(), [](const auto& a, const auto& b) {
      return absl::TimeFromTimespec(a.second.st_mtim) > absl::TimeFromTimespec(b.second.st_mtim);
    });
    return l;
  }
  const std::string dir = FixedDir(pattern);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == EACCES) {
      l.error = absl::StrCat("cannot read ", dir, ": permission denied");
    } else {
      l.missing = absl::StrCat("no backup: ", dir, " does not exist");
    }
  } else if (::access(dir.c_str(), R_OK | X_OK) != 0) {
    l.error = absl::StrCat("cannot read ", dir, ": ", std::strerror(errno));
  } else {
    l.missing = absl::StrCat("no backup matches ", pattern);
  }
  return l;
}

}  // namespace

absl::Status FileBackupCheck::Examine(const CheckContext& ctx, const File& f, std::string* problem, bool* corrupt,
                                      std::string* digest, uint64_t* verified_bytes) {
  *corrupt = false;
  problem->clear();
  const std::string name = BaseName(f.path);
  if (f.size < options_.min_size) {
    *problem = absl::StrCat(name, " is ", HumanSize(f.size), ", below min_size ", HumanSize(options_.min_size));
    return absl::OkStatus();
  }
  if (options_.checksum == Checksum::kNone) return absl::OkStatus();
  const std::string sidecar = f.path + ".sha256";
  auto text = ReadFile(sidecar);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      *problem = absl::StrCat(name, " has no checksum file ", name, ".sha256");
      return absl::OkStatus();
    }
    return text.status();
  }
  std::string expected;
  if (!ParseChecksumLine(*text, &expected, nullptr)) {
    *problem = absl::StrCat(name, ".sha256 is not in sha256sum format");
    return absl::OkStatus();
  }
  VerifyItem item{name, f.path, f.size, ToUnixNs(f.mtime), expected};
  VerifyOptions vo{1, options_.max_read_rate};
  VerifyOutcome out = VerifyFiles(ctx, {item}, vo)[0];
  if (out.kind == VerifyOutcome::kError) {
    if (ctx.cancelled()) return absl::CancelledError(absl::StrCat("timed out while verifying ", f.path));
    return absl::InternalError(out.error);
  }
  *verified_bytes += f.size;
  *digest = out.actual;
  if (out.kind == VerifyOutcome::kMismatch) {
    *corrupt = true;
    *problem = absl::StrCat(name, " does not match its checksum (expected ", expected.substr(0, 12), "…, read ",
                            digest->substr(0, 12), "…)");
  }
  return absl::OkStatus();
}

void FileBackupCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  if (options_.checksum == Checksum::kManifest) {
    RunManifest(ctx, r);
    return;
  }
  Listing l = List(options_.pattern, options_.checksum == Checksum::kSidecar);
  AddDetail(r, "pattern", options_.pattern);
  if (!l.error.empty()) {
    Error(r, l.error);
    return;
  }
  if (!l.missing.empty()) {
    Fail(r, l.missing);
    return;
  }
  std::vector<File> files;
  for (const auto& [p, st] : l.files) {
    files.push_back(File{p, static_cast<uint64_t>(st.st_size), absl::TimeFromTimespec(st.st_mtim)});
  }
  AddValue(r, "files", static_cast<double>(files.size()));
  if (!options_.verify_all) {
    RunNewest(ctx, std::move(files), r);
    return;
  }
  // Every retained backup, each against its sidecar.
  std::vector<VerifyItem> items;
  std::vector<std::string> missing;
  uint64_t total = 0;
  for (const File& f : files) {
    total += f.size;
    auto text = ReadFile(f.path + ".sha256");
    std::string expected;
    if (!text.ok() || !ParseChecksumLine(*text, &expected, nullptr)) {
      missing.push_back(absl::StrCat(BaseName(f.path), ".sha256"));
      continue;
    }
    items.push_back(VerifyItem{BaseName(f.path), f.path, f.size, ToUnixNs(f.mtime), expected});
  }
  const File& newest = files[0];
  if (newest.size < options_.min_size) {
    Fail(r, absl::StrCat("newest backup ", BaseName(newest.path), " is ", HumanSize(newest.size), ", below min_size ",
                         HumanSize(options_.min_size)));
    return;
  }
  r->mutable_facts()->set_backup_bytes(newest.size);
  r->mutable_facts()->set_backup_files(1);
  ReportContent({newest.path}, {newest.path}, r);
  RunSet(ctx, items, newest.mtime, missing, total, absl::StrCat(files.size(), " backups"), r);
}

void FileBackupCheck::ReportContent(const std::vector<std::string>& protect, const std::vector<std::string>& sample,
                                    paraat::v1::Result* r) const {
  ReportProtection(ExamineFiles(protect), r);
  if (!options_.sample_entropy || sample.empty()) return;
  absl::StatusOr<double> bits = SampleEntropy(sample);
  if (!bits.ok()) {
    AddDetail(r, "entropy", absl::StrCat("not sampled: ", bits.status().message()));
    return;
  }
  r->mutable_facts()->set_content_entropy_bits(*bits);
  AddValue(r, "content_entropy", *bits, "bit/B");
}

void FileBackupCheck::RunNewest(const CheckContext& ctx, std::vector<File> files, paraat::v1::Result* r) {
  auto* facts = r->mutable_facts();
  uint64_t verified_bytes = 0;
  std::string problem, digest;
  bool corrupt = false;
  const File& newest = files[0];
  absl::Status st = Examine(ctx, newest, &problem, &corrupt, &digest, &verified_bytes);
  if (!st.ok()) {
    Error(r, std::string(st.message()));
    return;
  }
  AddDetail(r, "file", newest.path);
  AddDetail(r, "size", absl::StrCat(newest.size));
  AddDetail(r, "mtime", FormatTimeUtc(newest.mtime));
  AddValue(r, "newest_size", static_cast<double>(newest.size), "B");
  if (!digest.empty()) AddDetail(r, "sha256", digest);
  // The size of the newest backup, for the collector's anomaly baseline (one file, one entry).
  facts->set_backup_bytes(newest.size);
  facts->set_backup_files(1);
  ReportContent({newest.path}, {newest.path}, r);

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
  const std::string name = BaseName(newest.path);
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
      fallback = BaseName(files[i].path);
      AddDetail(r, "recovery_point_file", files[i].path);
      break;
    }
  }
  if (verified_bytes) facts->set_verified_bytes(verified_bytes);
  Fail(r, absl::StrCat("newest backup ", problem,
                       fallback.empty() ? "" : absl::StrCat("; newest good backup is ", fallback)));
}

void FileBackupCheck::RunManifest(const CheckContext& ctx, paraat::v1::Result* r) {
  AddDetail(r, "manifest_pattern", options_.manifest);
  Listing l = List(options_.manifest, false);
  if (!l.error.empty()) {
    Error(r, l.error);
    return;
  }
  if (!l.missing.empty()) {
    Fail(r, absl::StrReplaceAll(l.missing, {{"no backup matches", "no manifest matches"}}));
    return;
  }
  const std::string manifest = l.files[0].first;
  const absl::Time written = absl::TimeFromTimespec(l.files[0].second.st_mtim);
  AddDetail(r, "manifest", manifest);
  auto text = ReadFile(manifest);
  if (!text.ok()) {
    Error(r, std::string(text.status().message()));
    return;
  }
  const std::string dir = manifest.substr(0, manifest.find_last_of('/'));
  std::vector<VerifyItem> items;
  std::vector<std::string> missing;
  uint64_t total = 0;
  std::istringstream lines(*text);
  std::string line;
  int n = 0, bad_lines = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::string hex, name;
    if (!ParseChecksumLine(line, &hex, &name) || name.empty()) {
      ++bad_lines;
      continue;
    }
    if (absl::StartsWith(name, "./")) name = name.substr(2);
    const std::string path = name[0] == '/' ? name : absl::StrCat(dir, "/", name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (errno == EACCES) {
        Error(r, absl::StrCat("cannot read ", path, ": permission denied"));
        return;
      }
      missing.push_back(name);
      continue;
    }
    total += static_cast<uint64_t>(st.st_size);
    items.push_back(
        VerifyItem{name, path, static_cast<uint64_t>(st.st_size), ToUnixNs(absl::TimeFromTimespec(st.st_mtim)), hex});
  }
  if (bad_lines > 0) {
    Fail(r, absl::StrCat(BaseName(manifest), " has ", bad_lines, " lines not in sha256sum format"));
    r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    return;
  }
  if (items.empty() && missing.empty()) {
    Fail(r, absl::StrCat(manifest, " lists no files"));
    return;
  }
  if (total < options_.min_size) {
    Fail(r, absl::StrCat("backup set ", manifest, " holds ", HumanSize(total), ", below min_size ",
                         HumanSize(options_.min_size)));
    return;
  }
  r->mutable_facts()->set_backup_bytes(total);  // the backup set the newest manifest lists
  r->mutable_facts()->set_backup_files(items.size() + missing.size());
  std::vector<std::string> files;
  for (const VerifyItem& item : items) files.push_back(item.path);
  std::vector<std::string> set = files;
  set.push_back(manifest);
  ReportContent(set, files, r);
  RunSet(ctx, items, written, missing, total,
         absl::StrCat("backup set ", manifest, " (", items.size() + missing.size(), " files)"), r);
}

void FileBackupCheck::RunSet(const CheckContext& ctx, const std::vector<VerifyItem>& items, absl::Time recovery_point,
                             const std::vector<std::string>& missing, uint64_t total_size, const std::string& what,
                             paraat::v1::Result* r) {
  auto* facts = r->mutable_facts();
  Rotation rotation(LoadCheckState(ctx.state_dir), options_.verify_fraction, ctx.clock->Now());
  std::vector<size_t> chosen = rotation.Select(items);
  std::vector<VerifyItem> batch;
  for (size_t i : chosen) batch.push_back(items[i]);
  std::vector<VerifyOutcome> outcomes =
      VerifyFiles(ctx, batch, VerifyOptions{options_.parallel, options_.max_read_rate});
  uint64_t verified_bytes = 0, verified_objects = 0;
  std::vector<std::string> errors;
  for (size_t k = 0; k < batch.size(); ++k) {
    rotation.Record(batch[k], outcomes[k]);
    if (outcomes[k].kind == VerifyOutcome::kError) {
      errors.push_back(outcomes[k].error);
    } else {
      verified_bytes += batch[k].size;
      ++verified_objects;
    }
  }
  const double coverage = rotation.Coverage(items);
  const absl::Duration age = rotation.CoverageAge(items);
  AddValue(r, "coverage_age", absl::ToDoubleSeconds(age), "s");
  const std::vector<std::string> corrupt = rotation.KnownCorrupt(items);
  if (!ctx.state_dir.empty()) (void)SaveCheckState(ctx.state_dir, rotation.Finish(items));

  AddDetail(r, "files", absl::StrCat(items.size() + missing.size()));
  AddDetail(r, "bytes", absl::StrCat(total_size));
  AddValue(r, "verified_this_run", static_cast<double>(verified_bytes), "B");
  facts->set_verified_bytes(verified_bytes);
  facts->set_verified_objects(verified_objects);
  facts->set_coverage(coverage);
  if (ctx.cancelled() && !errors.empty()) {
    Error(r, absl::StrCat("timed out while verifying ", what, " after ", HumanSize(verified_bytes)));
    return;
  }
  if (!errors.empty() && verified_objects == 0) {
    Error(r, absl::StrCat("cannot verify ", what, ": ", errors[0]));
    return;
  }
  if (!corrupt.empty() || !missing.empty()) {
    facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    std::vector<std::string> problems;
    if (!corrupt.empty()) {
      problems.push_back(
          absl::StrCat(corrupt.size(), " files do not match their checksums (",
                       absl::StrJoin(corrupt.begin(), corrupt.begin() + std::min<size_t>(3, corrupt.size()), ", "),
                       corrupt.size() > 3 ? ", …" : "", ")"));
    }
    if (!missing.empty()) {
      problems.push_back(absl::StrCat(
          missing.size(),
          options_.checksum == Checksum::kManifest ? " files listed are missing (" : " checksum files are missing (",
          absl::StrJoin(missing.begin(), missing.begin() + std::min<size_t>(3, missing.size()), ", "),
          missing.size() > 3 ? ", …" : "", ")"));
    }
    for (const auto& c : corrupt) AddDetail(r, "corrupt", c);
    Fail(r, absl::StrCat(what, ": ", absl::StrJoin(problems, "; ")));
    return;
  }
  facts->set_recovery_point_unix_ns(ToUnixNs(recovery_point));
  const std::string read = absl::StrFormat("%s read back this run, %.0f%% of %s verified within the rotation",
                                           HumanSize(verified_bytes), coverage * 100, HumanSize(total_size));
  if (coverage >= 1.0 - 1e-9) {
    facts->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
    Ok(r, absl::StrCat(what, ": ", read));
  } else {
    facts->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    Ok(r, absl::StrCat(what, ": ", read, " (not yet all of it)"));
  }
  if (!errors.empty()) {
    Warn(r, absl::StrCat(r->message(), "; ", errors.size(), " files could not be read: ", errors[0]));
  }
  WarnCoverageAge(age, r);
}

void FileBackupCheck::WarnCoverageAge(absl::Duration age, paraat::v1::Result* r) const {
  ApplyVerifyWithin(age, RotationLedger::WindowFor(options_.verify_fraction), options_.interval, options_.verify_within,
                    r);
}

}  // namespace paraat
