#include "common/plan_format.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::string StateName(paraat::v1::PlanState state) {
  switch (state) {
    case paraat::v1::PLAN_STATE_READY:
      return "ready";
    case paraat::v1::PLAN_STATE_AT_RISK:
      return "at_risk";
    case paraat::v1::PLAN_STATE_UNKNOWN:
      return "unknown";
    case paraat::v1::PLAN_STATE_NOT_READY:
      return "not_ready";
    default:
      return "unspecified";
  }
}

std::string RpoCell(const paraat::v1::PlanStatus& s) {
  std::string achieved = s.has_achieved_rpo_ns() ? HumanDuration(FromNs(s.achieved_rpo_ns())) : "?";
  return absl::StrCat(achieved, " / ", HumanDuration(FromNs(s.rpo_ns())));
}

std::string RestoreCell(const paraat::v1::PlanStatus& s, absl::Time now) {
  const std::string rto = HumanDuration(FromNs(s.rto_ns()));
  if (!s.has_restore_test_unix_ns()) return absl::StrCat("none / ", rto);
  std::string ago = absl::StrCat(HumanDuration(now - FromUnixNs(s.restore_test_unix_ns())), " ago");
  if (s.has_restore_test_succeeded() && !s.restore_test_succeeded()) return absl::StrCat("failed ", ago);
  std::string took = s.has_restore_test_duration_seconds()
                         ? HumanDuration(absl::Seconds(s.restore_test_duration_seconds()))
                         : std::string("?");
  return absl::StrCat(took, " / ", rto, ", ", ago);
}

std::string NextDueCell(const paraat::v1::PlanStatus& s, absl::Time now) {
  const paraat::v1::TestDue* first = nullptr;
  for (const auto& t : s.tests()) {
    if (first == nullptr || t.due_unix_ns() < first->due_unix_ns()) first = &t;
  }
  if (first == nullptr) return "-";
  if (first->last_unix_ns() == 0) return absl::StrCat(first->test(), " never done");
  absl::Time due = FromUnixNs(first->due_unix_ns());
  if (due < now) return absl::StrCat(first->test(), " overdue ", HumanDuration(now - due));
  return absl::StrCat(first->test(), " in ", HumanDuration(due - now));
}

std::string AcceptedNote(const paraat::v1::PlanStatus& s) {
  std::vector<std::string> parts;
  for (const auto& [objective, why] : s.accepted_unevidenced()) {
    std::string upper = objective;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    parts.push_back(absl::StrCat(upper, " accepted without evidence: ", why));
  }
  std::sort(parts.begin(), parts.end());
  if (parts.empty()) return "";
  return absl::StrCat("met on the evidence, except: ", absl::StrJoin(parts, "; "));
}

std::string MainReason(const paraat::v1::PlanStatus& s) {
  if (s.reasons_size() == 0) return AcceptedNote(s).empty() ? "all objectives met" : AcceptedNote(s);
  if (s.reasons_size() == 1) return s.reasons(0).text();
  return absl::StrCat(s.reasons(0).text(), " (+", s.reasons_size() - 1, " more)");
}

}  // namespace paraat
