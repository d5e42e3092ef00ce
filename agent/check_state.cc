#include "agent/check_state.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace paraat {

nlohmann::json LoadCheckState(const std::string& state_dir, const std::string& name) {
  if (state_dir.empty()) return nlohmann::json::object();
  auto text = ReadFile(absl::StrCat(state_dir, "/", name));
  if (!text.ok()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

absl::Status SaveCheckState(const std::string& state_dir, const nlohmann::json& state, const std::string& name) {
  if (state_dir.empty()) return absl::FailedPreconditionError("no state directory");
  if (absl::Status st = MakeDirs(state_dir, 0700); !st.ok()) return st;
  return WriteFileAtomic(absl::StrCat(state_dir, "/", name), state.dump());
}

}  // namespace paraat
