// Short human renderings of a plan's status, shared by `paraatctl status`, the collector's
// status page and the reports, so every view says the same thing the same way. Pure functions
// (the caller passes `now`); safe from any thread. Each comes in the language of a Localizer (the
// words from common/i18n); without one, in English.
#ifndef PARAAT_COMMON_PLAN_FORMAT_H_
#define PARAAT_COMMON_PLAN_FORMAT_H_

#include <string>

#include "absl/time/time.h"
#include "common/i18n.h"
#include "paraat/v1/plan.pb.h"

namespace paraat {

// "ready", "at_risk", "unknown", "not_ready".
std::string StateName(paraat::v1::PlanState state);
// "achieved / target": "12m / 15m", "? / 15m" when unknown.
std::string RpoCell(const paraat::v1::PlanStatus& s);
// Last restore test against the RTO: "1h2m / 4h, 3d ago", "failed 2d ago", "none / 4h".
std::string RestoreCell(const paraat::v1::PlanStatus& s, absl::Time now);
// The test falling due first: "restore in 20d", "exercise overdue 3d", "-" when no cadence is set.
std::string NextDueCell(const paraat::v1::PlanStatus& s, absl::Time now);
// Objectives accepted without evidence (`accept_unevidenced`), as a recorded exception, never as
// met: "met on the evidence, except: RTO accepted without evidence: why"; "" when there are none.
std::string AcceptedNote(const paraat::v1::PlanStatus& s);
std::string AcceptedNote(const paraat::v1::PlanStatus& s, const Localizer& l);
// Assurance levels (collector/evaluation/assurance.h): "declared", "monitored", "verified",
// "restored", "exercised" for 0-4, "?" for any other number; in `l`'s language (assurance.NAME);
// and both of a plan's: "RPO verified, RTO restored".
const char* AssuranceLevelName(uint32_t level);
std::string AssuranceWord(uint32_t level, const Localizer& l);
std::string AssuranceCell(const paraat::v1::PlanStatus& s, const Localizer& l);
// The first reason's text, or "all objectives met" (with AcceptedNote when there are exceptions).
std::string MainReason(const paraat::v1::PlanStatus& s);

// The same in `l`'s language. A state word for people ("not_ready" / "niet gereed"); durations
// compact ("4h30m" / "4u30m"). A reason in English is the evaluator's text; in another language
// its detail (common/detail.h) in `l`'s zone, or for a record from before details the
// catalogue's words for its code, with its source.
std::string StateWord(paraat::v1::PlanState state, const Localizer& l);
std::string RpoCell(const paraat::v1::PlanStatus& s, const Localizer& l);
std::string RestoreCell(const paraat::v1::PlanStatus& s, absl::Time now, const Localizer& l);
std::string NextDueCell(const paraat::v1::PlanStatus& s, absl::Time now, const Localizer& l);
std::string MainReason(const paraat::v1::PlanStatus& s, const Localizer& l);
std::string ReasonText(const paraat::v1::Reason& r, const Localizer& l);
// A reason for a page (the console, the HTML report): its detail in `l`'s language and zone,
// durations spelled out ("4 h 30 min"), in English too; ReasonText when it has no detail.
std::string ReasonPageText(const paraat::v1::Reason& r, const Localizer& l);
// A duration for a terminal: HumanDuration in English, Localizer::CompactDuration otherwise.
std::string ShortDuration(absl::Duration d, const Localizer& l);

}  // namespace paraat

#endif  // PARAAT_COMMON_PLAN_FORMAT_H_
