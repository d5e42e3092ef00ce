// What people read, in Dutch and English: one message catalogue per language (common/i18n/en.txt,
// common/i18n/nl.txt, embedded at build time) shared by the collector's web console, paraatctl
// and the HTML report, and the formatting of numbers, dates and durations in a language and a
// time zone.
//
// The catalogues map keys ("nav.overview") to text with {name} placeholders. Status words in
// URLs and machine output (ready, not_ready, ok, failed) are never translated; only their labels
// are ("state.not_ready"). A key missing from a catalogue renders as "[[key]]", so a page that
// uses one is visibly wrong in the tests that render every page (and a unit test checks that
// both catalogues hold the same keys with the same placeholders).
//
// Thread-safety: the catalogues are parsed once and immutable; a Localizer is a small value,
// safe to share between threads.
#ifndef PARAAT_COMMON_I18N_H_
#define PARAAT_COMMON_I18N_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paraat {

enum class Lang { kEn = 0, kNl = 1 };
inline constexpr Lang kAllLangs[] = {Lang::kEn, Lang::kNl};

// "en", "nl".
const char* LangCode(Lang lang);
// "nl", "NL", "nl-BE", "en_GB.UTF-8" -> the language; nullopt for any other.
std::optional<Lang> ParseLang(absl::string_view code);
// The language an Accept-Language header prefers most (by q-value; ties in header order), or
// `fallback` when it names neither Dutch nor English.
Lang PreferredLang(absl::string_view accept_language, Lang fallback);

// Named values for a message's {placeholders}.
using MessageArgs = std::vector<std::pair<std::string, std::string>>;

// One catalogue per language: key = text, one a line; '#' starts a comment line.
class Catalog {
 public:
  // The catalogues built into this binary, parsed on first use (a malformed line aborts: the
  // unit tests parse them first).
  static const Catalog& Builtin();
  // InvalidArgument naming `name:line` for a line that is not `key = text` or a key given twice.
  [[nodiscard]] static absl::StatusOr<std::map<std::string, std::string>> ParseFile(absl::string_view text,
                                                                                    absl::string_view name);

  // The text, or nullptr when the catalogue has no such key.
  const std::string* Find(Lang lang, absl::string_view key) const;
  // The text, or "[[key]]".
  std::string Text(Lang lang, absl::string_view key) const;
  const std::map<std::string, std::string>& Entries(Lang lang) const { return entries_[static_cast<int>(lang)]; }

 private:
  std::map<std::string, std::string> entries_[2];
};

// Replaces each {name} in `text` with its value in `args`; an unknown name stays as it is.
std::string FillPlaceholders(absl::string_view text, const MessageArgs& args);
// The placeholder names in `text`, in order ("{a} of {b}" -> a, b).
std::vector<std::string> PlaceholderNames(absl::string_view text);

// Renders text in one language and time zone.
class Localizer {
 public:
  explicit Localizer(Lang lang, absl::TimeZone zone = absl::UTCTimeZone());

  Lang lang() const { return lang_; }
  const char* code() const { return LangCode(lang_); }
  const absl::TimeZone& zone() const { return zone_; }

  // The catalogue's text for `key`, and with its placeholders filled.
  std::string T(absl::string_view key) const;
  std::string F(absl::string_view key, const MessageArgs& args) const;
  // The text for `key`, or nullptr when the catalogue has none (for optional entries).
  const std::string* Find(absl::string_view key) const;
  // `key`.one or `key`.other with {n} filled: "1 plan", "3 plans" / "3 plannen".
  std::string Count(absl::string_view key, uint64_t n) const;

  // 12,345 / 12.345
  std::string Integer(int64_t n) const;
  // 1.5 / 1,5, with `decimals` digits after the separator.
  std::string Decimal(double v, int decimals) const;
  // 95 % / 95%: `share` 0..1.
  std::string Percent(double share, int decimals = 0) const;
  // "1.5 GiB" / "1,5 GiB".
  std::string Size(uint64_t bytes) const;

  // "3 Mar 2026, 14:05" / "3 mrt 2026 14:05" in the zone.
  std::string DateTime(absl::Time t) const;
  // "3 Mar 2026" / "3 mrt 2026".
  std::string Date(absl::Time t) const;
  // RFC 3339 with the zone's offset: "2026-03-03T14:05:00+01:00" (for <time datetime> and hovers).
  std::string Iso(absl::Time t) const;
  // "4 h 30 min" / "4 u 30 min": the two largest units; "350 ms", "2.5 s" below a minute.
  std::string Duration(absl::Duration d) const;
  // "4h30m" / "4u30m": compact, for terminal tables.
  std::string CompactDuration(absl::Duration d) const;
  // "3 d ago" / "3 d geleden", or "in 3 d" / "over 3 d" for a time after `now`.
  std::string Relative(absl::Time t, absl::Time now) const;

 private:
  Lang lang_;
  absl::TimeZone zone_;
};

// The time zone called `name` ("Europe/Amsterdam", "UTC"), from the system's zone database;
// InvalidArgument when there is none by that name.
[[nodiscard]] absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

}  // namespace paraat

#endif  // PARAAT_COMMON_I18N_H_
