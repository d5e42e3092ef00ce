#include "common/controls.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace paraat {

namespace {

// A control whose requirements are the evidence kinds in `kinds` (space-separated), with no
// cadence or source yet.
Control C(const char* id, const char* title, const char* evidence, absl::string_view kinds) {
  Control c{id, title, "", evidence, "", {}};
  for (absl::string_view k : absl::StrSplit(kinds, ' ', absl::SkipEmpty())) {
    c.requirements.push_back({std::string(k), absl::InfiniteDuration(), ""});
  }
  return c;
}

}  // namespace

const std::vector<Control>& ControlCatalogue() {
  static const std::vector<Control>* catalogue = new std::vector<Control>{
      C("iso27001-2022:A.5.29", "Information security during disruption", "plans, exercises", "plan exercise"),
      C("iso27001-2022:A.5.30", "ICT readiness for business continuity", "restore tests, failover, exercises",
        "restore failover exercise"),
      C("iso27001-2022:A.8.13", "Information backup", "backup freshness, integrity, restore tests",
        "backup integrity restore"),
      C("iso27001-2022:A.8.14", "Redundancy of information processing facilities", "replication, failover",
        "replication failover"),
      C("iso27001-2022:A.8.16", "Monitoring activities", "continuous monitoring itself", "monitoring"),
      C("iso27002-2013:12.3.1", "Information backup", "backup freshness, integrity, restore tests",
        "backup integrity restore"),
      C("iso27002-2013:17.1.1", "Planning information security continuity", "plans", "plan"),
      C("iso27002-2013:17.1.2", "Implementing information security continuity", "plans, failover, replication",
        "plan failover replication"),
      C("iso27002-2013:17.1.3", "Verify, review and evaluate information security continuity",
        "restore tests, failover tests, exercises", "restore failover exercise"),
      C("iso27002-2013:17.2.1", "Availability of information processing facilities", "replication, failover",
        "replication failover"),
      C("bio2:5.30.01", "Continuity plans are tested at least yearly", "exercises, failover tests",
        "exercise failover"),
      C("bio2:8.13.01", "Backup policy, including integrity of backups", "integrity", "backup integrity"),
      C("bio2:8.13.02", "RPO and RTO set by risk assessment", "plan objectives", "plan backup"),
      C("bio2:8.13.03", "Backups kept at a separate location", "off-site backup source", "backup"),
      C("bio2:8.13.04", "Restore of backups tested at least yearly", "restore tests", "restore"),
      C("nis2:21.2.c", "Business continuity, backup management, disaster recovery and crisis management", "all",
        "plan backup integrity restore replication failover exercise"),
      C("nis2-ir-2024-2690:4.2.3", "Backup integrity checks", "integrity", "integrity"),
      C("nis2-ir-2024-2690:4.2.6", "Recovery tests with documented results", "restore tests", "restore exercise"),
      C("nen7510-2024:A.5.29", "Information security during disruption", "plans, exercises", "plan exercise"),
      C("nen7510-2024:A.5.30", "ICT readiness for business continuity", "restore tests, failover, exercises",
        "restore failover exercise"),
      C("nen7510-2024:A.8.13", "Information backup", "backup freshness, integrity, restore tests",
        "backup integrity restore"),
      C("nen7510-2024:A.8.14", "Redundancy of information processing facilities", "replication, failover",
        "replication failover"),
      C("iso22301-2019:8.5", "Exercise programme", "exercises, restore and failover tests",
        "exercise restore failover"),
      // Living plans: training and awareness, reviews, incidents (collector/evaluation/continuity.h).
      C("iso27001-2022:A.6.3", "Information security awareness, education and training", "trainings", "training"),
      C("iso22301-2019:7.2", "Competence", "trainings", "training"),
      C("iso22301-2019:7.3", "Awareness", "trainings", "training"),
      C("nen7510-2024:A.6.3", "Information security awareness, education and training", "trainings", "training"),
      C("iso22301-2019:10.1", "Nonconformity and corrective action", "plan reviews after incidents", "review incident"),
      C("nis2-ir-2024-2690:4.1.4", "Continuity plans reviewed at planned intervals and after incidents", "plan reviews",
        "review incident"),
      C("nis2:23", "Reporting obligations for significant incidents", "incidents and their reports", "incident"),
      C("dora:11.6", "Yearly testing of ICT business continuity plans", "tests", "restore failover exercise"),
      C("dora:12.2", "Backup and restoration testing", "backup, restore tests", "backup integrity restore"),
      C("dora:12.6", "RTO and RPO per function", "plan objectives", "plan backup replication"),
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
