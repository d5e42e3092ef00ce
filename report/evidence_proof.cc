#include "report/evidence_proof.h"

#include <algorithm>
#include <cstring>

namespace paraat {
namespace {

Digest ToDigest(const std::string& bytes) {
  Digest d{};
  if (bytes.size() == d.size()) {
    std::memcpy(d.data(), bytes.data(), d.size());
  } else {
    d.fill(0xff);
  }
  return d;
}

std::vector<Digest> ToPath(const google::protobuf::RepeatedPtrField<std::string>& path) {
  std::vector<Digest> out;
  out.reserve(static_cast<size_t>(path.size()));
  for (const std::string& h : path) out.push_back(ToDigest(h));
  return out;
}

}  // namespace

ExportEvidence EvidenceOf(const paraat::v1::ExportCheckpoint& c) {
  return ExportEvidence{c.note(), c.signature(), c.key_id(), c.timestamp_token()};
}

std::vector<ConsistencyEntry> ConsistencyOf(const paraat::v1::ExportCheckpoint& c) {
  std::vector<ConsistencyEntry> out;
  for (const auto& e : c.consistency())
    out.push_back(ConsistencyEntry{e.from_size(), ToDigest(e.from_root()), ToPath(e.path())});
  return out;
}

RecordProof ProofOf(const paraat::v1::InclusionProof& p) {
  return RecordProof{p.leaf_index(), p.leaf(), ToPath(p.path())};
}

}  // namespace paraat
