// The proof an OSCAL export carries in its back-matter (docs/evidence-format.md §9): the signed
// checkpoint (checkpoint.txt, checkpoint.sig, checkpoint.tsr, collector.pub), the consistency
// proofs from earlier checkpoints (consistency.jsonl), and one resource per record the report
// cites (record-SEQ.proof.json: the record's inclusion proof, one line of a CSV export's
// sidecar). Observations link to their records' resources (relevant-evidence href "#uuid").
//
// ReadOscalEvidence takes it back out for `paraatctl evidence verify`: InvalidArgument naming
// the resource (and the record) for anything malformed, for props that contradict the proof
// they describe, and for a link to a resource the document does not have. Thread-safe.
#ifndef PARAAT_REPORT_REPORT_OSCAL_PROOFS_H_
#define PARAAT_REPORT_REPORT_OSCAL_PROOFS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/evidence_format.h"
#include "nlohmann/json.hpp"
#include "report/report_model.h"

namespace paraat {

// The back-matter object; `base` is what the document's UUIDs derive from.
nlohmann::json OscalBackMatter(const ReportModel& model, const std::string& base);
// A relevant-evidence entry for record `seq`, linking to its proof resource when the export
// carries its proof.
nlohmann::json OscalRecordEvidence(const ReportModel& model, const std::string& base, uint64_t seq,
                                   const std::string& description);

struct OscalEvidence {
  ExportEvidence evidence;
  std::vector<ConsistencyEntry> consistency;
  std::vector<std::pair<uint64_t, RecordProof>> records;  // (seq, proof), in the document's order
};
[[nodiscard]] absl::StatusOr<OscalEvidence> ReadOscalEvidence(const nlohmann::json& doc);

}  // namespace paraat

#endif  // PARAAT_REPORT_REPORT_OSCAL_PROOFS_H_
