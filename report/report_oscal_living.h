// The OSCAL assessment results' living-plan parts: each plan's contacts as parties with their
// responsible roles (metadata), and its reviews, incidents and NIS2 reports as observations.
// Pure; any thread.
#ifndef PARAAT_REPORT_REPORT_OSCAL_LIVING_H_
#define PARAAT_REPORT_REPORT_OSCAL_LIVING_H_

#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "report/report_model.h"

namespace paraat {

// Adds roles, parties and responsible-parties for every plan's contacts to `metadata`.
void AddContactParties(const ReportModel& model, const std::string& base, nlohmann::json* metadata);
// One observation per review, incident event or report of the plan; `kinds` gets the evidence
// kinds they serve ("review", "incident"); each links to its record's proof (`base`: what the
// document's UUIDs derive from).
void AddContinuityObservations(const ReportModel& model, const std::string& base, const PlanReport& p,
                               const std::string& pbase, nlohmann::json* list,
                               std::vector<std::pair<std::string, std::string>>* refs);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_OSCAL_LIVING_H_
