// OSCAL 1.1.3 assessment-results from an evidence export: one result per plan, observations
// for its evidence sources, exercises and evaluation, and a finding per control
// (satisfied / not-satisfied). Control ids become OSCAL tokens (bio2:8.13.04 -> bio2_8.13.04).
// UUIDs are name-based (v5), so the same export yields the same document.
#ifndef PARAAT_REPORT_REPORT_OSCAL_H_
#define PARAAT_REPORT_REPORT_OSCAL_H_

#include <memory>
#include <ostream>
#include <string>

#include "nlohmann/json.hpp"
#include "report/export.h"
#include "report/report_model.h"

namespace paraat {

std::unique_ptr<ExportSink> MakeOscalSink(std::ostream& out);
// The assessment-results document for an aggregated export.
std::string RenderOscal(const ReportModel& model);
// RFC 4122 version 5 UUID of `name` in Paraat's namespace.
std::string UuidV5(const std::string& name);
// A prop in Paraat's namespace ("-" for an empty value, which OSCAL does not allow).
nlohmann::json OscalProp(const std::string& name, const std::string& value);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_OSCAL_H_
