// How reviews, incidents and trainings read in the CSV and JSON exports (report/export.cc): who
// did what, when, against which version of the plan. Pure; any thread.
#ifndef PARAAT_REPORT_EXPORT_CONTINUITY_H_
#define PARAAT_REPORT_EXPORT_CONTINUITY_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

// Fills the CSV columns of a review or incident record (`f` as CsvSink lays them out: 6 kind,
// 8 started_at, 10 message, 26 notes, 27 details).
void ContinuityCsvFields(const paraat::v1::EvidenceRecord& r, std::vector<std::string>* f);
// Adds a review or incident record's fields to its JSON object.
void ContinuityJson(const paraat::v1::EvidenceRecord& r, nlohmann::json* j);
// A training's participants and topic, for the exercise's CSV details ("" when none).
std::string TrainingDetails(const paraat::v1::ExerciseRecord& e);
// One line for people: "reviewed by Anne (plan file sha256 ab12…)", "incident opened: ...".
std::string ContinuitySummary(const paraat::v1::EvidenceRecord& r);

}  // namespace paraat

#endif  // PARAAT_REPORT_EXPORT_CONTINUITY_H_
