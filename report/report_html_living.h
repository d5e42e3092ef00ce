// The HTML report's living-plan sections: whom to call, the incident clock, and the reviews,
// incidents and NIS2 reports of the period on the plan's timeline. Pure; any thread.
#ifndef PARAAT_REPORT_REPORT_HTML_LIVING_H_
#define PARAAT_REPORT_REPORT_HTML_LIVING_H_

#include <string>

#include "absl/time/time.h"
#include "common/i18n.h"
#include "report/report_model.h"

namespace paraat {

// In `l`'s language and zone; record numbers link to their proofs in `m`'s appendix.
void RenderLivingPlan(const PlanReport& p, const ReportModel& m, absl::Time now, const Localizer& l, std::string& h);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_HTML_LIVING_H_
