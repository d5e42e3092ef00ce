#include "report/export.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/plan_format.h"
#include "common/sha256.h"
#include "common/time_util.h"
#include "nlohmann/json.hpp"
#include "report/evidence_proof.h"
#include "report/export_continuity.h"
#include "report/report_html.h"
#include "report/report_oscal.h"

namespace paraat {

using nlohmann::json;
using paraat::v1::EvidenceRecord;

std::string StatusWord(paraat::v1::CheckStatus status) {
  switch (status) {
    case paraat::v1::CHECK_STATUS_OK:
      return "ok";
    case paraat::v1::CHECK_STATUS_WARNING:
      return "warning";
    case paraat::v1::CHECK_STATUS_FAILED:
      return "failed";
    case paraat::v1::CHECK_STATUS_ERROR:
      return "error";
    default:
      return "";
  }
}

std::string IntegrityWord(paraat::v1::Integrity integrity) {
  switch (integrity) {
    case paraat::v1::INTEGRITY_VERIFIED:
      return "verified";
    case paraat::v1::INTEGRITY_UNVERIFIED:
      return "unverified";
    case paraat::v1::INTEGRITY_CORRUPT:
      return "corrupt";
    default:
      return "";
  }
}

void AppendCsvField(std::string* out, absl::string_view value) {
  bool quote = false;
  for (char c : value) quote |= c == ',' || c == '"' || c == '\n' || c == '\r';
  // Guard spreadsheet formula injection (OWASP "CSV injection"): a cell starting with =, +, -,
  // @, TAB or CR is shown as text, with a leading apostrophe, whatever follows ("-1+1+cmd|..."
  // is a formula too). Numbers of ours that could be negative are rare; they read as text then.
  const bool formula = !value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                                          value[0] == '\t' || value[0] == '\r');
  if (!quote && !formula) {
    out->append(value.data(), value.size());
    return;
  }
  out->push_back('"');
  if (formula) out->push_back('\'');
  for (char c : value) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

namespace {

std::string Hex(const std::string& bytes) {
  return ToHex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}
std::string Num(double v) { return absl::StrFormat("%.6g", v); }
const char* TypeOf(const EvidenceRecord& r) {
  switch (r.body_case()) {
    case EvidenceRecord::kResult:
      return "result";
    case EvidenceRecord::kTransition:
      return "transition";
    case EvidenceRecord::kExercise:
      return "exercise";
    case EvidenceRecord::kPlanChange:
      return "plan_change";
    case EvidenceRecord::kGap:
      return "gap";
    case EvidenceRecord::kPrune:
      return "prune";
    case EvidenceRecord::kCheckpoint:
      return "checkpoint";
    case EvidenceRecord::kReview:
      return "review";
    case EvidenceRecord::kIncident:
      return "incident";
    default:
      return "unknown";
  }
}

class CsvSink : public ExportSink {
 public:
  CsvSink(std::ostream& out, std::ostream* proof_out) : out_(out), proof_out_(proof_out) {}
  void Header(const paraat::v1::ExportHeader& h) override {
    if (proof_out_ != nullptr && h.has_checkpoint()) {
      sidecar_.emplace(*proof_out_, EvidenceOf(h.checkpoint()), ConsistencyOf(h.checkpoint()));
    }
    out_ << "seq,recorded_at,type,plans,agent,check,kind,status,started_at,duration_seconds,message,"
            "recovery_point,integrity,verified_bytes,verified_objects,coverage,restore_duration_seconds,"
            "restore_succeeded,replication_lag_seconds,ready,free_bytes,state_from,state_to,reasons,"
            "exercise_kind,exercise_passed,exercise_notes,details,hash\n";
  }
  void Record(const paraat::v1::ExportedRecord& er) override {
    const EvidenceRecord& r = er.record();
    // Fields and line are reused from record to record: a million-record export allocates
    // next to nothing.
    std::vector<std::string>& f = fields_;
    for (std::string& s : f) s.clear();
    if (sidecar_ && er.has_proof()) sidecar_->Add(r.seq(), ProofOf(er.proof()));
    f[0] = absl::StrCat(r.seq());
    f[1] = FormatUnixNs(r.recorded_unix_ns());
    f[2] = TypeOf(r);
    f[3] = absl::StrJoin(er.plan_ids(), " ");
    if (r.has_result()) {
      const auto& res = r.result().result();
      const auto& fa = res.facts();
      f[4] = r.result().agent_id();
      f[5] = res.check_id();
      f[6] = res.kind();
      f[7] = StatusWord(res.status());
      f[8] = FormatUnixNs(res.started_unix_ns());
      f[9] = Num(absl::ToDoubleSeconds(FromNs(res.duration_ns())));
      f[10] = res.message();
      if (fa.has_recovery_point_unix_ns()) f[11] = FormatUnixNs(fa.recovery_point_unix_ns());
      f[12] = IntegrityWord(fa.integrity());
      if (fa.has_verified_bytes()) f[13] = absl::StrCat(fa.verified_bytes());
      if (fa.has_verified_objects()) f[14] = absl::StrCat(fa.verified_objects());
      if (fa.has_coverage()) f[15] = Num(fa.coverage());
      if (fa.has_restore_duration_seconds()) f[16] = Num(fa.restore_duration_seconds());
      if (fa.has_restore_succeeded()) f[17] = fa.restore_succeeded() ? "true" : "false";
      if (fa.has_replication_lag_seconds()) f[18] = Num(fa.replication_lag_seconds());
      if (fa.has_ready()) f[19] = fa.ready() ? "true" : "false";
      if (fa.has_free_bytes()) f[20] = absl::StrCat(fa.free_bytes());
      std::vector<std::string> details;
      for (const auto& d : res.details()) {
        details.push_back(absl::StrCat(d.key(), "=", d.value()));
        if (!d.raw_value().empty()) details.push_back(absl::StrCat(d.key(), ".raw_hex=", Hex(d.raw_value())));
      }
      f[27] = absl::StrJoin(details, "; ");
    } else if (r.has_transition()) {
      f[21] = StateName(r.transition().from());
      f[22] = StateName(r.transition().to());
      std::vector<std::string> reasons;
      for (const auto& x : r.transition().reasons()) reasons.push_back(absl::StrCat(x.code(), ": ", x.text()));
      f[23] = absl::StrJoin(reasons, "; ");
    } else if (r.has_exercise()) {
      const auto& e = r.exercise();
      f[8] = FormatUnixNs(e.performed_unix_ns());
      if (e.has_duration_seconds()) f[16] = Num(e.duration_seconds());
      f[24] = e.kind();
      f[25] = e.passed() ? "true" : "false";
      f[26] = e.notes();
      std::vector<std::string> details;
      if (!e.recorded_by().empty()) details.push_back("recorded_by=" + e.recorded_by());
      if (!e.attachment_sha256().empty()) {
        details.push_back(absl::StrCat("attachment=", e.attachment_name(), " sha256=", e.attachment_sha256()));
      }
      if (e.kind() == "training") details.push_back(TrainingDetails(e));
      f[27] = absl::StrJoin(details, "; ");
    } else if (r.has_review() || r.has_incident()) {
      ContinuityCsvFields(r, &f);
    } else if (r.has_plan_change()) {
      f[10] = absl::StrCat("plan ", r.plan_change().plan_id(), " ", r.plan_change().change());
      f[27] = absl::StrCat("file=", r.plan_change().file(), "; sha256=", r.plan_change().sha256());
    } else if (r.has_gap()) {
      const auto& g = r.gap().gap();
      f[4] = r.gap().agent_id();
      f[10] = absl::StrCat(g.dropped_results(), " results dropped by the agent: ", g.reason());
      f[27] = absl::StrCat("batches=", g.first_sequence(), "-", g.last_sequence(),
                           "; from=", FormatUnixNs(g.oldest_unix_ns()), "; to=", FormatUnixNs(g.newest_unix_ns()));
    } else if (r.has_prune()) {
      f[10] = absl::StrCat(r.prune().pruned_records(), " records older than ",
                           FormatUnixNs(r.prune().older_than_unix_ns()), " pruned (retention)");
      f[27] =
          absl::StrCat("through_seq=", r.prune().pruned_through_seq(), "; anchor=", Hex(r.prune().hash_at_pruned()));
    }
    f[28] = Hex(er.hash());
    line_.clear();
    for (size_t i = 0; i < f.size(); ++i) {
      if (i) line_.push_back(',');
      AppendCsvField(&line_, f[i]);
    }
    line_.push_back('\n');
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  }
  void Finish(absl::Time, absl::Time) override { out_.flush(); }

