#include "agent/checks/rclone.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/json_util.h"
#include "common/time_util.h"
#include "common/units.h"
#include "nlohmann/json.hpp"

namespace paraat {

std::unique_ptr<Check> RcloneCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("binary")) {
    o.binary = *v;
    RequireProgram(keys, env, "binary", o.binary);
  }
  if (auto v = keys.String("remote", kRequired)) {
    if (v->find(':') == std::string::npos) {
      keys.Error("remote", absl::StrCat("\"", *v, "\" is not name:path (a remote of the rclone config)"));
    } else {
      o.remote = *v;
    }
  }
  if (auto v = PathKey(keys, env, "config", kOptional, Need::kFile)) o.config = *v;
  o.config_password = ReadSecretKeys(keys, "config_password", env, false);
  if (auto v = PathKey(keys, env, "source")) o.source = *v;
  if (auto v = keys.Bool("download")) o.download = *v;
  if (auto v = keys.Bool("one_way")) o.one_way = *v;
  if ((o.download || o.one_way) && o.source.empty()) {
    keys.Error(o.download ? "download" : "one_way", "needs source (the local set to compare with)");
  }
  if (auto v = keys.Enum("location", {"offsite", "onsite"})) o.location = *v;
  if (o.remote.empty()) return nullptr;
  return std::make_unique<RcloneCheck>(std::move(o));
}

namespace {

std::string RcloneFailure(const std::string& out) {
  if (absl::StrContains(out, "didn't find section in config file")) return "no such remote in the rclone config";
  if (absl::StrContains(out, "401 Unauthorized") || absl::StrContains(out, "unable to authenticate")) {
    return "the remote refused the login";
  }
  if (absl::StrContains(out, "unable to decrypt configuration") || absl::StrContains(out, "RCLONE_CONFIG_PASS")) {
    return "the rclone config is encrypted: set config_password_file (or the password is wrong)";
  }
  return "";
}

// The tool's last line without rclone's "2026/12/01 21:04:54 " log prefix.
std::string RcloneError(const ProcessResult& res) {
  std::string line = ToolError(res);
  if (line.size() > 20 && line[4] == '/' && line[7] == '/' && line[13] == ':' && line[19] == ' ') line.erase(0, 20);
  return line;
}

// rclone's exit code 3: the directory does not exist on the remote.
constexpr int kDirectoryNotFound = 3;

}  // namespace

std::vector<std::string> RcloneCheck::Argv(const CheckContext& ctx, std::vector<std::string> args) const {
  std::vector<std::string> argv = {options_.binary};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!options_.config.empty()) argv.insert(argv.end(), {"--config", options_.config});
  if (!ctx.state_dir.empty()) argv.insert(argv.end(), {"--cache-dir", ctx.state_dir + "/cache"});
  // rclone's default (10 low-level retries, 3 retries) takes 11 s to give up on an SFTP server
  // that refuses connections; the check's own interval is the retry.
  argv.insert(argv.end(), {"--retries", "1", "--low-level-retries", "2", "--contimeout", "15s"});
  return argv;
}

bool RcloneCheck::RemoteType(const CheckContext& ctx, ToolSession* tool, std::string* type,
                             paraat::v1::Result* r) const {
  const std::string name = options_.remote.substr(0, options_.remote.find(':'));
  if (name.empty()) return true;  // ":backend,opt=...:path", configured on the command line
  auto listed = tool->Read(Argv(ctx, {"listremotes", "--long"}), "rclone listremotes");
  if (!listed) return false;
  for (absl::string_view line : absl::StrSplit(listed->out, '\n', absl::SkipWhitespace())) {
    std::vector<std::string> f = absl::StrSplit(line, ':');
    if (f.size() == 2 && f[0] == name) {
      *type = std::string(absl::StripAsciiWhitespace(f[1]));
      return true;
    }
  }
  Error(r, absl::StrCat("no remote \"", name, "\" in ", options_.config.empty() ? "rclone's config" : options_.config));
  return false;
}

