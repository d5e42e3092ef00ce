#include "collector/serving/continuity_recorder.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/continuity.h"
#include "common/fs.h"
#include "common/i18n.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/time_util.h"

namespace paraat {

absl::StatusOr<uint64_t> ContinuityRecorder::Append(RecordType type, const std::string& plan_id,
                                                    paraat::v1::EvidenceRecord rec) {
  PendingRecord pr;
  pr.type = type;
  pr.plan_id = plan_id;
  rec.SerializeToString(&pr.payload);
  std::vector<PendingRecord> records;
  records.push_back(std::move(pr));
  // The ingest writer commits the record and folds it into the state before this returns.
  auto seq = ingest_->AppendAndWait(std::move(records));
  if (!seq.ok()) return seq.status();
  loop_->EvaluateNow();
  return *seq;
}

absl::StatusOr<uint64_t> ContinuityRecorder::RecordReview(paraat::v1::ReviewRecord review,
                                                          const std::string& attachment) {
  auto snap = loop_->snapshot();
  const PlanView* view = snap->Find(review.plan_id());
  if (view == nullptr) return absl::NotFoundError(absl::StrCat("no plan with id \"", review.plan_id(), "\""));
  const absl::Time now = clock_->Now();
  if (review.reviewed_by().empty()) return absl::InvalidArgumentError("a review needs the reviewer's name (--by)");
  if (review.reviewed_by().size() > 256) return absl::InvalidArgumentError("the reviewer's name is over 256 bytes");
  if (review.notes().size() > 16384) return absl::InvalidArgumentError("the notes are longer than 16384 bytes");
  if (review.reviewed_unix_ns() == 0) review.set_reviewed_unix_ns(ToUnixNs(now));
  if (FromUnixNs(review.reviewed_unix_ns()) > now + absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the review time ", FormatUnixNs(review.reviewed_unix_ns()), " is in the future"));
  }
  if (attachment.size() > kMaxAttachmentBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("the attachment is larger than ", LimitText(kMaxAttachmentBytes)));
  }
  // The plan as the collector evaluates it now: the version the reviewer saw in `plan show`.
  review.set_plan_sha256(view->plan->sha256);
  review.set_plan_file(view->plan->file);
  std::lock_guard<std::mutex> lock(mu_);
  {
    EvidenceState::ReadLock read(*state_);
    const PlanExercises* ex = state_->Exercises(review.plan_id());
    const PlanContinuity* c = ex ? &ex->continuity : nullptr;
    if (c && c->last_closed && c->last_closed->recovered &&
        (!c->last_review || c->last_review->reviewed < *c->last_closed->recovered)) {
      review.set_trigger("incident");
    }
  }
  if (!attachment.empty()) {
    review.set_attachment_sha256(ToHex(Sha256Of(attachment)));
    review.set_attachment_size(attachment.size());
    if (absl::Status st = store_->PutAttachment(review.attachment_sha256(), attachment); !st.ok()) return st;
  }
  paraat::v1::EvidenceRecord rec;
  *rec.mutable_review() = review;
  auto seq = Append(RecordType::kReview, review.plan_id(), std::move(rec));
  if (seq.ok())
    LogInfo("plan ", review.plan_id(), " reviewed by ", review.reviewed_by(), " (evidence record ", *seq, ")");
  return seq;
}

absl::StatusOr<uint64_t> ContinuityRecorder::RecordIncident(paraat::v1::IncidentRecord incident,
                                                            std::optional<IncidentProblem>* problem) {
  if (loop_->snapshot()->Find(incident.plan_id()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no plan with id \"", incident.plan_id(), "\""));
  }
  if (incident.recorded_by().size() > 256) return absl::InvalidArgumentError("the name is over 256 bytes");
  std::lock_guard<std::mutex> lock(mu_);
  {
    EvidenceState::ReadLock read(*state_);
    const PlanExercises* ex = state_->Exercises(incident.plan_id());
    std::optional<IncidentProblem> p = IncidentEventProblem(ex ? &ex->continuity : nullptr, clock_->Now(), &incident);
    if (p) {
      absl::Status st = absl::InvalidArgumentError(Localizer(Lang::kEn).F(p->key, p->args));
      if (problem != nullptr) *problem = std::move(p);
      return st;
    }
  }
  paraat::v1::EvidenceRecord rec;
  *rec.mutable_incident() = incident;
  auto seq = Append(RecordType::kIncident, incident.plan_id(), std::move(rec));
  if (seq.ok()) {
    LogInfo("incident on plan ", incident.plan_id(), ": ", incident.event(), " ", incident.report_kind(),
            " (evidence record ", *seq, ")");
  }
  return seq;
}

}  // namespace paraat
