#include "collector/store/evidence_chain.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace paraat {
namespace {
constexpr char kDomain[] = "paraat-evidence-v1";

void PutBE(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
}
}  // namespace

const char* RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kResult:
      return "result";
    case RecordType::kTransition:
      return "transition";
    case RecordType::kExercise:
      return "exercise";
    case RecordType::kPlanChange:
      return "plan_change";
    case RecordType::kGap:
      return "gap";
    case RecordType::kPrune:
      return "prune";
    case RecordType::kReview:
      return "review";
    case RecordType::kIncident:
      return "incident";
    case RecordType::kCheckpoint:
      return "checkpoint";
  }
  return "unknown";
}

RecordType RecordTypeOf(const paraat::v1::EvidenceRecord& r) {
  switch (r.body_case()) {
    case paraat::v1::EvidenceRecord::kTransition:
      return RecordType::kTransition;
    case paraat::v1::EvidenceRecord::kExercise:
      return RecordType::kExercise;
    case paraat::v1::EvidenceRecord::kPlanChange:
      return RecordType::kPlanChange;
    case paraat::v1::EvidenceRecord::kGap:
      return RecordType::kGap;
    case paraat::v1::EvidenceRecord::kPrune:
      return RecordType::kPrune;
    case paraat::v1::EvidenceRecord::kReview:
      return RecordType::kReview;
    case paraat::v1::EvidenceRecord::kIncident:
      return RecordType::kIncident;
    case paraat::v1::EvidenceRecord::kCheckpoint:
      return RecordType::kCheckpoint;
    default:
      return RecordType::kResult;
  }
}

const Digest& GenesisHash() {
  static const Digest genesis = Sha256Of("paraat evidence genesis");
  return genesis;
}

std::string CanonicalRecordBytes(uint64_t seq, int64_t recorded_ns, RecordType type, absl::string_view payload) {
  std::string out(sizeof(kDomain) - 1 + 17, '\0');
  uint8_t* h = reinterpret_cast<uint8_t*>(out.data());
  std::memcpy(h, kDomain, sizeof(kDomain) - 1);
  PutBE(h + sizeof(kDomain) - 1, seq);
  PutBE(h + sizeof(kDomain) - 1 + 8, static_cast<uint64_t>(recorded_ns));
  h[out.size() - 1] = static_cast<uint8_t>(type);
  out.append(payload.data(), payload.size());
  return out;
}

Digest ChainHasher::Next(const Digest& prev, uint64_t seq, int64_t recorded_ns, RecordType type,
                         absl::string_view payload) {
  uint8_t header[sizeof(kDomain) - 1 + 17];
  std::memcpy(header, kDomain, sizeof(kDomain) - 1);
  PutBE(header + sizeof(kDomain) - 1, seq);
  PutBE(header + sizeof(kDomain) - 1 + 8, static_cast<uint64_t>(recorded_ns));
  header[sizeof header - 1] = static_cast<uint8_t>(type);
  sha_.Update(prev.data(), prev.size());
  sha_.Update(header, sizeof header);
  sha_.Update(payload);
  return sha_.Finish();
}

ChainVerifier::ChainVerifier(uint64_t anchor_seq, const Digest& anchor_hash, int64_t anchor_recorded_ns)
    : prev_seq_(anchor_seq), prev_hash_(anchor_hash), prev_recorded_ns_(anchor_recorded_ns) {}

bool ChainVerifier::Fail(uint64_t seq, std::string problem) {
  first_bad_seq_ = seq;
  problem_ = std::move(problem);
  return false;
}

bool ChainVerifier::Feed(uint64_t seq, int64_t recorded_ns, int type, absl::string_view payload,
                         absl::string_view stored_hash) {
  if (first_bad_seq_ != 0) return false;
  if (seq != prev_seq_ + 1) {
    return Fail(seq, seq > prev_seq_ + 1 ? absl::StrCat("records ", prev_seq_ + 1, " to ", seq - 1, " are missing")
                                         : absl::StrCat("record ", seq, " is out of order after record ", prev_seq_));
  }
  if (recorded_ns < prev_recorded_ns_) {
    return Fail(seq, absl::StrCat("record ", seq, " is dated before the record preceding it"));
  }
  Digest h = hasher_.Next(prev_hash_, seq, recorded_ns, static_cast<RecordType>(type), payload);
  if (stored_hash.size() != h.size() || std::memcmp(stored_hash.data(), h.data(), h.size()) != 0) {
    return Fail(seq,
                absl::StrCat("record ", seq,
                             " does not match its hash: it or an earlier record was changed after it was written"));
  }
  if (checked_ == 0) first_seq_ = seq;
  prev_seq_ = seq;
  prev_hash_ = h;
  prev_recorded_ns_ = recorded_ns;
  ++checked_;
  return true;
}

bool ChainVerifier::ExpectHead(uint64_t seq, absl::string_view hash) {
  if (first_bad_seq_ != 0) return false;
  if (prev_seq_ < seq) {
    return Fail(prev_seq_ + 1, absl::StrCat("the chain ends at record ", prev_seq_, " but record ", seq,
                                            " was written: records at the end were deleted"));
  }
  if (prev_seq_ == seq && DigestBytes(prev_hash_) != hash) {
    return Fail(seq, absl::StrCat("record ", seq, " does not match the recorded chain head"));
  }
  return true;
}

void ChainVerifier::Report(paraat::v1::ChainVerification* out) const {
  out->set_ok(first_bad_seq_ == 0);
  out->set_records_checked(checked_);
  out->set_first_seq(first_seq_);
  out->set_last_seq(prev_seq_);
  out->set_first_bad_seq(first_bad_seq_);
  out->set_problem(problem_);
  out->set_head_hash(std::string(DigestBytes(prev_hash_)));
}

}  // namespace paraat
