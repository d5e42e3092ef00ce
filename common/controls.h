// The catalogue of controls Paraat's evidence serves (docs/design.md, "Controls catalogue"): per
// control, every kind of evidence it requires, how fresh each must be, and where that
// requirement comes from (the standard's clause). Constant data (common/controls.cc): safe from any
// thread. The requirement lists are still the old catalogue's "serves" lists, without cadences or
// sources; findings still treat them as "any of" (report/report_model.cc).
#ifndef PARAAT_COMMON_CONTROLS_H_
#define PARAAT_COMMON_CONTROLS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/i18n.h"

namespace paraat {

// The evidence kinds: "backup", "integrity", "restore", "replication", "failover", "exercise",
// "plan", "monitoring", "training", "review", "incident".
struct ControlRequirement {
  std::string kind;
  // Evidence of this kind must be at most this old at every moment of a period (a restore test
  // within a year: 365 days); InfiniteDuration() when the control sets no cadence.
  absl::Duration within = absl::InfiniteDuration();
  std::string source;  // where the requirement comes from: "ISO/IEC 27002:2022 8.13 (g)"
};

struct Control {
  std::string id;                                // "bio2:8.13.04"
  std::string title;                             // English, short
  std::string title_nl;                          // Dutch
  std::string evidence;                          // which evidence serves it, in words (English)
  std::string source;                            // the clause the control itself is: "BIO2 8.13.04"
  std::vector<ControlRequirement> requirements;  // every one must hold for the control to be satisfied
  // The title in `lang`.
  const std::string& Title(Lang lang) const { return lang == Lang::kNl && !title_nl.empty() ? title_nl : title; }
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
