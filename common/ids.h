// Identifiers users write: agent ids, check ids, plan ids, and "agent/check" source keys.
// Pure functions; callers turn a false into their own error (config, plan or wire).
#ifndef PARAAT_COMMON_IDS_H_
#define PARAAT_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace paraat {

// 1 to 128 characters of [A-Za-z0-9._-], starting with a letter or digit.
bool IsValidId(absl::string_view id);
// "agent/check" with two valid ids.
bool IsValidSourceKey(absl::string_view key);
inline std::string SourceKey(absl::string_view agent, absl::string_view check) {
  std::string key(agent);
  key += '/';
  key.append(check.data(), check.size());
  return key;
}
// Why `id` is not valid, for error messages.
std::string IdRule();

}  // namespace paraat

#endif  // PARAAT_COMMON_IDS_H_
