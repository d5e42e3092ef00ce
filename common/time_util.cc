#include "common/time_util.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/units.h"

namespace paraat {

std::string FormatTimeUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string FormatUnixNs(int64_t unix_ns) {
  if (unix_ns <= 0) return "never";
  return FormatTimeUtc(absl::FromUnixNanos(unix_ns));
}

absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::Time now) {
  if (text == "now") return now;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%dT%H:%M", text, absl::UTCTimeZone(), &t, &err)) return t;
  auto ago = ParseDuration(text);
  if (ago.ok()) return now - *ago;
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a time (use e.g. 2026-11-29, 2026-11-29T10:00:00Z, or 30d for 30 days ago)"));
}

}  // namespace paraat
