#include "agent/checks/json_http.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/config_keys.h"
#include "agent/checks/support/http_client.h"
#include "common/text.h"
#include "common/time_util.h"

namespace paraat {
namespace {

// The value at `pointer` in `j`, or nullptr when it is not there. nlohmann throws for a pointer
// into an array with a word where an index belongs; that is "not there" too.
const nlohmann::json* At(const nlohmann::json& j, const std::string& pointer) {
  try {
    const nlohmann::json::json_pointer p(pointer);
    return j.contains(p) ? &j.at(p) : nullptr;
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

// A pointer key: RFC 6901, "" (the whole item) or starting with '/'.
std::optional<std::string> PointerKey(YamlMap& keys, const char* key, Presence presence) {
  auto v = keys.String(key, presence);
  if (!v) return v;
  try {
    (void)nlohmann::json::json_pointer(*v);
  } catch (const nlohmann::json::exception&) {
    keys.Error(key, absl::StrCat("\"", *v, "\" is not a JSON pointer (RFC 6901: /data/0/endTime)"));
    return std::nullopt;
  }
  return v;
}

// A scalar as the text a config compares it with: strings as they are, numbers and booleans as
// JSON writes them.
std::string ScalarText(const nlohmann::json* v) {
  if (v == nullptr || v->is_null()) return "";
  return v->is_string() ? v->get<std::string>() : v->dump();
}

// RFC 3339, or epoch seconds (milliseconds when above 10^11: the year 5138 in seconds).
std::optional<absl::Time> ParseItemTime(const nlohmann::json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) {
    double n = v->get<double>();
    if (!std::isfinite(n) || n <= 0) return std::nullopt;
    if (n > 1e11) n /= 1000;
    return absl::FromUnixNanos(static_cast<int64_t>(n * 1e9));
  }
  if (!v->is_string()) return std::nullopt;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, v->get<std::string>(), &t, &err)) return t;
  return std::nullopt;
}

// A count at `pointer` (bytes, files): a non-negative number, or a string of digits (APIs that
// send 64-bit sizes as strings); nullopt when absent or anything else.
std::optional<uint64_t> Count(const nlohmann::json& j, const std::string& pointer) {
  const nlohmann::json* v = pointer.empty() ? nullptr : At(j, pointer);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < 0 || d >= 1.8e19) return std::nullopt;
    return static_cast<uint64_t>(d);
  }
  uint64_t n = 0;
  if (v->is_string() && absl::SimpleAtoi(v->get<std::string>(), &n)) return n;
  return std::nullopt;
}

const char* VerdictName(JsonHttpCheck::Verdict v) {
  return v == JsonHttpCheck::Verdict::kOk ? "ok" : v == JsonHttpCheck::Verdict::kWarning ? "warning" : "failed";
}

void ReadAuthKeys(YamlMap& keys, const CheckEnv& env, JsonHttpCheck::Options* o) {
  o->token = ReadSecretKeys(keys, "token", env, false);
  if (auto v = keys.String("token_prefix")) o->token_prefix = *v;
  if (auto v = keys.String("user")) o->user = *v;
  o->password = ReadSecretKeys(keys, "password", env, false);
  if (!o->user.empty() && o->password.empty()) keys.Error("user", "needs password_file or password_env");
  if (o->user.empty() && !o->password.empty()) keys.Error("password_file", "needs user");
  if (!o->user.empty() && !o->token.empty()) keys.Error("token_file", "give a token or user and password, not both");
  if (auto v = PathKey(keys, env, "cert", kOptional, Need::kFile)) o->cert = *v;
  if (auto v = PathKey(keys, env, "key", kOptional, Need::kFile)) o->key = *v;
  if (o->cert.empty() != o->key.empty()) keys.Error(o->cert.empty() ? "key" : "cert", "needs both cert and key");
  if (auto v = PathKey(keys, env, "ca_file", kOptional, Need::kFile)) o->ca_file = *v;
  if (auto v = keys.Bool("verify_tls")) o->verify_tls = *v;
}

}  // namespace

