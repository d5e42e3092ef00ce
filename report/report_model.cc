#include "report/report_model.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/controls.h"
#include "common/plan_format.h"
#include "common/time_util.h"
#include "common/units.h"
#include "report/evidence_proof.h"

namespace paraat {

std::set<std::string> EvidenceKindsOfReason(const std::string& code) {
  if (absl::StartsWith(code, "rpo_") || absl::StartsWith(code, "recovery_point") || code == "no_recovery_point") {
    return {"backup", "replication"};
  }
  if (absl::StartsWith(code, "integrity_")) return {"integrity"};
  if (absl::StartsWith(code, "restore_test") || absl::StartsWith(code, "rto_")) return {"restore"};
  if (absl::StartsWith(code, "failover_")) return {"failover"};
  if (absl::StartsWith(code, "exercise_")) return {"exercise"};
  if (absl::StartsWith(code, "training_")) return {"training"};
  if (absl::StartsWith(code, "review_")) return {"review"};
  if (absl::StartsWith(code, "incident_") || absl::StartsWith(code, "nis2_")) return {"incident"};
  return {};
}

std::set<std::string> EvidenceKindsOfSource(const std::string& role, const std::string& check_kind) {
  const bool replication = absl::EndsWith(check_kind, "_replication");
  std::set<std::string> kinds = {"monitoring"};
  if (role == "recovery_point") kinds.insert(replication ? "replication" : "backup");
  if (role == "integrity") {
    kinds.insert("integrity");
    kinds.insert("backup");
  }
  if (role == "restore_test") kinds.insert("restore");
  if (role == "failover") {
    kinds.insert("failover");
    if (replication) kinds.insert("replication");
  }
  return kinds;
}

std::vector<SeriesPoint> Thin(const std::vector<SeriesPoint>& points, size_t max) {
  if (points.size() <= max || max < 4) return points;
  const size_t buckets = max / 2;
  std::vector<SeriesPoint> out;
  out.reserve(max);
  for (size_t b = 0; b < buckets; ++b) {
    size_t lo = points.size() * b / buckets, hi = points.size() * (b + 1) / buckets;
    if (lo >= hi) continue;
    auto [mn, mx] = std::minmax_element(points.begin() + lo, points.begin() + hi,
                                        [](const SeriesPoint& a, const SeriesPoint& c) { return a.value < c.value; });
    if (mn->t_ns <= mx->t_ns) {
      out.push_back(*mn);
      if (mx != mn) out.push_back(*mx);
    } else {
      out.push_back(*mx);
      out.push_back(*mn);
    }
  }
  return out;
}

namespace {
template <typename T>
void PushCapped(std::vector<T>& v, T item, size_t max) {
  v.push_back(std::move(item));
  if (v.size() > max + max / 4) v.erase(v.begin(), v.begin() + static_cast<long>(v.size() - max));
}
}  // namespace

PlanReport* ReportModel::Find(const std::string& plan_id) {
  auto it = index_.find(plan_id);
  return it == index_.end() ? nullptr : &plans_[it->second];
}

void ReportModel::Header(const paraat::v1::ExportHeader& header) {
  header_ = header;
  for (int i = 0; i < header.plans_size(); ++i) {
    PlanReport pr;
    pr.plan = header.plans(i);
    if (i < header.statuses_size()) pr.status = header.statuses(i);
    for (const auto& s : pr.plan.sources()) {
      SourceSummary& sum = pr.sources[s.source()];
      sum.key = s.source();
      sum.roles.insert(s.role());
    }
    index_[pr.plan.id()] = plans_.size();
    plans_.push_back(std::move(pr));
  }
}

void ReportModel::Record(const paraat::v1::ExportedRecord& er) {
  ++records_;
  const auto& r = er.record();
  std::vector<PlanReport*> targets;
  if (r.has_prune()) {
    for (auto& p : plans_) targets.push_back(&p);
  } else {
    for (const auto& id : er.plan_ids()) {
      if (PlanReport* p = Find(id)) targets.push_back(p);
    }
  }
  bool cited = false;
  for (PlanReport* p : targets) {
    ++p->records;
    if (p->first_seq == 0) p->first_seq = r.seq();
    p->last_seq = r.seq();
    cited |= Add(*p, r);
  }
  if (!cited || !er.has_proof()) return;
  proofs_[r.seq()] = ProofOf(er.proof());
  // Amortised: each pass keeps at most what the lists cite, and the next waits for twice that.
  if (proofs_.size() >= drop_proofs_at_) {
    DropUncitedProofs();
    drop_proofs_at_ = std::max(4 * kMaxList, 2 * proofs_.size());
  }
}

bool ReportModel::AddResult(PlanReport& p, const paraat::v1::EvidenceRecord& r) {
  const auto& res = r.result().result();
  const std::string key = absl::StrCat(r.result().agent_id(), "/", res.check_id());
  auto it = p.sources.find(key);
  if (it == p.sources.end()) return false;
  SourceSummary& s = it->second;
  const int64_t finished = res.started_unix_ns() + res.duration_ns();
  s.kind = res.kind();
  ++s.runs;
  switch (res.status()) {
    case paraat::v1::CHECK_STATUS_OK:
      ++s.ok;
      break;
    case paraat::v1::CHECK_STATUS_WARNING:
      ++s.warning;
      break;
    case paraat::v1::CHECK_STATUS_FAILED:
      ++s.failed;
      break;
    default:
      ++s.error;
  }
  if (res.facts().integrity() == paraat::v1::INTEGRITY_CORRUPT) ++s.corrupt;
  if (res.facts().integrity() == paraat::v1::INTEGRITY_VERIFIED) ++s.verified;
  s.verified_bytes += res.facts().verified_bytes();
  if (s.first_ns == 0) s.first_ns = res.started_unix_ns();
  s.last_ns = std::max(s.last_ns, res.started_unix_ns());
  if (s.first_seq == 0) s.first_seq = r.seq();
  s.last_seq = r.seq();
  s.last = res;
  if (s.roles.count("recovery_point") && res.facts().has_recovery_point_unix_ns() &&
      res.status() != paraat::v1::CHECK_STATUS_ERROR && res.facts().integrity() != paraat::v1::INTEGRITY_CORRUPT) {
    p.rpo.push_back({finished, std::max(0.0, (finished - res.facts().recovery_point_unix_ns()) / 1e9)});
    if (p.rpo.size() > 4 * kMaxSeries) p.rpo = Thin(p.rpo, 2 * kMaxSeries);
  }
  if (s.roles.count("restore_test") && res.status() != paraat::v1::CHECK_STATUS_ERROR) {
    const bool ok = (res.status() == paraat::v1::CHECK_STATUS_OK || res.status() == paraat::v1::CHECK_STATUS_WARNING) &&
                    (!res.facts().has_restore_succeeded() || res.facts().restore_succeeded());
    double d =
        res.facts().has_restore_duration_seconds() ? res.facts().restore_duration_seconds() : res.duration_ns() / 1e9;
    PushCapped(p.restore_tests, RestoreTestEntry{finished, d, ok, key, res.message(), r.seq()}, kMaxList);
  }
  return true;  // the source's latest result, for now
}

bool ReportModel::Add(PlanReport& p, const paraat::v1::EvidenceRecord& r) {
  if (r.has_result()) return AddResult(p, r);
  if (r.has_transition()) {
    TransitionEntry t{r.recorded_unix_ns(), r.transition().from(), r.transition().to(), {}, r.seq()};
    t.reasons.assign(r.transition().reasons().begin(), r.transition().reasons().end());
    PushCapped(p.transitions, std::move(t), kMaxList);
  } else if (r.has_exercise()) {
    PushCapped(p.exercises, r.exercise(), kMaxList);
    PushCapped(p.exercise_seqs, r.seq(), kMaxList);
    if (r.exercise().kind() == "restore") {
      PushCapped(p.restore_tests,
                 RestoreTestEntry{r.exercise().performed_unix_ns(),
                                  r.exercise().has_duration_seconds() ? r.exercise().duration_seconds() : -1,
                                  r.exercise().passed(), "exercise", r.exercise().notes(), r.seq()},
                 kMaxList);
    }
  } else if (r.has_plan_change()) {
    PushCapped(p.plan_changes, r.plan_change(), kMaxList);
    PushCapped(p.plan_change_ns, r.recorded_unix_ns(), kMaxList);
    PushCapped(p.plan_change_seqs, r.seq(), kMaxList);
  } else if (r.has_gap()) {
    PushCapped(p.gaps, r.gap(), kMaxList);
    PushCapped(p.gap_seqs, r.seq(), kMaxList);
  } else if (r.has_review() || r.has_incident()) {
    PushCapped(p.continuity, r, kMaxList);
    if (r.has_incident() && r.incident().event() == "closed") {  // a real recovery
      const auto& i = r.incident();
      PushCapped(p.restore_tests,
                 RestoreTestEntry{i.recovered_unix_ns(),
                                  absl::ToDoubleSeconds(absl::Nanoseconds(i.recovered_unix_ns() - i.started_unix_ns())),
                                  true, "incident", i.summary(), r.seq()},
                 kMaxList);
    }
  } else {
    return false;  // prunes and checkpoints: counted, not cited
  }
  return true;
}

std::set<uint64_t> CitedSeqs(const PlanReport& p) {
  std::set<uint64_t> seqs;
  for (const auto& [key, s] : p.sources) {
    if (s.runs) seqs.insert(s.last_seq);
  }
  for (const RestoreTestEntry& t : p.restore_tests) seqs.insert(t.seq);
  for (const TransitionEntry& t : p.transitions) seqs.insert(t.seq);
  for (const auto* list : {&p.exercise_seqs, &p.plan_change_seqs, &p.gap_seqs}) seqs.insert(list->begin(), list->end());
  for (const auto& r : p.continuity) seqs.insert(r.seq());
  return seqs;
}

void ReportModel::DropUncitedProofs() {
  std::set<uint64_t> cited;
  for (const PlanReport& p : plans_) cited.merge(CitedSeqs(p));
  for (auto it = proofs_.begin(); it != proofs_.end();) it = cited.count(it->first) ? std::next(it) : proofs_.erase(it);
}

void ReportModel::Finish(absl::Time since, absl::Time until) {
  since_ = since;
  until_ = until;
  DropUncitedProofs();
  for (PlanReport& p : plans_) {
    p.rpo = Thin(p.rpo, kMaxSeries);
    std::sort(p.restore_tests.begin(), p.restore_tests.end(),
              [](const RestoreTestEntry& a, const RestoreTestEntry& b) { return a.t_ns < b.t_ns; });

    // Which kinds of evidence this plan has, and which of them currently fail or are missing.
    std::set<std::string> available = {"plan"};
    std::map<std::string, std::set<std::string>> source_kinds;
    uint64_t runs = 0;
    for (const auto& [key, s] : p.sources) {
      for (const std::string& role : s.roles) {
        for (const std::string& k : EvidenceKindsOfSource(role, s.kind)) source_kinds[key].insert(k);
      }
      available.insert(source_kinds[key].begin(), source_kinds[key].end());
      runs += s.runs;
    }
    if (!p.exercises.empty() || p.plan.exercise_every_ns() || p.plan.failover_every_ns()) available.insert("exercise");
    if (!p.restore_tests.empty() || p.plan.restore_every_ns()) available.insert("restore");
    for (const auto& e : p.exercises) {
      if (e.kind() == "failover") available.insert("failover");
      if (e.kind() == "training") available.insert("training");
    }
    if (p.plan.training_every_ns()) available.insert("training");
    if (p.plan.review_every_ns() || p.status.has_review()) available.insert("review");
    if (p.status.has_incident()) available.insert("incident");
    for (const auto& r : p.continuity) available.insert(r.has_review() ? "review" : "incident");
    if (runs == 0) available.erase("monitoring");

    struct Problem {
      std::set<std::string> kinds;
      bool breach;
      const paraat::v1::Reason* reason;
    };
    std::vector<Problem> problems;
    for (const auto& r : p.status.reasons()) {
      if (r.implies() != paraat::v1::PLAN_STATE_NOT_READY && r.implies() != paraat::v1::PLAN_STATE_UNKNOWN) continue;
      std::set<std::string> kinds = EvidenceKindsOfReason(r.code());
      if (kinds.empty() && !r.source().empty()) kinds = source_kinds[r.source()];
      problems.push_back({kinds, r.implies() == paraat::v1::PLAN_STATE_NOT_READY, &r});
    }

    for (const std::string& id : p.plan.controls()) {
      ControlFinding f;
      f.id = id;
      const Control* c = FindControl(id);
      std::set<std::string> wanted;
      if (c != nullptr) {
        f.title = c->title;
        for (const ControlRequirement& r : c->requirements) wanted.insert(r.kind);
      } else {
        f.title = "(not in Paraat's catalogue)";
        wanted = available;
      }
      for (const auto& k : wanted) {
        if (available.count(k)) f.evidence_kinds.insert(k);
      }
      std::vector<std::string> failing;
      bool breach = false;
      for (const Problem& pr : problems) {
        bool relevant =
            std::any_of(pr.kinds.begin(), pr.kinds.end(), [&](const std::string& k) { return wanted.count(k); });
        if (relevant) {
          failing.push_back(pr.reason->text());
          f.failing.push_back(*pr.reason);
          breach |= pr.breach;
        }
      }
      if (f.evidence_kinds.empty()) {
        f.satisfied = false;
        f.reason = "other";
        f.needs = c ? c->evidence : std::string("evidence");
        f.description = absl::StrCat("No evidence source of this plan serves this control (it needs ",
                                     c ? c->evidence : std::string("evidence"), ").");
      } else if (!failing.empty()) {
        f.satisfied = false;
        f.reason = breach ? "fail" : "other";
        f.description = absl::StrCat(breach ? "Not satisfied: " : "Not demonstrated (evidence missing or stale): ",
                                     absl::StrJoin(failing, "; "), ".");
      } else {
        f.satisfied = true;
        f.reason = "pass";
        f.description =
            absl::StrCat("Satisfied by ", absl::StrJoin(f.evidence_kinds, ", "), " evidence; plan state ",
                         StateName(p.status.state()), " at ", FormatUnixNs(p.status.evaluated_unix_ns()), ".");
      }
      p.controls.push_back(std::move(f));
    }
  }
}

}  // namespace paraat
