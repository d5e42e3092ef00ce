#include "agent/checks/pgbackrest.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/tool.h"
#include "agent/json_util.h"
#include "common/time_util.h"
#include "common/units.h"
#include "nlohmann/json.hpp"

namespace paraat {

std::unique_ptr<Check> PgBackRestCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("binary")) {
    o.binary = *v;
    RequireProgram(keys, env, "binary", o.binary);
  }
  if (auto v = keys.String("stanza", kRequired)) o.stanza = *v;
  if (auto v = PathKey(keys, env, "config", kOptional, Need::kFile)) o.config = *v;
  if (auto v = keys.Bool("verify")) o.verify = *v;
  if (o.stanza.empty()) return nullptr;
  return std::make_unique<PgBackRestCheck>(std::move(o));
}

std::vector<std::string> PgBackRestCheck::Base() const {
  std::vector<std::string> argv = {options_.binary};
  if (!options_.config.empty()) argv.push_back("--config=" + options_.config);
  argv.push_back("--stanza=" + options_.stanza);
  argv.push_back("--log-level-console=error");
  argv.push_back("--log-level-file=off");
  return argv;
}

void PgBackRestCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  ToolSession tool(ctx, r);
  AddDetail(r, "stanza", options_.stanza);
  if (!tool.Version({options_.binary, "version"})) return;
  std::vector<std::string> argv = Base();
  argv.insert(argv.end(), {"--output=json", "info"});
  auto info = tool.Read(argv, "pgbackrest info");
  if (!info) return;
  auto j = nlohmann::json::parse(info->out, nullptr, false);
  const nlohmann::json* stanza = nullptr;
  if (j.is_array()) {
    for (const auto& s : j) {
      if (JsonString(s, "name") == options_.stanza) stanza = &s;
    }
  }
  if (stanza == nullptr) {
    Error(r, "pgbackrest info --output=json gave unexpected output");
    return;
  }
  const int code = static_cast<int>(JsonInt(JsonAt(*stanza, "status"), "code", 99));
  const std::string status_msg = JsonString(JsonAt(*stanza, "status"), "message");
  if (code != 0 && code != 2 && code != 6) {
    Error(r, absl::StrCat("stanza ", options_.stanza, ": ", status_msg, " (pgbackrest status ", code, ")"));
    return;
  }
  Backups backups;
  if (!ReportBackups(*stanza, r, &backups)) return;
  if (!options_.verify) {
    if (backups.newest_bad) {
      r->mutable_facts()->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
      Fail(r, backups.summary);
    } else {
      Ok(r, backups.summary);
    }
    return;
  }
  Verify(&tool, backups, r);
}

bool PgBackRestCheck::ReportBackups(const nlohmann::json& stanza, paraat::v1::Result* r, Backups* out) const {
  // The newest backup without errors is the recovery point.
  const nlohmann::json* newest = nullptr;
  const nlohmann::json* newest_any = nullptr;
  std::map<std::string, int64_t> last_by_type;
  size_t count = 0;
  auto stop_of = [](const nlohmann::json& b) { return JsonInt(JsonAt(b, "timestamp"), "stop"); };
  for (const auto& b : JsonArray(stanza, "backup")) {
    ++count;
    const int64_t stop = stop_of(b);
    const std::string type = JsonString(b, "type");
    if (!newest_any || stop > stop_of(*newest_any)) newest_any = &b;
    if (JsonBool(b, "error")) continue;
    last_by_type[type] = std::max(last_by_type[type], stop);
    if (!newest || stop > stop_of(*newest)) newest = &b;
  }
  AddValue(r, "backups", static_cast<double>(count));
  for (const auto& [type, t] : last_by_type)
    AddDetail(r, absl::StrCat("last_", type), FormatTimeUtc(absl::FromUnixSeconds(t)));
  for (const auto& a : JsonArray(stanza, "archive")) {
    if (JsonString(a, "min").empty()) continue;
    AddDetail(r, "wal_archive",
              absl::StrCat(JsonString(a, "id"), " ", JsonString(a, "min"), " .. ", JsonString(a, "max")));
  }
  auto* facts = r->mutable_facts();
  if (newest == nullptr) {
    Fail(r, absl::StrCat("stanza ", options_.stanza, ": no valid backup",
                         newest_any ? " (the backups there have errors)" : ""));
    if (newest_any) facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    return false;
  }
  const absl::Time rp = absl::FromUnixSeconds(stop_of(*newest));
  facts->set_recovery_point_unix_ns(ToUnixNs(rp));
  AddDetail(r, "backup", JsonString(*newest, "label"));
  AddDetail(r, "backup_type", JsonString(*newest, "type"));
  const nlohmann::json& info_sizes = JsonAt(*newest, "info");
  AddValue(r, "database_size", JsonDouble(info_sizes, "size"), "B");
  AddValue(r, "repository_size", JsonDouble(JsonAt(info_sizes, "repository"), "size"), "B");
  out->summary = absl::StrCat(count, " backups, newest ", JsonString(*newest, "type"), " ",
                              JsonString(*newest, "label"), " at ", FormatTimeUtc(rp));
  out->newest_bad = newest_any != newest;
  if (out->newest_bad) {
    absl::StrAppend(&out->summary, "; the latest backup ", JsonString(*newest_any, "label"),
                    " has errors (page checksum failures in the database)");
  }
  return true;
}

void PgBackRestCheck::Verify(ToolSession* tool, const Backups& backups, paraat::v1::Result* r) const {
  std::vector<std::string> argv = Base();
  argv.insert(argv.end(), {"verify", "--output=text", "--verbose"});
  ProcessResult verify;
  if (!tool->Verify(argv, "pgbackrest verify", options_.stanza, backups.summary, &verify)) return;
  // verify exits 0 even when it finds damage: its report says "status: error".
  bool ok = false, error = false;
  std::string first_problem;
  for (absl::string_view line : absl::StrSplit(verify.out, '\n')) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (t == "status: ok") ok = true;
    if (t == "status: error") error = true;
    // With --verbose every archive and backup is listed with its counts; keep the first damaged one.
    if (error && first_problem.empty() &&
        (absl::StrContains(t, "status: invalid") || absl::StrContains(t, "checksum invalid: 1") ||
         (absl::StrContains(t, "missing: ") && !absl::StrContains(t, "missing: 0")))) {
      first_problem = std::string(t);
    }
  }
  auto* facts = r->mutable_facts();
  if (!ok && !error) {
    Error(r, absl::StrCat("pgbackrest verify failed: ", ToolError(verify)));
    return;
  }
  if (error || backups.newest_bad) {
    facts->set_integrity(paraat::v1::INTEGRITY_CORRUPT);
    Fail(r,
         absl::StrCat(backups.summary, error ? absl::StrCat("; pgbackrest verify found damage: ", first_problem) : ""));
    return;
  }
  facts->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
  facts->set_coverage(1.0);
  Ok(r, absl::StrCat(backups.summary, "; pgbackrest verify passed"));
}

}  // namespace paraat