 private:
  std::ostream& out_;
  std::ostream* const proof_out_;
  std::optional<SidecarWriter> sidecar_;
  std::vector<std::string> fields_ = std::vector<std::string>(29);
  std::string line_;
};

json FactsJson(const paraat::v1::Facts& fa) {
  json j = json::object();
  if (fa.has_recovery_point_unix_ns()) j["recovery_point_time"] = FormatUnixNs(fa.recovery_point_unix_ns());
  if (fa.integrity() != paraat::v1::INTEGRITY_UNSPECIFIED) j["integrity"] = IntegrityWord(fa.integrity());
  if (fa.has_verified_bytes()) j["verified_bytes"] = fa.verified_bytes();
  if (fa.has_verified_objects()) j["verified_objects"] = fa.verified_objects();
  if (fa.has_coverage()) j["coverage"] = fa.coverage();
  if (fa.has_restore_duration_seconds()) j["restore_duration_seconds"] = fa.restore_duration_seconds();
  if (fa.has_restore_succeeded()) j["restore_succeeded"] = fa.restore_succeeded();
  if (fa.has_replication_lag_seconds()) j["replication_lag_seconds"] = fa.replication_lag_seconds();
  if (fa.has_replication_lag_bytes()) j["replication_lag_bytes"] = fa.replication_lag_bytes();
  if (fa.has_ready()) j["ready"] = fa.ready();
  if (fa.has_free_bytes()) j["free_bytes"] = fa.free_bytes();
  if (fa.has_free_ratio()) j["free_ratio"] = fa.free_ratio();
  if (fa.has_total_bytes()) j["total_bytes"] = fa.total_bytes();
  if (fa.has_backup_bytes()) j["backup_bytes"] = fa.backup_bytes();
  if (fa.has_backup_files()) j["backup_files"] = fa.backup_files();
  return j;
}

}  // namespace

json RecordJson(const paraat::v1::ExportedRecord& er) {
  const EvidenceRecord& r = er.record();
  json j = {{"seq", r.seq()},
            {"recorded_at", FormatUnixNs(r.recorded_unix_ns())},
            {"type", TypeOf(r)},
            {"plans", std::vector<std::string>(er.plan_ids().begin(), er.plan_ids().end())},
            {"hash", Hex(er.hash())}};
  if (r.has_result()) {
    const auto& res = r.result().result();
    j["agent"] = r.result().agent_id();
    j["check"] = res.check_id();
    j["kind"] = res.kind();
    j["status"] = StatusWord(res.status());
    j["started_at"] = FormatUnixNs(res.started_unix_ns());
    j["duration_seconds"] = absl::ToDoubleSeconds(FromNs(res.duration_ns()));
    j["interval_seconds"] = absl::ToDoubleSeconds(FromNs(res.interval_ns()));
    j["message"] = res.message();
    j["facts"] = FactsJson(res.facts());
    json details = json::object(), raw = json::object();
    for (const auto& d : res.details()) {
      details[d.key()] = d.value();
      if (!d.raw_value().empty()) raw[d.key()] = Hex(d.raw_value());
    }
    j["details"] = details;
    // The exact bytes where a value's escaped form (docs/text.md) was too long to keep whole.
    if (!raw.empty()) j["details_raw_hex"] = raw;
    if (res.values_size()) {
      json values = json::array();
      for (const auto& v : res.values())
        values.push_back({{"name", v.name()}, {"value", v.value()}, {"unit", v.unit()}});
      j["values"] = values;
    }
    if (!res.output_tail().empty()) j["output_tail"] = res.output_tail();
  } else if (r.has_transition()) {
    const auto& t = r.transition();
    j["plan"] = t.plan_id();
    j["from"] = StateName(t.from());
    j["to"] = StateName(t.to());
    json reasons = json::array();
    for (const auto& x : t.reasons()) {
      reasons.push_back({{"code", x.code()}, {"implies", StateName(x.implies())}, {"text", x.text()}});
    }
    j["reasons"] = reasons;
  } else if (r.has_exercise()) {
    const auto& e = r.exercise();
    j["plan"] = e.plan_id();
    j["exercise"] = {{"kind", e.kind()},
                     {"performed_at", FormatUnixNs(e.performed_unix_ns())},
                     {"passed", e.passed()},
                     {"notes", e.notes()},
                     {"recorded_by", e.recorded_by()}};
    if (e.has_duration_seconds()) j["exercise"]["duration_seconds"] = e.duration_seconds();
    if (!e.attachment_sha256().empty()) {
      j["exercise"]["attachment"] = {
          {"name", e.attachment_name()}, {"sha256", e.attachment_sha256()}, {"size", e.attachment_size()}};
    }
    if (e.kind() == "training") {
      j["exercise"]["participants"] = e.participants();
      j["exercise"]["topic"] = e.topic();
    }
  } else if (r.has_review() || r.has_incident()) {
    ContinuityJson(r, &j);
  } else if (r.has_plan_change()) {
    j["plan"] = r.plan_change().plan_id();
    j["change"] = r.plan_change().change();
    j["file"] = r.plan_change().file();
    j["sha256"] = r.plan_change().sha256();
  } else if (r.has_gap()) {
    const auto& g = r.gap().gap();
    j["agent"] = r.gap().agent_id();
    j["gap"] = {{"dropped_results", g.dropped_results()},
                {"dropped_batches", g.dropped_batches()},
                {"from", FormatUnixNs(g.oldest_unix_ns())},
                {"to", FormatUnixNs(g.newest_unix_ns())},
                {"reason", g.reason()}};
  } else if (r.has_prune()) {
    j["prune"] = {{"pruned_records", r.prune().pruned_records()},
                  {"pruned_through_seq", r.prune().pruned_through_seq()},
                  {"older_than", FormatUnixNs(r.prune().older_than_unix_ns())},
                  {"anchor_hash", Hex(r.prune().hash_at_pruned())}};
  } else if (r.has_checkpoint()) {
    j["checkpoint"] = {{"tree_size", r.checkpoint().tree_size()},
                       {"key_id", r.checkpoint().key_id()},
                       {"note", r.checkpoint().note()}};
  }
  return j;
}

namespace {

class JsonSink : public ExportSink {
 public:
  explicit JsonSink(std::ostream& out) : out_(out) {}
  void Header(const paraat::v1::ExportHeader& h) override {
    json j;
    j["generated"] = FormatUnixNs(h.generated_unix_ns());
    j["collector_version"] = h.collector_version();
    const auto& v = h.verification();
    j["chain_verification"] = {{"ok", v.ok()},
                               {"records_checked", v.records_checked()},
                               {"first_seq", v.first_seq()},
                               {"last_seq", v.last_seq()},
                               {"head_hash", Hex(v.head_hash())},
                               {"verified_at", FormatUnixNs(v.verified_unix_ns())}};
    if (!v.ok()) {
      j["chain_verification"]["first_bad_seq"] = v.first_bad_seq();
      j["chain_verification"]["problem"] = v.problem();
    }
    json plans = json::array();
    for (int i = 0; i < h.plans_size(); ++i) {
      const auto& p = h.plans(i);
      json jp = {{"id", p.id()},
                 {"name", p.name()},
                 {"owner", p.owner()},
                 {"tier", p.tier()},
                 {"rpo_seconds", absl::ToDoubleSeconds(FromNs(p.rpo_ns()))},
                 {"rto_seconds", absl::ToDoubleSeconds(FromNs(p.rto_ns()))},
                 {"controls", std::vector<std::string>(p.controls().begin(), p.controls().end())}};
      if (p.mtpd_ns()) jp["mtpd_seconds"] = absl::ToDoubleSeconds(FromNs(p.mtpd_ns()));
      json sources = json::array();
      for (const auto& s : p.sources()) sources.push_back({{"role", s.role()}, {"source", s.source()}});
      jp["sources"] = sources;
      if (i < h.statuses_size()) {
        jp["state"] = StateName(h.statuses(i).state());
        json reasons = json::array();
        for (const auto& r : h.statuses(i).reasons()) reasons.push_back({{"code", r.code()}, {"text", r.text()}});
        jp["reasons"] = reasons;
      }
      plans.push_back(jp);
    }
    j["plans"] = plans;
    if (h.has_checkpoint()) {
      j["evidence"] = EvidenceToJson(EvidenceOf(h.checkpoint()));
      json consistency = json::array();
      for (const ConsistencyEntry& c : ConsistencyOf(h.checkpoint())) consistency.push_back(ConsistencyToJson(c));
      j["consistency"] = consistency;
    }
    // Stream the records array after the header fields.
    std::string head = j.dump(2);
    head.erase(head.find_last_of('}'));
    while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
    out_ << head << ",\n  \"records\": [";
  }
  void Record(const paraat::v1::ExportedRecord& er) override {
    json j = RecordJson(er);
    if (er.has_proof()) j["proof"] = ProofToJson(ProofOf(er.proof()));
    out_ << (first_ ? "\n    " : ",\n    ") << j.dump();
    first_ = false;
  }
  void Finish(absl::Time since, absl::Time until) override {
    out_ << (first_ ? "]" : "\n  ]") << ",\n  \"range\": {\"since\": \"" << FormatTimeUtc(since) << "\", \"until\": \""
         << FormatTimeUtc(until) << "\"}\n}\n";
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

const char* ExportFormats() { return "csv|json|oscal|html"; }

std::unique_ptr<ExportSink> MakeExportSink(const std::string& format, std::ostream& out, std::ostream* proof_out,
                                           Lang lang, absl::TimeZone zone) {
  if (format == "csv") return std::make_unique<CsvSink>(out, proof_out);
  if (format == "json") return std::make_unique<JsonSink>(out);
  if (format == "oscal") return MakeOscalSink(out);
  if (format == "html") return MakeHtmlSink(out, lang, zone);
  return nullptr;
}

}  // namespace paraat
