#include "common/controls.h"

#include "absl/strings/ascii.h"

namespace paraat {

const std::vector<Control>& ControlCatalogue() {
  static const std::vector<Control>* catalogue = new std::vector<Control>{
      {"iso27001-2022:A.5.29",
       "Information security during disruption",
       "",
       "plans, exercises",
       "",
       {{"plan"}, {"exercise"}}},
      {"iso27001-2022:A.5.30",
       "ICT readiness for business continuity",
       "",
       "restore tests, failover, exercises",
       "",
       {{"restore"}, {"failover"}, {"exercise"}}},
      {"iso27001-2022:A.8.13",
       "Information backup",
       "",
       "backup freshness, integrity, restore tests",
       "",
       {{"backup"}, {"integrity"}, {"restore"}}},
      {"iso27001-2022:A.8.14",
       "Redundancy of information processing facilities",
       "",
       "replication, failover",
       "",
       {{"replication"}, {"failover"}}},
      {"iso27001-2022:A.8.16", "Monitoring activities", "", "continuous monitoring itself", "", {{"monitoring"}}},
      {"iso27002-2013:12.3.1",
       "Information backup",
       "",
       "backup freshness, integrity, restore tests",
       "",
       {{"backup"}, {"integrity"}, {"restore"}}},
      {"iso27002-2013:17.1.1", "Planning information security continuity", "", "plans", "", {{"plan"}}},
      {"iso27002-2013:17.1.2",
       "Implementing information security continuity",
       "",
       "plans, failover, replication",
       "",
       {{"plan"}, {"failover"}, {"replication"}}},
      {"iso27002-2013:17.1.3",
       "Verify, review and evaluate information security continuity",
       "",
       "restore tests, failover tests, exercises",
       "",
       {{"restore"}, {"failover"}, {"exercise"}}},
      {"iso27002-2013:17.2.1",
       "Availability of information processing facilities",
       "",
       "replication, failover",
       "",
       {{"replication"}, {"failover"}}},
      {"bio2:5.30.01",
       "Continuity plans are tested at least yearly",
       "",
       "exercises, failover tests",
       "",
       {{"exercise"}, {"failover"}}},
      {"bio2:8.13.01",
       "Backup policy, including integrity of backups",
       "",
       "integrity",
       "",
       {{"backup"}, {"integrity"}}},
      {"bio2:8.13.02", "RPO and RTO set by risk assessment", "", "plan objectives", "", {{"plan"}, {"backup"}}},
      {"bio2:8.13.03", "Backups kept at a separate location", "", "off-site backup source", "", {{"backup"}}},
      {"bio2:8.13.04", "Restore of backups tested at least yearly", "", "restore tests", "", {{"restore"}}},
      {"nis2:21.2.c",
       "Business continuity, backup management, disaster recovery and crisis management",
       "",
       "all",
       "",
       {{"plan"}, {"backup"}, {"integrity"}, {"restore"}, {"replication"}, {"failover"}, {"exercise"}}},
      {"nis2-ir-2024-2690:4.2.3", "Backup integrity checks", "", "integrity", "", {{"integrity"}}},
      {"nis2-ir-2024-2690:4.2.6",
       "Recovery tests with documented results",
       "",
       "restore tests",
       "",
       {{"restore"}, {"exercise"}}},
      {"nen7510-2024:A.5.29",
       "Information security during disruption",
       "",
       "plans, exercises",
       "",
       {{"plan"}, {"exercise"}}},
      {"nen7510-2024:A.5.30",
       "ICT readiness for business continuity",
       "",
       "restore tests, failover, exercises",
       "",
       {{"restore"}, {"failover"}, {"exercise"}}},
      {"nen7510-2024:A.8.13",
       "Information backup",
       "",
       "backup freshness, integrity, restore tests",
       "",
       {{"backup"}, {"integrity"}, {"restore"}}},
      {"nen7510-2024:A.8.14",
       "Redundancy of information processing facilities",
       "",
       "replication, failover",
       "",
       {{"replication"}, {"failover"}}},
      {"iso22301-2019:8.5",
       "Exercise programme",
       "",
       "exercises, restore and failover tests",
       "",
       {{"exercise"}, {"restore"}, {"failover"}}},
      {"iso27001-2022:A.6.3",
       "Information security awareness, education and training",
       "",
       "trainings",
       "",
       {{"training"}}},
      {"iso22301-2019:7.2", "Competence", "", "trainings", "", {{"training"}}},
      {"iso22301-2019:7.3", "Awareness", "", "trainings", "", {{"training"}}},
      {"nen7510-2024:A.6.3",
       "Information security awareness, education and training",
       "",
       "trainings",
       "",
       {{"training"}}},
      {"iso22301-2019:10.1",
       "Nonconformity and corrective action",
       "",
       "plan reviews after incidents",
       "",
       {{"review"}, {"incident"}}},
      {"nis2-ir-2024-2690:4.1.4",
       "Continuity plans reviewed at planned intervals and after incidents",
       "",
       "plan reviews",
       "",
       {{"review"}, {"incident"}}},
      {"nis2:23",
       "Reporting obligations for significant incidents",
       "",
       "incidents and their reports",
       "",
       {{"incident"}}},
      {"dora:11.6",
       "Yearly testing of ICT business continuity plans",
       "",
       "tests",
       "",
       {{"restore"}, {"failover"}, {"exercise"}}},
      {"dora:12.2",
       "Backup and restoration testing",
       "",
       "backup, restore tests",
       "",
       {{"backup"}, {"integrity"}, {"restore"}}},
      {"dora:12.6", "RTO and RPO per function", "", "plan objectives", "", {{"plan"}, {"backup"}, {"replication"}}},
  };
  return *catalogue;
}

const Control* FindControl(absl::string_view id) {
  for (const Control& c : ControlCatalogue()) {
    if (id == c.id) return &c;
  }
  return nullptr;
}

bool IsWellFormedControlId(absl::string_view id) {
  size_t colon = id.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 >= id.size() || id.size() > 128) return false;
  for (char c : id.substr(0, colon)) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) && !absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        c != '-') {
      return false;
    }
  }
  for (char c : id.substr(colon + 1)) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

std::string OscalControlToken(absl::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (c == ':') c = '_';
  }
  if (out.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(out[0]))) out.insert(0, "c_");
  return out;
}

}  // namespace paraat