bool RcloneCheck::ListRemote(const CheckContext& ctx, ToolSession* tool, Listing* listing, std::string* summary,
                             paraat::v1::Result* r) const {
  auto ls = tool->Run(Argv(ctx, {"lsjson", "-R", "--files-only", "--no-mimetype", options_.remote}));
  if (!ls) return false;
  if (ls->exit_code == kDirectoryNotFound) {
    // The copy is not there at all: a finding, not a failure to look.
    r->set_output_tail(OutputTail(*ls));
    Fail(r, absl::StrCat(options_.remote, " does not exist (rclone lsjson: directory not found)"));
    return false;
  }
  if (!ls->success()) {
    r->set_output_tail(OutputTail(*ls));
    const std::string why = RcloneFailure(ls->out + ls->err);
    Error(r, absl::StrCat("rclone lsjson ", options_.remote, " failed: ", why.empty() ? RcloneError(*ls) : why));
    return false;
  }
  auto list = nlohmann::json::parse(ls->out, nullptr, false);
  if (!list.is_array()) {
    Error(r, "rclone lsjson gave output that is not a JSON list");
    return false;
  }
  for (const auto& e : list) {
    const std::string path = JsonString(e, "Path");
    const int64_t size = JsonInt(e, "Size", -1);
    if (path.empty() || JsonBool(e, "IsDir")) continue;
    listing->sizes[path] = size > 0 ? static_cast<uint64_t>(size) : 0;
    listing->bytes += size > 0 ? static_cast<uint64_t>(size) : 0;
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, JsonString(e, "ModTime"), &t, &err) && t > listing->newest) {
      listing->newest = t;
      listing->newest_path = path;
    }
  }
  AddDetail(r, "objects", absl::StrCat(listing->sizes.size()));
  AddDetail(r, "bytes", absl::StrCat(listing->bytes));
  AddValue(r, "objects", static_cast<double>(listing->sizes.size()));
  AddValue(r, "bytes", static_cast<double>(listing->bytes), "B");
  if (listing->newest == absl::InfinitePast()) {
    Fail(r, absl::StrCat("no objects at ", options_.remote));
    return false;
  }
  auto* facts = r->mutable_facts();
  facts->set_recovery_point_unix_ns(ToUnixNs(listing->newest));
  // The remote set as `rclone size` counts it: its files and their bytes (plain sizes on crypt).
  facts->set_backup_bytes(listing->bytes);
  facts->set_backup_files(listing->sizes.size());
  AddDetail(r, "newest_object", listing->newest_path);
  AddDetail(r, "newest_time", FormatTimeUtc(listing->newest));
  *summary = absl::StrCat(CountOf(listing->sizes.size(), "object"), " (", HumanSize(listing->bytes), ") at ",
                          options_.remote, ", newest ", listing->newest_path, " at ", FormatTimeUtc(listing->newest));
  return true;
}

namespace {

// `--combined -`: one line per file, "= " match, "* " differ, "+ " only in the source, "- " only
// on the remote, "! " error.
struct Comparison {
  std::vector<std::string> matched, differ, missing, extra, errors;
};

Comparison ParseCombined(const std::string& out) {
  Comparison c;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (line.size() < 3 || line[1] != ' ') continue;
    std::string path(line.substr(2));
    switch (line[0]) {
      case '=':
        c.matched.push_back(std::move(path));
        break;
      case '*':
        c.differ.push_back(std::move(path));
        break;
      case '+':
        c.missing.push_back(std::move(path));
        break;
      case '-':
        c.extra.push_back(std::move(path));
        break;
      case '!':
        c.errors.push_back(std::move(path));
        break;
      default:
        break;
    }
  }
  return c;
}

// "a, b and 3 more"
std::string Some(const std::vector<std::string>& names) {
  std::vector<std::string> first(names.begin(), names.begin() + std::min<size_t>(names.size(), 3));
  std::string out = absl::StrJoin(first, ", ");
  if (names.size() > first.size()) absl::StrAppend(&out, " and ", names.size() - first.size(), " more");
  return out;
}

}  // namespace

