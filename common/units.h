// Durations, sizes, rates and percentages as users write them in config and plan files.
// Parse errors are InvalidArgument with a message that shows the value and an example; the
// config readers prefix it with `file:line: key:`. Pure functions; safe from any thread.
//
//   durations: 200ms, 30s, 15m, 4h, 7d, 52w, and sums such as 1h30m
//   sizes:     512KiB, 1MiB, 10GB, 4096 (bytes), 1.5GiB
//   rates:     200MB/s
//   fractions: 5%, 10%
#ifndef PARAAT_COMMON_UNITS_H_
#define PARAAT_COMMON_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paraat {

// Errors are InvalidArgument with a message such as `"fifteen" is not a duration (...)`.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);
[[nodiscard]] absl::StatusOr<uint64_t> ParseSize(absl::string_view text);
// Bytes per second.
[[nodiscard]] absl::StatusOr<uint64_t> ParseRate(absl::string_view text);
// "5%" -> 0.05. Must lie in (0, 100%].
[[nodiscard]] absl::StatusOr<double> ParsePercent(absl::string_view text);

// Compact, lossless-enough forms for people: "15m", "4h30m", "2d", "350ms", "1.2s".
std::string HumanDuration(absl::Duration d);
// "1.5 GiB", "512 B".
std::string HumanSize(uint64_t bytes);
// "1 plan", "3 plans": a count with its noun (English plural in -s).
std::string CountOf(size_t n, absl::string_view noun);

}  // namespace paraat

#endif  // PARAAT_COMMON_UNITS_H_
