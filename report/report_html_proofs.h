// The HTML report's proof appendix (docs/evidence-format.md §9): per record the report cites, its
// seq, leaf index, leaf hash and inclusion path, and all of them as a proof file (the JSON Lines
// of a CSV export's sidecar) that `paraatctl evidence verify` checks offline. Pure; any thread.
#ifndef PARAAT_REPORT_REPORT_HTML_PROOFS_H_
#define PARAAT_REPORT_REPORT_HTML_PROOFS_H_

#include <cstdint>
#include <string>

#include "common/i18n.h"
#include "report/report_model.h"

namespace paraat {

// Nothing when the export carries no checkpoint.
void RenderProofAppendix(const ReportModel& m, const Localizer& l, std::string& h);
// "12", linked to its row of the appendix when the report carries its proof.
std::string RecordLink(const ReportModel& m, uint64_t seq);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_HTML_PROOFS_H_