void RcloneCheck::Compare(const CheckContext& ctx, ToolSession* tool, bool crypt, const Listing& listing,
                          const std::string& summary, paraat::v1::Result* r) const {
  const std::string what = crypt ? "rclone cryptcheck" : "rclone check";
  std::vector<std::string> args = {crypt ? "cryptcheck" : "check", options_.source, options_.remote, "--combined", "-"};
  if (options_.one_way) args.push_back("--one-way");
  if (options_.download && !crypt) args.push_back("--download");
  auto res = tool->Run(Argv(ctx, args), /*progress=*/true);
  if (!res) return;
  r->set_output_tail(OutputTail(*res));
  if (res->timed_out || res->cancelled) {
    Error(r, absl::StrCat(what, " ", res->Describe()));
    return;
  }
  const Comparison c = ParseCombined(res->out);
  const bool compared = absl::StrContains(res->err, "differences found");
  if (!compared || !c.errors.empty()) {
    const std::string why = RcloneFailure(res->out + res->err);
    Error(r, absl::StrCat(what, " failed: ", why.empty() ? RcloneError(*res) : why));
    return;
  }
  auto* facts = r->mutable_facts();
  uint64_t bytes = 0;
  for (const std::string& p : c.matched) {
    auto it = listing.sizes.find(p);
    if (it != listing.sizes.end()) bytes += it->second;
  }
  facts->set_verified_objects(c.matched.size());
  AddValue(r, "matching", static_cast<double>(c.matched.size()));
  std::vector<std::string> problems;
  if (!c.differ.empty()) problems.push_back(absl::StrCat(c.differ.size(), " differ (", Some(c.differ), ")"));
  if (!c.missing.empty()) {
    problems.push_back(absl::StrCat(c.missing.size(), " missing on the remote (", Some(c.missing), ")"));
  }
  if (!c.extra.empty()) problems.push_back(absl::StrCat(c.extra.size(), " only on the remote (", Some(c.extra), ")"));
  if (!problems.empty() || !res->success()) {
    // A file that differs is damage; missing or extra files are a copy behind or beside its set.
    facts->set_integrity(c.differ.empty() ? paraat::v1::INTEGRITY_UNVERIFIED : paraat::v1::INTEGRITY_CORRUPT);
    Fail(r, absl::StrCat(summary, "; ", what, " against ", options_.source, ": ", absl::StrJoin(problems, ", ")));
    return;
  }
  // Without a hash in common (WebDAV, crypt under plain check), rclone compared sizes only.
  const bool sizes_only = !options_.download && (absl::StrContains(res->err, "No common hash found") ||
                                                 absl::StrContains(res->err, "hashes could not be checked"));
  facts->set_integrity(sizes_only ? paraat::v1::INTEGRITY_UNVERIFIED : paraat::v1::INTEGRITY_VERIFIED);
  if (!sizes_only) facts->set_verified_bytes(bytes);
  AddDetail(r, "compared",
            sizes_only                    ? "sizes only (no hash in common; set download: true)"
            : options_.download && !crypt ? "contents (downloaded)"
            : crypt                       ? "hashes of the encrypted data"
                                          : "hashes");
  Ok(r, absl::StrCat(summary, "; ", what, ": ", c.matched.size(), " files match ", options_.source,
                     sizes_only ? " by size only (the remote has no hash in common)" : ""));
}

void RcloneCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ToolSession tool(ctx, r, ToolWording{nullptr, nullptr, RcloneFailure});
  if (!tool.TakeTurn("rclone:" + options_.remote)) return;
  std::map<std::string, std::string> env;
  std::vector<std::string> secrets;
  if (!options_.config_password.empty()) {
    std::optional<std::string> pw = ReadSecret(options_.config_password, r);
    if (!pw) return;
    env["RCLONE_CONFIG_PASS"] = *pw;
    secrets.push_back(*pw);
  }
  tool.SetEnvironment(std::move(env), std::move(secrets));
  AddDetail(r, "remote", options_.remote);
  AddDetail(r, "location", options_.location);
  // rclone takes a missing config file for an empty one ("using defaults").
  if (!options_.config.empty()) {
    if (std::string problem = FileProblem(options_.config); !problem.empty()) {
      Error(r, absl::StrCat("rclone config ", problem));
      return;
    }
  }
  if (!tool.Version({options_.binary, "version"})) return;
  std::string type;
  if (!RemoteType(ctx, &tool, &type, r)) return;
  if (!type.empty()) AddDetail(r, "remote_type", type);
  Listing listing;
  std::string summary;
  if (!ListRemote(ctx, &tool, &listing, &summary, r)) return;
  if (options_.source.empty()) {
    r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_UNVERIFIED);
    Ok(r, absl::StrCat(summary, " (no source to compare with)"));
    return;
  }
  AddDetail(r, "source", options_.source);
  Compare(ctx, &tool, type == "crypt", listing, summary, r);
}

}  // namespace paraat
