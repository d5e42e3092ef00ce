// The auditor's and board's report: one self-contained HTML file (inline CSS and SVG, no
// scripts, no network resources). Per plan: objectives, controls with their findings, the
// readiness timeline, achieved RPO over time against the target, restore test durations
// against the RTO, tests and exercises with dates, sources, and the chain verification.
#ifndef PARAAT_REPORT_REPORT_HTML_H_
#define PARAAT_REPORT_REPORT_HTML_H_

#include <memory>
#include <ostream>
#include <string>

#include "common/i18n.h"
#include "report/export.h"
#include "report/report_model.h"

namespace paraat {

// The report in `lang` and `zone` (the words from common/i18n; the status words in its classes
// and the evidence itself as recorded).
std::unique_ptr<ExportSink> MakeHtmlSink(std::ostream& out, Lang lang = Lang::kEn,
                                         absl::TimeZone zone = absl::UTCTimeZone());
std::string RenderHtml(const ReportModel& model, const Localizer& l);
// In English.
std::string RenderHtml(const ReportModel& model);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_HTML_H_
