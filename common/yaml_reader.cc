#include "common/yaml_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/fs.h"
#include "common/limits.h"
#include "common/units.h"

namespace paraat {
namespace {

// Levenshtein distance, for "did you mean" hints on unknown keys.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

constexpr size_t kMaxProblems = 50;
constexpr size_t kMaxProblemBytes = 400;
constexpr size_t kMaxKeyBytes = 96;

// Length of the well-formed UTF-8 character at text[i] that is not a control (C1), or 0.
size_t PrintableCharAt(absl::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c >= 0x20 && c < 0x7F) return 1;
  size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  if (c == 0xC2 && b(i + 1) < 0xA0) return 0;                                        // C1 controls
  if ((c == 0xE0 && b(i + 1) < 0xA0) || (c == 0xF0 && b(i + 1) < 0x90)) return 0;    // overlong
  if ((c == 0xED && b(i + 1) >= 0xA0) || (c == 0xF4 && b(i + 1) >= 0x90)) return 0;  // surrogates, > U+10FFFF
  return n;
}

// Controls and bytes that are not UTF-8 as \xHH; everything on one line.
std::string OneLineText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (size_t n = PrintableCharAt(text, i); n > 0) {
      out.append(text.data() + i, n);
      i += n;
    } else {
      absl::StrAppendFormat(&out, "\\x%02X", static_cast<unsigned char>(text[i]));
      ++i;
    }
  }
  return out;
}

// The longest prefix of at most max_bytes that does not end inside a UTF-8 character.
absl::string_view Utf8Cut(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// A problem as it is reported: every quoted value cut to an excerpt, on one line, bounded.
std::string BoundedProblem(absl::string_view problem) {
  std::string out;
  size_t i = 0;
  while (i < problem.size()) {
    const size_t open = problem.find('"', i);
    const size_t close = open == absl::string_view::npos ? open : problem.find('"', open + 1);
    if (close == absl::string_view::npos) {
      out.append(OneLineText(problem.substr(i)));
      break;
    }
    absl::StrAppend(&out, OneLineText(problem.substr(i, open + 1 - i)),
                    ConfigExcerpt(problem.substr(open + 1, close - open - 1)), "\"");
    i = close + 1;
  }
  if (out.size() > kMaxProblemBytes) out = absl::StrCat(Utf8Cut(out, kMaxProblemBytes), "…");
  return out;
}

}  // namespace

std::string ConfigExcerpt(absl::string_view text, size_t max_bytes) {
  const absl::string_view cut = Utf8Cut(text, max_bytes);
  return cut.size() == text.size() ? OneLineText(text) : absl::StrCat(OneLineText(cut), "…");
}

void ConfigErrors::Add(int line, absl::string_view key, absl::string_view problem) {
  if (lines_.size() >= kMaxProblems) {
    ++dropped_;
    return;
  }
  line_numbers_.push_back(line);
  std::string where = line > 0 ? absl::StrCat(file_, ":", line) : file_;
  if (key.empty()) {
    lines_.push_back(absl::StrCat(where, ": ", BoundedProblem(problem)));
  } else {
    lines_.push_back(absl::StrCat(where, ": ", ConfigExcerpt(key, kMaxKeyBytes), ": ", BoundedProblem(problem)));
  }
}

void ConfigErrors::Add(const YAML::Node& at, absl::string_view key, absl::string_view problem) {
  Add(LineOf(at), key, problem);
}

absl::Status ConfigErrors::ToStatus() const {
  if (lines_.empty()) return absl::OkStatus();
  // In file order: easier to fix from top to bottom.
  std::vector<size_t> order(lines_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return line_numbers_[a] < line_numbers_[b]; });
  std::vector<std::string> sorted;
  for (size_t i : order) sorted.push_back(lines_[i]);
  if (dropped_ > 0) sorted.push_back(absl::StrCat(file_, ": ... and ", dropped_, " more problems"));
  return absl::InvalidArgumentError(absl::StrJoin(sorted, "\n"));
}

int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

YAML::Node LoadYamlString(const std::string& text, ConfigErrors* errors) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors->Add(e.mark.is_null() ? 0 : e.mark.line + 1, "syntax", e.msg);
    return YAML::Node();
  }
}

bool ReadConfigFile(const std::string& path, std::string* text, ConfigErrors* errors) {
  auto bytes = ReadRegularFile(path, kMaxConfigFileBytes, /*within_folder=*/true);
  if (!bytes.ok()) {
    errors->Add(0, "", bytes.status().message());
    return false;
  }
  *text = *std::move(bytes);
  return true;
}

YAML::Node LoadYamlFile(const std::string& path, ConfigErrors* errors) {
  std::string text;
  if (!ReadConfigFile(path, &text, errors)) return YAML::Node();
  return LoadYamlString(text, errors);
}

YamlMap::YamlMap(const YAML::Node& node, std::string prefix, ConfigErrors* errors, int parent_line)
    : prefix_(std::move(prefix)), errors_(errors) {
  line_ = LineOf(node);
  if (line_ == 0) line_ = parent_line;
  if (!node.IsDefined() || node.IsNull()) {
    errors_->Add(line_, prefix_.empty() ? "" : prefix_, "expected a mapping of keys to values, found nothing");
    return;
  }
  if (!node.IsMap()) {
    errors_->Add(line_, prefix_.empty() ? "" : prefix_, "expected a mapping of keys to values");
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      errors_->Add(it->first, prefix_, "keys must be plain names");
      continue;
    }
    const std::string key = it->first.Scalar();
    if (entries_.count(key)) {
      errors_->Add(it->first, KeyPath(key), "duplicate key");
      continue;
    }
    entries_.emplace(key, Entry{it->first, it->second});
  }
}

