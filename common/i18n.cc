#include "common/i18n.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "common/embedded.h"
#include "common/log.h"

namespace paraat {

// Generated from common/i18n/*.txt (common/CMakeLists.txt).
const std::vector<EmbeddedFile>& MessageCatalogFiles();

const char* LangCode(Lang lang) { return lang == Lang::kNl ? "nl" : "en"; }

std::optional<Lang> ParseLang(absl::string_view code) {
  const std::string c = absl::AsciiStrToLower(code.substr(0, 2));
  if (code.size() > 2 && code[2] != '-' && code[2] != '_' && code[2] != '.') return std::nullopt;
  if (c == "nl") return Lang::kNl;
  if (c == "en") return Lang::kEn;
  return std::nullopt;
}

Lang PreferredLang(absl::string_view header, Lang fallback) {
  std::optional<Lang> best;
  double best_q = 0;
  for (absl::string_view item : absl::StrSplit(header, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    std::optional<Lang> lang = ParseLang(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "q=") && !absl::SimpleAtod(p, &q)) q = 0;
    }
    if (lang && q > best_q) {
      best = lang;
      best_q = q;
    }
  }
  return best.value_or(fallback);
}

absl::StatusOr<std::map<std::string, std::string>> Catalog::ParseFile(absl::string_view text, absl::string_view name) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": not `key = text`"));
    }
    std::string key(absl::StripAsciiWhitespace(l.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    if (key.empty() || value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": empty key or text"));
    }
    if (!out.emplace(key, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": ", key, " is given twice"));
    }
  }
  return out;
}

const Catalog& Catalog::Builtin() {
  static const Catalog* catalog = [] {
    auto* c = new Catalog;
    for (Lang lang : kAllLangs) {
      const std::string file = absl::StrCat(LangCode(lang), ".txt");
      const EmbeddedFile* f = FindEmbedded(MessageCatalogFiles(), file);
      if (f == nullptr) {
        LogError("message catalogue ", file, " is not built in");
        std::abort();
      }
      auto entries = ParseFile(absl::string_view(f->content.data(), f->content.size()), file);
      if (!entries.ok()) {
        LogError("message catalogue: ", entries.status().message());
        std::abort();
      }
      c->entries_[static_cast<int>(lang)] = *std::move(entries);
    }
    return c;
  }();
  return *catalog;
}

const std::string* Catalog::Find(Lang lang, absl::string_view key) const {
  const auto& m = entries_[static_cast<int>(lang)];
  auto it = m.find(std::string(key));
  return it == m.end() ? nullptr : &it->second;
}

std::string Catalog::Text(Lang lang, absl::string_view key) const {
  const std::string* t = Find(lang, key);
  return t ? *t : absl::StrCat("[[", key, "]]");
}

std::string FillPlaceholders(absl::string_view text, const MessageArgs& args) {
  std::string out;
  out.reserve(text.size() + 32);
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find('}', open);
    if (close == absl::string_view::npos) break;
    out.append(text.data() + i, open - i);
    absl::string_view name = text.substr(open + 1, close - open - 1);
    auto it = std::find_if(args.begin(), args.end(), [&](const auto& a) { return a.first == name; });
    if (it != args.end()) {
      out += it->second;
    } else {
      out.append(text.data() + open, close - open + 1);
    }
    i = close + 1;
  }
  out.append(text.data() + i, text.size() - i);
  return out;
}

std::vector<std::string> PlaceholderNames(absl::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while ((i = text.find('{', i)) != absl::string_view::npos) {
    const size_t close = text.find('}', i);
    if (close == absl::string_view::npos) break;
    out.emplace_back(text.substr(i + 1, close - i - 1));
    i = close + 1;
  }
  return out;
}

Localizer::Localizer(Lang lang, absl::TimeZone zone) : lang_(lang), zone_(zone) {}

std::string Localizer::T(absl::string_view key) const { return Catalog::Builtin().Text(lang_, key); }

std::string Localizer::F(absl::string_view key, const MessageArgs& args) const {
  const std::string* t = Find(key);
  return t ? FillPlaceholders(*t, args) : absl::StrCat("[[", key, "]]");
}

const std::string* Localizer::Find(absl::string_view key) const { return Catalog::Builtin().Find(lang_, key); }

std::string Localizer::Count(absl::string_view key, uint64_t n) const {
  return F(absl::StrCat(key, n == 1 ? ".one" : ".other"), {{"n", Integer(static_cast<int64_t>(n))}});
}

