#include "common/plan_format.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/detail.h"
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

namespace {

const Localizer& English() {
  static const Localizer* en = new Localizer(Lang::kEn);
  return *en;
}

}  // namespace

std::string ShortDuration(absl::Duration d, const Localizer& l) {
  return l.lang() == Lang::kEn ? HumanDuration(d) : l.CompactDuration(d);
}

std::string StateWord(paraat::v1::PlanState state, const Localizer& l) {
  return l.T(absl::StrCat("ctl.state.", StateName(state)));
}

std::string RpoCell(const paraat::v1::PlanStatus& s, const Localizer& l) {
  return l.F("cell.rpo", {{"achieved", s.has_achieved_rpo_ns() ? ShortDuration(FromNs(s.achieved_rpo_ns()), l)
                                                               : l.T("cell.unknown")},
                          {"target", ShortDuration(FromNs(s.rpo_ns()), l)}});
}

std::string RestoreCell(const paraat::v1::PlanStatus& s, absl::Time now, const Localizer& l) {
  const std::string rto = ShortDuration(FromNs(s.rto_ns()), l);
  if (!s.has_restore_test_unix_ns()) return l.F("cell.restore.none", {{"rto", rto}});
  const std::string ago = l.F("time.ago", {{"d", ShortDuration(now - FromUnixNs(s.restore_test_unix_ns()), l)}});
  if (s.has_restore_test_succeeded() && !s.restore_test_succeeded()) return l.F("cell.restore.failed", {{"ago", ago}});
  std::string took = s.has_restore_test_duration_seconds()
                         ? ShortDuration(absl::Seconds(s.restore_test_duration_seconds()), l)
                         : l.T("cell.unknown");
  return l.F("cell.restore.took", {{"took", took}, {"rto", rto}, {"ago", ago}});
}

std::string NextDueCell(const paraat::v1::PlanStatus& s, absl::Time now, const Localizer& l) {
  const paraat::v1::TestDue* first = nullptr;
  for (const auto& t : s.tests()) {
    if (first == nullptr || t.due_unix_ns() < first->due_unix_ns()) first = &t;
  }
  if (first == nullptr) return "-";
  const std::string* word = l.Find(absl::StrCat("ctl.test.", first->test()));
  const std::string test = word ? *word : first->test();
  if (first->last_unix_ns() == 0) return l.F("cell.due.never", {{"test", test}});
  absl::Time due = FromUnixNs(first->due_unix_ns());
  if (due < now) return l.F("cell.due.overdue", {{"test", test}, {"d", ShortDuration(now - due, l)}});
  return l.F("cell.due.in", {{"test", test}, {"d", ShortDuration(due - now, l)}});
}

std::string AcceptedNote(const paraat::v1::PlanStatus& s, const Localizer& l) {
  std::vector<std::string> parts;
  for (const auto& [objective, why] : s.accepted_unevidenced()) {
    std::string upper = objective;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    parts.push_back(l.F("accepted.item", {{"objective", upper}, {"why", why}}));
  }
  std::sort(parts.begin(), parts.end());
  if (parts.empty()) return "";
  return l.F("accepted.note", {{"list", absl::StrJoin(parts, "; ")}});
}

std::string AcceptedNote(const paraat::v1::PlanStatus& s) { return AcceptedNote(s, English()); }

const char* AssuranceLevelName(uint32_t level) {
  static constexpr const char* kNames[] = {"declared", "monitored", "verified", "restored", "exercised"};
  return level < 5 ? kNames[level] : "?";
}

std::string AssuranceWord(uint32_t level, const Localizer& l) {
  const std::string* word = l.Find(absl::StrCat("assurance.", AssuranceLevelName(level)));
  return word ? *word : AssuranceLevelName(level);
}

std::string AssuranceCell(const paraat::v1::PlanStatus& s, const Localizer& l) {
  return l.F("assurance.cell",
             {{"rpo", AssuranceWord(s.rpo_assurance(), l)}, {"rto", AssuranceWord(s.rto_assurance(), l)}});
}

std::string ReasonText(const paraat::v1::Reason& r, const Localizer& l) {
  if (l.lang() == Lang::kEn) return r.text();
  if (!r.detail().key().empty()) return RenderDetail(FromProto(r.detail()), l, DetailStyle::kTerminal);
  const std::string* words = l.Find(absl::StrCat("reason.", r.code()));
  if (words == nullptr) return r.text();
  if (r.source().empty()) return *words;
  return l.F("reason.with_source", {{"reason", *words}, {"source", r.source()}});
}

std::string ReasonPageText(const paraat::v1::Reason& r, const Localizer& l) {
  if (!r.detail().key().empty()) return RenderDetail(FromProto(r.detail()), l, DetailStyle::kPage);
  return ReasonText(r, l);
}

std::string MainReason(const paraat::v1::PlanStatus& s, const Localizer& l) {
  if (s.reasons_size() == 0) return AcceptedNote(s, l).empty() ? l.T("reasons.none") : AcceptedNote(s, l);
  if (s.reasons_size() == 1) return ReasonText(s.reasons(0), l);
  return l.F("reasons.more", {{"text", ReasonText(s.reasons(0), l)}, {"n", absl::StrCat(s.reasons_size() - 1)}});
}

std::string RpoCell(const paraat::v1::PlanStatus& s) { return RpoCell(s, English()); }
std::string RestoreCell(const paraat::v1::PlanStatus& s, absl::Time now) { return RestoreCell(s, now, English()); }
std::string NextDueCell(const paraat::v1::PlanStatus& s, absl::Time now) { return NextDueCell(s, now, English()); }
std::string MainReason(const paraat::v1::PlanStatus& s) { return MainReason(s, English()); }

}  // namespace paraat