std::string YamlMap::KeyPath(absl::string_view key) const {
  return prefix_.empty() ? std::string(key) : absl::StrCat(prefix_, ".", key);
}

const YamlMap::Entry* YamlMap::Find(absl::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

bool YamlMap::Has(absl::string_view key) const { return Find(key) != nullptr; }

void YamlMap::Error(absl::string_view key, absl::string_view problem) {
  const Entry* e = Find(key);
  int line = e ? LineOf(e->key) : line_;
  errors_->Add(line, KeyPath(key), problem);
}

YAML::Node YamlMap::Raw(absl::string_view key) {
  asked_.emplace(key);
  const Entry* e = Find(key);
  return e ? e->value : YAML::Node();
}

std::optional<std::string> YamlMap::Scalar(absl::string_view key, Presence p) {
  asked_.emplace(key);
  const Entry* e = Find(key);
  if (e == nullptr) {
    if (p == kRequired && valid_) Error(key, "is required");
    return std::nullopt;
  }
  if (e->value.IsNull()) {
    Error(key, "has no value");
    return std::nullopt;
  }
  if (!e->value.IsScalar()) {
    Error(key, "expected a single value");
    return std::nullopt;
  }
  return e->value.Scalar();
}

std::optional<std::string> YamlMap::String(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (s && s->empty()) {
    Error(key, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> YamlMap::Enum(absl::string_view key, const std::vector<std::string>& allowed, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return s;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    Error(key, absl::StrCat(Quote(*s), " is not one of ", absl::StrJoin(allowed, ", ")));
    return std::nullopt;
  }
  return s;
}

std::optional<absl::Duration> YamlMap::Duration(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  auto d = ParseDuration(*s);
  if (!d.ok()) {
    Error(key, d.status().message());
    return std::nullopt;
  }
  return *d;
}

std::optional<absl::Duration> YamlMap::PositiveDuration(absl::string_view key, Presence p) {
  auto d = Duration(key, p);
  if (d && *d <= absl::ZeroDuration()) {
    Error(key, "must be longer than zero");
    return std::nullopt;
  }
  return d;
}

std::optional<uint64_t> YamlMap::Size(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  auto v = ParseSize(*s);
  if (!v.ok()) {
    Error(key, v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<uint64_t> YamlMap::Rate(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  auto v = ParseRate(*s);
  if (!v.ok()) {
    Error(key, v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<double> YamlMap::Percent(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  auto v = ParsePercent(*s);
  if (!v.ok()) {
    Error(key, v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<int64_t> YamlMap::Int(absl::string_view key, int64_t min, int64_t max, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  int64_t v = 0;
  size_t used = 0;
  try {
    v = std::stoll(*s, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != s->size()) {
    Error(key, absl::StrCat(Quote(*s), " is not a whole number"));
    return std::nullopt;
  }
  if (v < min || v > max) {
    Error(key, absl::StrCat(v, " is out of range (", min, " to ", max, ")"));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlMap::Bool(absl::string_view key, Presence p) {
  auto s = Scalar(key, p);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  Error(key, absl::StrCat(Quote(*s), " is not true or false"));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlMap::StringList(absl::string_view key, Presence p) {
  asked_.emplace(key);
  const Entry* e = Find(key);
  if (e == nullptr) {
    if (p == kRequired && valid_) Error(key, "is required");
    return std::nullopt;
  }
  if (!e->value.IsSequence()) {
    Error(key, "expected a list, e.g. [a, b]");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const YAML::Node& item : e->value) {
    if (!item.IsScalar()) {
      errors_->Add(item, KeyPath(key), "list items must be single values");
      return std::nullopt;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::optional<std::map<std::string, std::string>> YamlMap::StringMap(absl::string_view key, Presence p) {
  asked_.emplace(key);
  const Entry* e = Find(key);
  if (e == nullptr) {
    if (p == kRequired && valid_) Error(key, "is required");
    return std::nullopt;
  }
  if (!e->value.IsMap()) {
    Error(key, "expected a mapping, e.g. {site: zwolle}");
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  for (auto it = e->value.begin(); it != e->value.end(); ++it) {
    if (!it->first.IsScalar() || !it->second.IsScalar()) {
      errors_->Add(it->first, KeyPath(key), "names and values must be single values");
      return std::nullopt;
    }
    out[it->first.Scalar()] = it->second.Scalar();
  }
  return out;
}

std::optional<YamlMap> YamlMap::Map(absl::string_view key, Presence p) {
  asked_.emplace(key);
  const Entry* e = Find(key);
  if (e == nullptr) {
    if (p == kRequired && valid_) Error(key, "is required");
    return std::nullopt;
  }
  YamlMap child(e->value, KeyPath(key), errors_, LineOf(e->key));
  if (!child.valid()) return std::nullopt;
  return child;
}

void YamlMap::Finish() {
  for (const auto& [key, entry] : entries_) {
    if (asked_.count(key)) continue;
    std::string hint;
    size_t best = 3;
    for (const std::string& known : asked_) {
      size_t d = EditDistance(key, known);
      if (d < best) {
        best = d;
        hint = absl::StrCat(" (did you mean \"", known, "\"?)");
      }
    }
    errors_->Add(entry.key, KeyPath(key), absl::StrCat("unknown key", hint));
  }
}

}  // namespace paraat
