// Converting and printing points in time (UTC, RFC 3339), and the time arguments users give
// (--since, --until, --date). ParseTimeArg's errors are InvalidArgument. Pure; any thread.
#ifndef PARAAT_COMMON_TIME_UTIL_H_
#define PARAAT_COMMON_TIME_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paraat {

// "2026-11-29T11:51:11Z" (UTC, seconds).
std::string FormatTimeUtc(absl::Time t);
// "2026-11-29T11:51:11Z", or "never" for the epoch/InfinitePast.
std::string FormatUnixNs(int64_t unix_ns);

// Accepts RFC 3339 ("2026-11-29T11:51:11Z", "...+01:00"), a date ("2026-11-29", midnight UTC),
// "now", or a duration ago ("30d", "12h"), relative to `now`.
[[nodiscard]] absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view text, absl::Time now);

inline int64_t ToUnixNs(absl::Time t) { return absl::ToUnixNanos(t); }
inline absl::Time FromUnixNs(int64_t ns) { return absl::FromUnixNanos(ns); }
inline int64_t ToNs(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }
inline absl::Duration FromNs(int64_t ns) { return absl::Nanoseconds(ns); }

}  // namespace paraat

#endif  // PARAAT_COMMON_TIME_UTIL_H_
