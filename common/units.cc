#include "common/units.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace paraat {
namespace {

// Reads a non-negative decimal number (digits, optional fraction) from the front of `text`.
bool ConsumeNumber(absl::string_view& text, double* value) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  *value = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
  text.remove_prefix(i);
  return true;
}

absl::string_view ConsumeUnit(absl::string_view& text) {
  size_t i = 0;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
  absl::string_view unit = text.substr(0, i);
  text.remove_prefix(i);
  return unit;
}

absl::Status NotA(absl::string_view text, absl::string_view what, absl::string_view examples) {
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not a ", what, " (use e.g. ", examples, ")"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  constexpr absl::string_view kExamples = "30s, 15m, 4h, 7d";
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  if (rest.empty()) return NotA(text, "duration", kExamples);
  absl::Duration total = absl::ZeroDuration();
  while (!rest.empty()) {
    double n;
    if (!ConsumeNumber(rest, &n)) return NotA(text, "duration", kExamples);
    absl::string_view unit = ConsumeUnit(rest);
    absl::Duration u;
    if (unit == "ms") {
      u = absl::Milliseconds(1);
    } else if (unit == "s") {
      u = absl::Seconds(1);
    } else if (unit == "m") {
      u = absl::Minutes(1);
    } else if (unit == "h") {
      u = absl::Hours(1);
    } else if (unit == "d") {
      u = absl::Hours(24);
    } else if (unit == "w") {
      u = absl::Hours(24 * 7);
    } else if (unit.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" has no unit (use e.g. ", kExamples, ")"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" has unknown unit \"", unit, "\" (use ms, s, m, h, d or w)"));
    }
    if (n > 1e9) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is too long"));
    total += u * n;
  }
  return total;
}

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  constexpr absl::string_view kExamples = "512KiB, 1MiB, 10GB";
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  double n;
  if (!ConsumeNumber(rest, &n)) return NotA(text, "size", kExamples);
  rest = absl::StripLeadingAsciiWhitespace(rest);
  absl::string_view unit = ConsumeUnit(rest);
  if (!rest.empty()) return NotA(text, "size", kExamples);
  double mult;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KB" || unit == "kB") {
    mult = 1e3;
  } else if (unit == "MB") {
    mult = 1e6;
  } else if (unit == "GB") {
    mult = 1e9;
  } else if (unit == "TB") {
    mult = 1e12;
  } else if (unit == "KiB") {
    mult = 1024.0;
  } else if (unit == "MiB") {
    mult = 1024.0 * 1024;
  } else if (unit == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (unit == "TiB") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" has unknown unit \"", unit, "\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"));
  }
  double bytes = n * mult;
  if (bytes >= 1.8e19) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is too large"));
  return static_cast<uint64_t>(std::llround(bytes));
}

absl::StatusOr<uint64_t> ParseRate(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (t.size() < 2 || t.substr(t.size() - 2) != "/s") {
    return NotA(text, "rate", "200MB/s, 50MiB/s");
  }
  auto size = ParseSize(t.substr(0, t.size() - 2));
  if (!size.ok()) return NotA(text, "rate", "200MB/s, 50MiB/s");
  if (*size == 0) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" must be above zero"));
  return *size;
}

absl::StatusOr<double> ParsePercent(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  double n;
  if (t.empty() || t.back() != '%') return NotA(text, "percentage", "5%, 10%");
  t.remove_suffix(1);
  if (!ConsumeNumber(t, &n) || !t.empty()) return NotA(text, "percentage", "5%, 10%");
  if (n <= 0 || n > 100) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" must lie above 0% and at most 100%"));
  }
  return n / 100.0;
}

std::string HumanDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) return absl::StrCat("-", HumanDuration(-d));
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  if (d < absl::Minutes(1)) {
    double s = absl::ToDoubleSeconds(d);
    return s == std::floor(s) ? absl::StrCat(static_cast<int64_t>(s), "s") : absl::StrFormat("%.1fs", s);
  }
  int64_t secs = absl::ToInt64Seconds(d);
  struct Unit {
    int64_t seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int parts = 0;
  for (const Unit& u : kUnits) {
    if (secs >= u.seconds && parts < 2) {
      absl::StrAppend(&out, secs / u.seconds, u.name);
      secs %= u.seconds;
      ++parts;
    } else if (parts > 0) {
      ++parts;  // keep the two most significant adjacent units only
    }
  }
  return out;
}

std::string HumanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", v, kUnits[u]);
}

std::string CountOf(size_t n, absl::string_view noun) { return absl::StrCat(n, " ", noun, n == 1 ? "" : "s"); }

}  // namespace paraat