std::unique_ptr<Check> JsonHttpCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("url", kRequired)) {
    if (!absl::StartsWith(*v, "http://") && !absl::StartsWith(*v, "https://")) {
      keys.Error("url", "must start with http:// or https://");
    } else {
      o.url = *v;
    }
  }
  if (auto v = keys.Enum("method", {"GET", "POST"})) o.method = *v;
  if (auto v = keys.String("body")) o.body = *v;
  if (auto v = keys.StringMap("headers")) o.headers = *v;
  ReadAuthKeys(keys, env, &o);
  if (auto v = PointerKey(keys, "items", kOptional)) o.items = *v;
  if (auto v = keys.StringMap("filter")) {
    for (const auto& [pointer, value] : *v) {
      if (pointer.empty() || pointer[0] != '/')
        keys.Error("filter", absl::StrCat("\"", pointer, "\" is not a JSON pointer"));
    }
    o.filter = *v;
  }
  if (auto v = PointerKey(keys, "name", kOptional)) o.name = *v;
  if (auto v = PointerKey(keys, "time", kRequired)) o.time = *v;
  if (auto v = PointerKey(keys, "status", kOptional)) o.status = *v;
  if (auto v = PointerKey(keys, "bytes", kOptional)) o.bytes = *v;
  if (auto v = PointerKey(keys, "files", kOptional)) o.files = *v;
  if (auto v = keys.StringMap("status_map")) {
    for (const auto& [word, verdict] : *v) {
      if (verdict == "ok") {
        o.status_map[word] = Verdict::kOk;
      } else if (verdict == "warning") {
        o.status_map[word] = Verdict::kWarning;
      } else if (verdict == "failed") {
        o.status_map[word] = Verdict::kFailed;
      } else {
        keys.Error("status_map", absl::StrCat(word, ": \"", verdict, "\" must be ok, warning or failed"));
      }
    }
  }
  if (!o.status.empty() && o.status_map.empty()) keys.Error("status_map", "needed with status");
  if (o.url.empty() || o.time.empty()) return nullptr;
  return std::make_unique<JsonHttpCheck>(std::move(o));
}

std::optional<nlohmann::json> JsonHttpCheck::Fetch(const CheckContext& ctx, paraat::v1::Result* r) const {
  HttpClientRequest req;
  req.url = options_.url;
  req.method = options_.method;
  req.body = options_.body;
  req.ca_file = options_.ca_file;
  req.cert_file = options_.cert;
  req.key_file = options_.key;
  req.verify_tls = options_.verify_tls;
  req.headers.push_back("Accept: application/json");
  for (const auto& [name, value] : options_.headers) req.headers.push_back(absl::StrCat(name, ": ", value));
  std::optional<std::string> token = ReadSecret(options_.token, r);
  if (!token) return std::nullopt;
  if (!token->empty()) req.headers.push_back(absl::StrCat("Authorization: ", options_.token_prefix, *token));
  std::optional<std::string> password = ReadSecret(options_.password, r);
  if (!password) return std::nullopt;
  req.user = options_.user;
  req.password = *password;
  auto response = HttpGet(ctx, req);
  if (!response.ok()) {
    Error(r, std::string(response.status().message()));
    return std::nullopt;
  }
  AddValue(r, "response_time", absl::ToDoubleSeconds(response->took), "s");
  if (response->ending != HttpClientResponse::Ending::kAnswered) {
    Error(r, absl::StrCat(options_.url, ": ", response->error));
    return std::nullopt;
  }
  AddDetail(r, "http_status", absl::StrCat(response->status));
  if (response->status == 401 || response->status == 403) {
    Error(r, absl::StrCat(options_.url, " refused the request (", response->status, "): check the credentials",
                          options_.cert.empty() ? "" : absl::StrCat(" (client certificate ", options_.cert, ")")));
    return std::nullopt;
  }
  if (response->status < 200 || response->status > 299) {
    Error(r, absl::StrCat(options_.url, " answered ", response->status, ": ",
                          TruncateUtf8(OneLine(EscapeUtf8(response->body)), 200)));
    return std::nullopt;
  }
  if (response->truncated) {
    Error(r, absl::StrCat(options_.url, " answered more than 1 MiB: ask for fewer items (a limit in the URL)"));
    return std::nullopt;
  }
  auto doc = nlohmann::json::parse(response->body, nullptr, false);
  if (doc.is_discarded()) {
    Error(r, absl::StrCat(options_.url, " answered something that is not JSON: ",
                          TruncateUtf8(OneLine(EscapeUtf8(response->body)), 120)));
    return std::nullopt;
  }
  return doc;
}

