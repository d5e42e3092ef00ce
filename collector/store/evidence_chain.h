// The tamper-evident evidence chain.
//
// Every record n has canonical bytes
//     "paraat-evidence-v1" || u64be(seq) || i64be(recorded_unix_ns) || u8(type) || payload
// and a hash
//     hash[n] = SHA-256(hash[n-1] || canonical[n]),   hash[before the first] = SHA-256("paraat evidence genesis")
// where payload is the serialized paraat.v1.EvidenceRecord body as stored. Editing any column
// of a record, deleting one, or reordering two changes a hash that later records depend on.
// After pruning, the chain continues from an anchor: the last pruned record's (seq, hash).
#ifndef PARAAT_COLLECTOR_STORE_EVIDENCE_CHAIN_H_
#define PARAAT_COLLECTOR_STORE_EVIDENCE_CHAIN_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/sha256.h"
#include "paraat/v1/evidence.pb.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

enum class RecordType : int {
  kResult = 1,
  kTransition = 2,
  kExercise = 3,
  kPlanChange = 4,
  kGap = 5,
  kPrune = 6,
  // What people record about a plan beyond exercises (collector/evaluation/continuity.h).
  kReview = 160,
  kIncident = 161,
  kCheckpoint = 7,  // a signed checkpoint of the Merkle tree (collector/store/sql_tree.h)
};
inline bool IsContinuityRecord(RecordType t) { return t == RecordType::kReview || t == RecordType::kIncident; }
const char* RecordTypeName(RecordType type);  // "result", "transition", ...
RecordType RecordTypeOf(const paraat::v1::EvidenceRecord& record);

const Digest& GenesisHash();

// A record's canonical bytes (above): what the chain hashes after the previous hash, and the
// record's leaf data in the Merkle tree (docs/evidence-format.md §1).
std::string CanonicalRecordBytes(uint64_t seq, int64_t recorded_ns, RecordType type, absl::string_view payload);

// Computes chain hashes. Reuse one hasher for many records (it keeps an OpenSSL context).
class ChainHasher {
 public:
  Digest Next(const Digest& prev, uint64_t seq, int64_t recorded_ns, RecordType type, absl::string_view payload);

 private:
  Sha256 sha_;
};

// Checks records fed in seq order against their stored hashes.
class ChainVerifier {
 public:
  // Start after the anchor (seq 0 and GenesisHash() for an unpruned chain).
  ChainVerifier(uint64_t anchor_seq, const Digest& anchor_hash, int64_t anchor_recorded_ns = 0);

  // False at the first broken record; problem() then says what is wrong.
  bool Feed(uint64_t seq, int64_t recorded_ns, int type, absl::string_view payload, absl::string_view stored_hash);

  uint64_t checked() const { return checked_; }
  uint64_t last_seq() const { return prev_seq_; }
  const Digest& head() const { return prev_hash_; }
  uint64_t first_bad_seq() const { return first_bad_seq_; }
  const std::string& problem() const { return problem_; }
  // Fills `out` (ok, counts, head, first bad record).
  void Report(paraat::v1::ChainVerification* out) const;
  // Fails unless the chain ends at (seq, hash), the head the store recorded. Detects truncation.
  bool ExpectHead(uint64_t seq, absl::string_view hash);

 private:
  bool Fail(uint64_t seq, std::string problem);

  ChainHasher hasher_;
  uint64_t prev_seq_;
  uint64_t first_seq_ = 0;
  Digest prev_hash_;
  int64_t prev_recorded_ns_ = 0;
  uint64_t checked_ = 0;
  uint64_t first_bad_seq_ = 0;
  std::string problem_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_EVIDENCE_CHAIN_H_
