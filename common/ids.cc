#include "common/ids.h"

#include "absl/strings/ascii.h"

namespace paraat {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidSourceKey(absl::string_view key) {
  size_t slash = key.find('/');
  if (slash == absl::string_view::npos) return false;
  return IsValidId(key.substr(0, slash)) && IsValidId(key.substr(slash + 1));
}

std::string IdRule() { return "use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"; }

}  // namespace paraat
