// The catalogue of controls Paraat's evidence serves (docs/design.md, "Controls catalogue").
// Constant data and pure functions: no errors, safe from any thread.
#ifndef PARAAT_COMMON_CONTROLS_H_
#define PARAAT_COMMON_CONTROLS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace paraat {

struct Control {
  const char* id;        // "bio2:8.13.04"
  const char* title;     // short
  const char* evidence;  // which evidence serves it
  // Which kinds of evidence count for it: any of "backup", "integrity", "restore",
  // "replication", "failover", "exercise", "plan", "monitoring", "training", "review", "incident".
  const char* serves;
};

const std::vector<Control>& ControlCatalogue();
// nullptr when the id is not in the catalogue.
const Control* FindControl(absl::string_view id);
// "framework:control" with a framework of [a-z0-9-] and a control of [A-Za-z0-9.]. Plans may
// name controls outside the catalogue (an organisation's own framework); they must be well-formed.
bool IsWellFormedControlId(absl::string_view id);
// An OSCAL token (starts with a letter, no ':'): "bio2:8.13.04" -> "bio2_8.13.04".
std::string OscalControlToken(absl::string_view id);

}  // namespace paraat

#endif  // PARAAT_COMMON_CONTROLS_H_
