#include "collector/serving/exercise_recorder.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/ingest/validation.h"
#include "common/fs.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sha256.h"

namespace paraat {

absl::StatusOr<uint64_t> ExerciseRecorder::Record(paraat::v1::ExerciseRecord exercise, const std::string& attachment) {
  if (loop_->snapshot()->Find(exercise.plan_id()) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no plan with id \"", exercise.plan_id(), "\""));
  }
  if (absl::Status st = ValidateExercise(exercise, clock_->Now()); !st.ok()) return st;
  if (attachment.size() > kMaxAttachmentBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("the attachment is larger than ", LimitText(kMaxAttachmentBytes)));
  }
  if (!attachment.empty()) {
    exercise.set_attachment_sha256(ToHex(Sha256Of(attachment)));
    exercise.set_attachment_size(attachment.size());
    if (absl::Status st = store_->PutAttachment(exercise.attachment_sha256(), attachment); !st.ok()) return st;
  }
  paraat::v1::EvidenceRecord rec;
  *rec.mutable_exercise() = exercise;
  PendingRecord pr;
  pr.type = RecordType::kExercise;
  pr.plan_id = exercise.plan_id();
  rec.SerializeToString(&pr.payload);
  std::vector<PendingRecord> records;
  records.push_back(std::move(pr));
  // The ingest writer commits the record and folds the exercise into the state.
  auto seq = ingest_->AppendAndWait(std::move(records));
  if (!seq.ok()) return seq.status();
  loop_->EvaluateNow();
  LogInfo("exercise recorded for plan ", exercise.plan_id(), ": ", exercise.kind(), " ",
          exercise.passed() ? "passed" : "failed", " (evidence record ", *seq, ")");
  return *seq;
}

}  // namespace paraat
