// What an auditor's report needs, aggregated per plan from an evidence export as it streams
// by: source summaries, achieved RPO over time, restore tests, transitions, exercises, plan
// changes, agent gaps, and a finding per control. Memory is bounded: series are thinned and
// lists capped, whatever the number of records; of the records' inclusion proofs only those of
// the records the report cites are kept (CitedSeqs). Records for plans the header did not name are
// ignored; nothing here fails. Not thread-safe: one export, one thread.
#ifndef PARAAT_REPORT_REPORT_MODEL_H_
#define PARAAT_REPORT_REPORT_MODEL_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/evidence_format.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

struct SourceSummary {
  std::string key;  // agent/check
  std::set<std::string> roles;
  std::string kind;
  uint64_t runs = 0;
  uint64_t ok = 0, warning = 0, failed = 0, error = 0;
  uint64_t corrupt = 0, verified = 0;
  uint64_t verified_bytes = 0;
  int64_t first_ns = 0, last_ns = 0;
  uint64_t first_seq = 0, last_seq = 0;
  paraat::v1::Result last;  // the latest result in the range
};

struct SeriesPoint {
  int64_t t_ns;
  double value;
};

struct RestoreTestEntry {
  int64_t t_ns;
  double duration_seconds;
  bool succeeded;
  std::string source;  // agent/check, "exercise", or "incident" (a real recovery)
  std::string message;
  uint64_t seq;
};

struct TransitionEntry {
  int64_t t_ns;
  paraat::v1::PlanState from, to;
  std::vector<paraat::v1::Reason> reasons;  // rendered in the report's language (ReasonPageText)
  uint64_t seq;
};

struct ControlFinding {
  std::string id;  // bio2:8.13.04
  std::string title;
  bool satisfied = false;
  std::string reason;                       // pass | fail | other
  std::string description;                  // in English (OSCAL); the HTML report words it from the fields
  std::set<std::string> evidence_kinds;     // what serves it: backup, integrity, restore, ...
  std::string needs;                        // "other" without evidence_kinds: the control's evidence, as catalogued
  std::vector<paraat::v1::Reason> failing;  // "fail" / "other" with evidence: the reasons that concern it
};

struct PlanReport {
  paraat::v1::PlanDefinition plan;
  paraat::v1::PlanStatus status;
  std::map<std::string, SourceSummary> sources;
  std::vector<SeriesPoint> rpo;  // achieved RPO (seconds) at each recovery point result
  std::vector<RestoreTestEntry> restore_tests;
  std::vector<TransitionEntry> transitions;
  std::vector<paraat::v1::ExerciseRecord> exercises;
  std::vector<uint64_t> exercise_seqs;
  std::vector<paraat::v1::PlanChangeRecord> plan_changes;
  std::vector<int64_t> plan_change_ns;
  std::vector<paraat::v1::GapRecord> gaps;
  std::vector<uint64_t> gap_seqs, plan_change_seqs;
  std::vector<paraat::v1::EvidenceRecord> continuity;  // reviews, incidents, NIS2 reports
  std::vector<ControlFinding> controls;
  uint64_t records = 0;
  uint64_t first_seq = 0, last_seq = 0;
};

class ReportModel {
 public:
  static constexpr size_t kMaxSeries = 2000;
  static constexpr size_t kMaxList = 500;

  void Header(const paraat::v1::ExportHeader& header);
  void Record(const paraat::v1::ExportedRecord& record);
  // Thins series, computes control findings.
  void Finish(absl::Time since, absl::Time until);

  const paraat::v1::ExportHeader& header() const { return header_; }
  const std::vector<PlanReport>& plans() const { return plans_; }
  absl::Time since() const { return since_; }
  absl::Time until() const { return until_; }
  uint64_t records() const { return records_; }
  // The inclusion proofs of the records the report cites, by seq: empty when the export carries
  // no proofs (a collector without a signing_key).
  const std::map<uint64_t, RecordProof>& proofs() const { return proofs_; }

 private:
  PlanReport* Find(const std::string& plan_id);
  // Adds a record to one plan's summary; true when the plan's report now cites it.
  bool Add(PlanReport& p, const paraat::v1::EvidenceRecord& r);
  bool AddResult(PlanReport& p, const paraat::v1::EvidenceRecord& r);
  // Forgets the proofs of records the capped lists have dropped since.
  void DropUncitedProofs();
  paraat::v1::ExportHeader header_;
  std::vector<PlanReport> plans_;
  std::map<std::string, size_t> index_;
  absl::Time since_, until_;
  uint64_t records_ = 0;
  std::map<uint64_t, RecordProof> proofs_;
  size_t drop_proofs_at_ = 4 * kMaxList;
};

// The records a plan's report cites: each source's latest result and every entry of its lists
// (restore tests, transitions, exercises, plan changes, gaps, reviews and incidents).
std::set<uint64_t> CitedSeqs(const PlanReport& p);

// The kinds of evidence a reason code concerns ("rpo_breached" -> backup, replication).
std::set<std::string> EvidenceKindsOfReason(const std::string& code);
// The kinds of evidence a source in a role, of a check kind, provides.
std::set<std::string> EvidenceKindsOfSource(const std::string& role, const std::string& check_kind);
// Every point, if there are at most `max`; otherwise the minimum and maximum of each of max/2
// buckets, so peaks survive thinning.
std::vector<SeriesPoint> Thin(const std::vector<SeriesPoint>& points, size_t max);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_MODEL_H_
