#include "report/report_oscal_living.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "report/export_continuity.h"
#include "report/report_oscal.h"
#include "report/report_oscal_proofs.h"

namespace paraat {

using nlohmann::json;

void AddContactParties(const ReportModel& model, const std::string& base, json* metadata) {
  json parties = json::array();
  std::map<std::string, json> by_role;  // role id -> party uuids
  for (const PlanReport& p : model.plans()) {
    for (int i = 0; i < p.plan.contacts_size(); ++i) {
      const auto& c = p.plan.contacts(i);
      const std::string uuid = UuidV5(absl::StrCat(base, "|", p.plan.id(), "|contact|", i));
      json party = {{"uuid", uuid},
                    {"type", "person"},
                    {"name", c.name()},
                    {"remarks", absl::StrCat(c.role(), " of continuity plan ", p.plan.id())}};
      if (!c.email().empty()) party["email-addresses"] = {c.email()};
      if (!c.phone().empty()) party["telephone-numbers"] = {{{"number", c.phone()}}};
      parties.push_back(party);
      by_role[c.role()].push_back(uuid);
    }
  }
  if (parties.empty()) return;
  json roles = json::array(), responsible = json::array();
  for (const auto& [role, uuids] : by_role) {
    roles.push_back({{"id", role}, {"title", absl::StrCat("Continuity plan ", role)}});
    responsible.push_back({{"role-id", role}, {"party-uuids", uuids}});
  }
  (*metadata)["roles"] = roles;
  (*metadata)["parties"] = parties;
  (*metadata)["responsible-parties"] = responsible;
}

void AddContinuityObservations(const ReportModel& model, const std::string& base, const PlanReport& p,
                               const std::string& pbase, json* list,
                               std::vector<std::pair<std::string, std::string>>* refs) {
  for (const paraat::v1::EvidenceRecord& r : p.continuity) {
    const std::string uuid = UuidV5(absl::StrCat(pbase, "|continuity|", r.seq()));
    const bool review = r.has_review();
    const int64_t at = review                             ? r.review().reviewed_unix_ns()
                       : r.incident().event() == "closed" ? r.incident().recovered_unix_ns()
                       : r.incident().event() == "report" ? r.incident().reported_unix_ns()
                                                          : r.incident().started_unix_ns();
    const std::string by = review ? r.review().reviewed_by() : r.incident().recorded_by();
    std::string desc = ContinuitySummary(r) + ".";
    if (!by.empty()) absl::StrAppend(&desc, " Recorded by ", by, ".");
    const std::string& notes = review ? r.review().notes() : r.incident().notes();
    if (!notes.empty()) absl::StrAppend(&desc, " Notes: ", notes);
    list->push_back(
        {{"uuid", uuid},
         {"title", review ? "Plan review" : absl::StrCat("Incident: ", r.incident().event())},
         {"description", desc},
         {"methods", {"EXAMINE", "INTERVIEW"}},
         {"types", {"control-objective"}},
         {"collected", FormatUnixNs(at)},
         {"relevant-evidence",
          json::array({OscalRecordEvidence(model, base, r.seq(), absl::StrCat("Paraat evidence record ", r.seq()))})}});
    refs->push_back({uuid, review ? "review" : "incident"});
  }
}

}  // namespace paraat
