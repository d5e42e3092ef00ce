// Small JSON documents a check keeps across runs in its own state directory (rotating
// verification cursors, per-file results, restic subset positions).
#ifndef PARAAT_AGENT_CHECK_STATE_H_
#define PARAAT_AGENT_CHECK_STATE_H_

#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace paraat {

// The saved state, or an empty object when there is none (or it is unreadable: a check then
// starts its rotation again, which is safe).
nlohmann::json LoadCheckState(const std::string& state_dir, const std::string& name = "state.json");
[[nodiscard]] absl::Status SaveCheckState(const std::string& state_dir, const nlohmann::json& state,
                                          const std::string& name = "state.json");

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECK_STATE_H_