std::string Localizer::Integer(int64_t n) const {
  const std::string digits = absl::StrCat(n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n));
  const char sep = lang_ == Lang::kNl ? '.' : ',';
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  return out;
}

std::string Localizer::Decimal(double v, int decimals) const {
  std::string s = absl::StrFormat("%.*f", decimals, v);
  if (lang_ == Lang::kNl) std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

std::string Localizer::Percent(double share, int decimals) const {
  return F("format.percent", {{"n", Decimal(share * 100, decimals)}});
}

std::string Localizer::Size(uint64_t bytes) const {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return absl::StrCat(Integer(static_cast<int64_t>(bytes)), " B");
  return absl::StrCat(Decimal(v, 1), " ", kUnits[u]);
}

namespace {

std::string Month(const Localizer& l, int month) {
  std::vector<std::string> names = absl::StrSplit(l.T("date.months"), ' ', absl::SkipEmpty());
  return month >= 1 && month <= static_cast<int>(names.size()) ? names[month - 1] : absl::StrCat(month);
}

}  // namespace

std::string Localizer::DateTime(absl::Time t) const {
  const absl::CivilMinute c = absl::ToCivilMinute(t, zone_);
  return F("format.datetime", {{"day", absl::StrCat(c.day())},
                               {"month", Month(*this, c.month())},
                               {"year", absl::StrCat(c.year())},
                               {"time", absl::StrFormat("%02d:%02d", c.hour(), c.minute())}});
}

std::string Localizer::Date(absl::Time t) const {
  const absl::CivilDay c = absl::ToCivilDay(t, zone_);
  return F("format.date",
           {{"day", absl::StrCat(c.day())}, {"month", Month(*this, c.month())}, {"year", absl::StrCat(c.year())}});
}

std::string Localizer::Iso(absl::Time t) const { return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, zone_); }

namespace {

struct DurationPart {
  int64_t value;
  const char* unit;  // catalogue key
};

// The two largest non-zero adjacent units of a duration of at least a minute.
std::vector<DurationPart> Parts(absl::Duration d) {
  int64_t secs = absl::ToInt64Seconds(d);
  static constexpr DurationPart kUnits[] = {{86400, "unit.d"}, {3600, "unit.h"}, {60, "unit.min"}, {1, "unit.s"}};
  std::vector<DurationPart> out;
  int parts = 0;
  for (const DurationPart& u : kUnits) {
    if (secs >= u.value && parts < 2) {
      out.push_back({secs / u.value, u.unit});
      secs %= u.value;
      ++parts;
    } else if (parts > 0) {
      ++parts;  // the two most significant adjacent units only: "2 d 3 h", never "2 d 5 min"
    }
  }
  return out;
}

}  // namespace

std::string Localizer::Duration(absl::Duration d) const {
  if (d < absl::ZeroDuration()) return absl::StrCat("-", Duration(-d));
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), " ", T("unit.ms"));
  if (d < absl::Minutes(1)) {
    const double s = absl::ToDoubleSeconds(d);
    return absl::StrCat(s < 10 && s != std::floor(s) ? Decimal(s, 1) : absl::StrCat(static_cast<int64_t>(s)), " ",
                        T("unit.s"));
  }
  std::string out;
  for (const DurationPart& p : Parts(d)) absl::StrAppend(&out, out.empty() ? "" : " ", p.value, " ", T(p.unit));
  return out;
}

std::string Localizer::CompactDuration(absl::Duration d) const {
  if (d < absl::ZeroDuration()) return absl::StrCat("-", CompactDuration(-d));
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), T("unit.ms"));
  if (d < absl::Minutes(1)) {
    const double s = absl::ToDoubleSeconds(d);
    return absl::StrCat(s == std::floor(s) ? absl::StrCat(static_cast<int64_t>(s)) : Decimal(s, 1), T("unit.s"));
  }
  std::string out;
  for (const DurationPart& p : Parts(d)) {
    // Compact: one letter for minutes ("4h30m"), as in plan files.
    absl::StrAppend(&out, p.value, std::string(p.unit) == "unit.min" ? T("unit.m") : T(p.unit));
  }
  return out;
}

std::string Localizer::Relative(absl::Time t, absl::Time now) const {
  if (t <= now) return F("time.ago", {{"d", Duration(absl::Trunc(now - t, absl::Seconds(1)))}});
  return F("time.in", {{"d", Duration(absl::Trunc(t - now, absl::Seconds(1)))}});
}

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a time zone this system knows (e.g. Europe/Amsterdam, UTC)"));
  }
  return tz;
}

}  // namespace paraat
