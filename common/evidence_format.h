// How exports carry their proof (docs/evidence-format.md is the specification):
//
//   JSON export  a top-level "evidence" object (ExportEvidence: the signed checkpoint, its
//                signature, the key id, the RFC 3161 token) and in every record a "proof"
//                object (RecordProof: leaf index, the record's leaf data, the inclusion path).
//   CSV export   a sidecar file in JSON Lines: the "evidence" object on the first line, then one
//                line per CSV row, {"seq": N, ...the proof fields...}, in the rows' order.
//
// Binary fields are canonical base64 (common/base64.h); the inclusion path is the
// concatenation of its 32-byte hashes, lowest first, so a proof in a tree of a million
// records is 20 hashes, 856 characters.
//
// Parsers never throw and never trust sizes: every input is bounded (kMax* below), every
// field's type, presence and encoding checked; unknown fields are errors. Errors are
// InvalidArgument naming the field (and, for sidecars, the line).
//
// ExportVerifier checks an export offline: the checkpoint's signature against trusted keys,
// its time-stamp token against a TSA CA (when given), then every record's proof against the
// checkpoint's tree head (BatchInclusionVerifier, records in leaf order are fastest).
//
// Thread-safety: functions are thread-safe; SidecarReader and ExportVerifier are not.
#ifndef PARAAT_COMMON_EVIDENCE_FORMAT_H_
#define PARAAT_COMMON_EVIDENCE_FORMAT_H_

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/checkpoint.h"
#include "common/merkle.h"
#include "nlohmann/json_fwd.hpp"

namespace paraat {

inline constexpr absl::string_view kEvidenceFormat = "paraat-evidence-v1";
inline constexpr size_t kMaxLeafData = 1 << 20;            // one record's bytes
inline constexpr size_t kMaxProofHashes = 62;              // a tree of up to 2^62 leaves
inline constexpr size_t kMaxTimestampToken = 64 * 1024;    // DER
inline constexpr size_t kMaxEvidenceText = 128 * 1024;     // the "evidence" object as JSON
inline constexpr size_t kMaxProofText = 3 * kMaxLeafData;  // one proof object or sidecar line

struct ExportEvidence {
  std::string checkpoint;       // the signed note text (CheckpointBody)
  std::string signature;        // 64 raw bytes, Ed25519 over `checkpoint`
  std::string key_id;           // the signing key's id (also the checkpoint's "key" line)
  std::string timestamp_token;  // DER RFC 3161 TimeStampToken over `checkpoint`; empty if none
  bool operator==(const ExportEvidence& o) const = default;
};

struct RecordProof {
  uint64_t leaf_index = 0;
  std::string leaf;  // the leaf's data: the leaf hash is SHA-256(0x00 || leaf)
  std::vector<Digest> path;
  bool operator==(const RecordProof& o) const = default;
};

// A consistency proof from an earlier signed checkpoint (from_size, from_root) to the export's
// checkpoint: what lets an auditor holding an earlier export check offline that the store still
// holds everything that export held. A JSON export lists them in a top-level "consistency"
// array; a sidecar has one per line between the evidence line and the first record line.
struct ConsistencyEntry {
  uint64_t from_size = 0;
  Digest from_root{};
  std::vector<Digest> path;
  bool operator==(const ConsistencyEntry& o) const = default;
};
inline constexpr size_t kMaxConsistencyEntries = 1 << 20;

nlohmann::json EvidenceToJson(const ExportEvidence& e);
nlohmann::json ConsistencyToJson(const ConsistencyEntry& c);
[[nodiscard]] absl::StatusOr<ConsistencyEntry> ConsistencyFromJson(const nlohmann::json& j);
[[nodiscard]] absl::StatusOr<ConsistencyEntry> ParseConsistency(absl::string_view json_text);
// Checks that `newer` (verified) extends `older` (verified): finds the entry from older's size
// among `entries` and verifies it (RFC 9162 §2.1.4.2). DataLoss when the store shrank or was
// rewritten since `older` was signed; NotFound when the newer export carries no proof from
// older's size.
[[nodiscard]] absl::Status VerifyExtends(const Checkpoint& older, const Checkpoint& newer,
                                         absl::Span<const ConsistencyEntry> entries);
nlohmann::json ProofToJson(const RecordProof& p);
[[nodiscard]] absl::StatusOr<ExportEvidence> EvidenceFromJson(const nlohmann::json& j);
// `extra_key`, when given, is one more unsigned-integer field the object may carry (the
// sidecar's "seq"); its value goes to *extra.
[[nodiscard]] absl::StatusOr<RecordProof> ProofFromJson(const nlohmann::json& j, absl::string_view extra_key = "",
                                                        uint64_t* extra = nullptr);
// The same from JSON text, one object, bounded as above.
[[nodiscard]] absl::StatusOr<ExportEvidence> ParseEvidence(absl::string_view json_text);
[[nodiscard]] absl::StatusOr<RecordProof> ParseRecordProof(absl::string_view json_text);
// ParseRecordProof without its fast path for the common form: for tests and the fuzzer, which
// check that both accept the same proofs with the same result.
[[nodiscard]] absl::StatusOr<RecordProof> ParseRecordProofGeneral(absl::string_view json_text);

// Writes a CSV export's sidecar.
class SidecarWriter {
 public:
  SidecarWriter(std::ostream& out, const ExportEvidence& evidence, absl::Span<const ConsistencyEntry> consistency = {});
  void Add(uint64_t seq, const RecordProof& proof);

