#include "collector/evaluation/assurance.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/plan_format.h"

namespace paraat {

const char* AssuranceName(Assurance level) { return AssuranceLevelName(static_cast<uint32_t>(level)); }

std::optional<Assurance> AssuranceFromName(const std::string& name) {
  for (uint32_t i = 0; i < 5; ++i) {
    if (name == AssuranceLevelName(i)) return static_cast<Assurance>(i);
  }
  return std::nullopt;
}

std::string AssuranceNames() {
  return absl::StrCat(AssuranceLevelName(0), ", ", AssuranceLevelName(1), ", ", AssuranceLevelName(2), ", ",
                      AssuranceLevelName(3), " or ", AssuranceLevelName(4));
}

AssuranceLevels AssessAssurance(const AssuranceFacts& f) {
  auto strongest = [](std::initializer_list<std::pair<bool, Assurance>> found) {
    Assurance out = Assurance::kDeclared;
    for (const auto& [present, level] : found) {
      if (present) out = std::max(out, level);
    }
    return out;
  };
  AssuranceLevels out;
  out.rpo = strongest({{f.recovery_point, Assurance::kMonitored},
                       {f.integrity_verified || f.restore_unvalidated, Assurance::kVerified},
                       {f.restore_validated, Assurance::kRestored},
                       {f.restore_exercised, Assurance::kExercised}});
  out.rto = strongest({{f.failover_ready, Assurance::kMonitored},
                       {f.restore_unvalidated, Assurance::kVerified},
                       {f.restore_validated, Assurance::kRestored},
                       {f.restore_exercised || f.failover_exercised, Assurance::kExercised}});
  return out;
}

}  // namespace paraat
