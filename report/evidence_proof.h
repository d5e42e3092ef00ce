// The proof an export carries (docs/evidence-format.md), from the collector's messages into the
// forms common/evidence_format.h writes and verifies.
#ifndef PARAAT_REPORT_EVIDENCE_PROOF_H_
#define PARAAT_REPORT_EVIDENCE_PROOF_H_

#include <vector>

#include "common/evidence_format.h"
#include "paraat/v1/query.pb.h"

namespace paraat {

ExportEvidence EvidenceOf(const paraat::v1::ExportCheckpoint& c);
std::vector<ConsistencyEntry> ConsistencyOf(const paraat::v1::ExportCheckpoint& c);
// A hash of the wrong size becomes one that no proof verifies with.
RecordProof ProofOf(const paraat::v1::InclusionProof& p);

}  // namespace paraat

#endif  // PARAAT_REPORT_EVIDENCE_PROOF_H_