 private:
  std::ostream& out_;
};

// Reads a sidecar: the evidence line first, then Next() per record.
class SidecarReader {
 public:
  [[nodiscard]] static absl::StatusOr<SidecarReader> Open(std::istream& in);
  const ExportEvidence& evidence() const { return evidence_; }
  const std::vector<ConsistencyEntry>& consistency() const { return consistency_; }
  // True with the next record, false at the end of the file, or an error naming the line.
  [[nodiscard]] absl::StatusOr<bool> Next(uint64_t* seq, RecordProof* proof);

 private:
  explicit SidecarReader(std::istream& in) : in_(&in) {}
  // The next line (without its newline) into line_; false at the end.
  [[nodiscard]] absl::StatusOr<bool> ReadLine();
  static constexpr size_t kReadBlock = 1 << 20;
  std::istream* in_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  absl::string_view line() const { return absl::string_view(buf_).substr(line_start_, line_size_); }
  size_t line_start_ = 0, line_size_ = 0;  // the current line, in buf_
  bool pending_ = false;                   // the current line is yet to be returned by Next
  uint64_t line_number_ = 0;
  ExportEvidence evidence_;
  std::vector<ConsistencyEntry> consistency_;
};

struct ExportVerifyOptions {
  const TrustedKeys* keys = nullptr;  // required
  std::string tsa_ca_file;            // when set, the time-stamp token must be present and verify
};

class ExportVerifier {
 public:
  // Checks the evidence object: signature by a trusted key, key id consistent, time stamp.
  [[nodiscard]] static absl::StatusOr<ExportVerifier> Create(const ExportEvidence& evidence,
                                                             const ExportVerifyOptions& options);
  const Checkpoint& checkpoint() const { return checkpoint_; }
  // The token's genTime, when the export has a token and a CA file was given.
  std::optional<absl::Time> timestamp() const { return timestamp_; }
  // DataLoss when the record's proof does not lead to the checkpoint's root.
  [[nodiscard]] absl::Status Verify(const RecordProof& proof) {
    return batch_.VerifyData(proof.leaf_index, proof.leaf, proof.path);
  }
  const BatchInclusionVerifier& batch() const { return batch_; }

 private:
  ExportVerifier(const Checkpoint& c) : checkpoint_(c), batch_(c.tree_size, c.root) {}
  Checkpoint checkpoint_;
  std::optional<absl::Time> timestamp_;
  BatchInclusionVerifier batch_;
};

}  // namespace paraat

#endif  // PARAAT_COMMON_EVIDENCE_FORMAT_H_
