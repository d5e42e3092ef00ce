#include "report/export_continuity.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/incident_format.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::string ContinuitySummary(const paraat::v1::EvidenceRecord& r) {
  if (r.has_review()) {
    const auto& v = r.review();
    return absl::StrCat("plan reviewed by ", v.reviewed_by(), v.trigger() == "incident" ? " after an incident" : "",
                        " (plan file sha256 ", v.plan_sha256().substr(0, 12), ")");
  }
  if (!r.has_incident()) return "";
  const auto& i = r.incident();
  if (i.event() == "opened") {
    return absl::StrCat(i.significant() ? "significant " : "", "incident opened: ", i.summary());
  }
  if (i.event() == "closed") {
    const absl::Duration took = FromUnixNs(i.recovered_unix_ns()) - FromUnixNs(i.started_unix_ns());
    return absl::StrCat("incident closed: recovered in ", HumanDuration(took), " (", i.summary(), ")");
  }
  return absl::StrCat(ReportTitle(i.report_kind()), " made (incident: ", i.summary(), ")");
}

void ContinuityCsvFields(const paraat::v1::EvidenceRecord& r, std::vector<std::string>* f) {
  std::vector<std::string> details;
  if (r.has_review()) {
    const auto& v = r.review();
    (*f)[6] = "review";
    (*f)[8] = FormatUnixNs(v.reviewed_unix_ns());
    (*f)[26] = v.notes();
    details.push_back("reviewed_by=" + v.reviewed_by());
    details.push_back(absl::StrCat("plan_file=", v.plan_file(), "; plan_sha256=", v.plan_sha256()));
    if (!v.trigger().empty()) details.push_back("trigger=" + v.trigger());
    if (!v.attachment_sha256().empty()) {
      details.push_back(absl::StrCat("attachment=", v.attachment_name(), " sha256=", v.attachment_sha256()));
    }
  } else if (r.has_incident()) {
    const auto& i = r.incident();
    (*f)[6] = i.event() == "report" ? absl::StrCat("report ", i.report_kind()) : absl::StrCat("incident ", i.event());
    (*f)[8] = FormatUnixNs(i.started_unix_ns());
    (*f)[26] = i.notes();
    if (!i.recorded_by().empty()) details.push_back("recorded_by=" + i.recorded_by());
    details.push_back(absl::StrCat("significant=", i.significant() ? "true" : "false"));
    if (i.opened_seq()) details.push_back(absl::StrCat("opened_seq=", i.opened_seq()));
    if (i.recovered_unix_ns()) {
      details.push_back("recovered_at=" + FormatUnixNs(i.recovered_unix_ns()));
      (*f)[16] =
          absl::StrCat(absl::ToDoubleSeconds(FromUnixNs(i.recovered_unix_ns()) - FromUnixNs(i.started_unix_ns())));
    }
    if (i.reported_unix_ns()) details.push_back("reported_at=" + FormatUnixNs(i.reported_unix_ns()));
  }
  (*f)[10] = ContinuitySummary(r);
  (*f)[27] = absl::StrJoin(details, "; ");
}

void ContinuityJson(const paraat::v1::EvidenceRecord& r, nlohmann::json* j) {
  if (r.has_review()) {
    const auto& v = r.review();
    (*j)["plan"] = v.plan_id();
    (*j)["review"] = {{"reviewed_at", FormatUnixNs(v.reviewed_unix_ns())},
                      {"reviewed_by", v.reviewed_by()},
                      {"plan_file", v.plan_file()},
                      {"plan_sha256", v.plan_sha256()},
                      {"notes", v.notes()},
                      {"trigger", v.trigger()}};
    if (!v.attachment_sha256().empty()) {
      (*j)["review"]["attachment"] = {
          {"name", v.attachment_name()}, {"sha256", v.attachment_sha256()}, {"size", v.attachment_size()}};
    }
    return;
  }
  if (!r.has_incident()) return;
  const auto& i = r.incident();
  (*j)["plan"] = i.plan_id();
  nlohmann::json ji = {{"event", i.event()},     {"started_at", FormatUnixNs(i.started_unix_ns())},
                       {"summary", i.summary()}, {"significant", i.significant()},
                       {"notes", i.notes()},     {"recorded_by", i.recorded_by()}};
  if (i.opened_seq()) ji["opened_seq"] = i.opened_seq();
  if (i.recovered_unix_ns()) {
    ji["recovered_at"] = FormatUnixNs(i.recovered_unix_ns());
    ji["recovery_seconds"] = absl::ToDoubleSeconds(FromUnixNs(i.recovered_unix_ns()) - FromUnixNs(i.started_unix_ns()));
  }
  if (!i.report_kind().empty()) ji["report"] = i.report_kind();
  if (i.reported_unix_ns()) ji["reported_at"] = FormatUnixNs(i.reported_unix_ns());
  (*j)["incident"] = ji;
}

std::string TrainingDetails(const paraat::v1::ExerciseRecord& e) {
  if (e.kind() != "training") return "";
  return absl::StrCat("participants=", e.participants(), "; topic=", e.topic());
}

}  // namespace paraat