std::vector<JsonHttpCheck::Item> JsonHttpCheck::ReadItems(const nlohmann::json& doc, int* filtered, int* skipped,
                                                          paraat::v1::Result* r) const {
  std::vector<Item> out;
  for (const nlohmann::json& j : doc) {
    bool match = true;
    for (const auto& [pointer, value] : options_.filter) match = match && ScalarText(At(j, pointer)) == value;
    if (!match) continue;
    ++*filtered;
    std::optional<absl::Time> t = ParseItemTime(At(j, options_.time));
    if (!t) {
      ++*skipped;
      continue;
    }
    Item item;
    item.time = *t;
    item.name = options_.name.empty() ? "" : ScalarText(At(j, options_.name));
    if (options_.status.empty()) {
      item.verdict = Verdict::kOk;
    } else {
      item.word = ScalarText(At(j, options_.status));
      auto it = options_.status_map.find(item.word);
      if (it != options_.status_map.end()) item.verdict = it->second;
    }
    item.bytes = Count(j, options_.bytes);
    item.files = Count(j, options_.files);
    out.push_back(std::move(item));
  }
  return out;
}

void JsonHttpCheck::Judge(std::vector<Item> items, int skipped, paraat::v1::Result* r) const {
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.time > b.time; });
  auto describe = [](const Item& i) {
    return absl::StrCat(i.name.empty() ? "" : i.name + " ", "at ", FormatTimeUtc(i.time),
                        i.word.empty() ? "" : absl::StrCat(" (", i.word, ")"));
  };
  const Item* newest = nullptr;  // the newest item with a mapped status
  const Item* good = nullptr;    // the newest ok or warning
  int unmapped = 0;
  for (const Item& i : items) {
    if (!i.verdict) {
      ++unmapped;
      continue;
    }
    if (newest == nullptr) newest = &i;
    if (good == nullptr && *i.verdict != Verdict::kFailed) good = &i;
  }
  std::string counts = absl::StrCat(items.size(), " items");
  if (unmapped > 0) absl::StrAppend(&counts, ", ", unmapped, " with a status not in status_map");
  if (skipped > 0) absl::StrAppend(&counts, ", ", skipped, " without a readable time");
  AddValue(r, "items", static_cast<double>(items.size()));
  if (good != nullptr) {
    r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(good->time));
    AddDetail(r, "recovery_point_item", describe(*good));
    if (good->bytes) {
      r->mutable_facts()->set_backup_bytes(*good->bytes);
      AddDetail(r, "bytes", absl::StrCat(*good->bytes));
      AddValue(r, "bytes", static_cast<double>(*good->bytes), "B");
    }
    if (good->files) {
      r->mutable_facts()->set_backup_files(*good->files);
      AddDetail(r, "files", absl::StrCat(*good->files));
      AddValue(r, "files", static_cast<double>(*good->files));
    }
  }
  if (newest == nullptr) {
    Fail(r, absl::StrCat("no backup with a known status in ", options_.url, " (", counts, ")"));
    return;
  }
  AddDetail(r, "newest_item", describe(*newest));
  AddDetail(r, "newest_status", VerdictName(*newest->verdict));
  const std::string last_good = good ? absl::StrCat("; newest successful ", describe(*good)) : "";
  if (good == nullptr) {
    Fail(r, absl::StrCat("no successful backup: newest ", describe(*newest), " failed (", counts, ")"));
  } else if (*newest->verdict == Verdict::kFailed) {
    Fail(r, absl::StrCat("newest backup ", describe(*newest), " failed", last_good, " (", counts, ")"));
  } else if (*newest->verdict == Verdict::kWarning) {
    Warn(r, absl::StrCat("newest backup ", describe(*newest), " succeeded with warnings (", counts, ")"));
  } else {
    Ok(r, absl::StrCat("newest backup ", describe(*newest), " succeeded (", counts, ")"));
  }
}

void JsonHttpCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  AddDetail(r, "url", options_.url);
  std::optional<nlohmann::json> doc = Fetch(ctx, r);
  if (!doc) return;
  nlohmann::json list = nlohmann::json::array();
  if (options_.items.empty()) {
    list.push_back(*doc);
  } else {
    const nlohmann::json* items = At(*doc, options_.items);
    if (items == nullptr || !items->is_array()) {
      Error(r, absl::StrCat("the answer has no array at ", options_.items,
                            items == nullptr ? "" : absl::StrCat(" (a ", items->type_name(), ")")));
      return;
    }
    list = *items;
  }
  int filtered = 0, skipped = 0;
  std::vector<Item> items = ReadItems(list, &filtered, &skipped, r);
  if (filtered == 0) {
    Fail(r, absl::StrCat("no items in ", options_.url, options_.filter.empty() ? "" : " matching the filter", " (",
                         list.size(), " in all)"));
    return;
  }
  Judge(std::move(items), skipped, r);
}

}  // namespace paraat
