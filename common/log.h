// A small leveled logger writing one line per event to stderr:
//   2026-11-29T11:51:11.123Z INFO  collector listening on 127.0.0.1:7443
// Each message is one line whatever it holds: newlines are shown as ⏎ and control characters
// (escape sequences from agents or tools) visibly, as common/text.h's OneLine does.
// Thread-safe. Secrets must never be passed to it.
#ifndef PARAAT_COMMON_LOG_H_
#define PARAAT_COMMON_LOG_H_

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace paraat {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);
void LogLine(LogLevel level, absl::string_view message);

template <typename... Args>
void LogDebug(const Args&... args) {
  if (GetLogLevel() <= LogLevel::kDebug) LogLine(LogLevel::kDebug, absl::StrCat(args...));
}
template <typename... Args>
void LogInfo(const Args&... args) {
  if (GetLogLevel() <= LogLevel::kInfo) LogLine(LogLevel::kInfo, absl::StrCat(args...));
}
template <typename... Args>
void LogWarning(const Args&... args) {
  LogLine(LogLevel::kWarning, absl::StrCat(args...));
}
template <typename... Args>
void LogError(const Args&... args) {
  LogLine(LogLevel::kError, absl::StrCat(args...));
}

}  // namespace paraat

#endif  // PARAAT_COMMON_LOG_H_
