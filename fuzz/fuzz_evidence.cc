// The proof and checkpoint parsers of exports (common/evidence_format.h, common/checkpoint.h,
// and an OSCAL report's back-matter, report/report_oscal_proofs.h): any input is parsed or
// refused with a message; what parses is re-encoded to the same form
// and, where it is a proof, verified (and refused) without crashing.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "common/base64.h"
#include "common/checkpoint.h"
#include "common/evidence_format.h"
#include "common/merkle.h"
#include "nlohmann/json.hpp"
#include "report/report_oscal_proofs.h"

namespace {

const paraat::TrustedKeys& Keys() {
  static const auto* keys = [] {
    auto* k = new paraat::TrustedKeys;
    k->Add(paraat::SigningKey::Generate()->public_key());
    return k;
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto e = paraat::ParseEvidence(text); e.ok()) {
    if (paraat::ParseEvidence(paraat::EvidenceToJson(*e).dump()).value() != *e) __builtin_trap();
    (void)paraat::ExportVerifier::Create(*e, {&Keys(), ""});
  }
  auto fast = paraat::ParseRecordProof(text);
  auto general = paraat::ParseRecordProofGeneral(text);
  if (fast.ok() != general.ok() || (fast.ok() && *fast != *general)) __builtin_trap();
  if (auto& p = fast; p.ok()) {
    if (paraat::ParseRecordProof(paraat::ProofToJson(*p).dump()).value() != *p) __builtin_trap();
    paraat::BatchInclusionVerifier v(p->leaf_index + 1 + p->path.size(), paraat::Digest{});
    if (v.VerifyData(p->leaf_index, p->leaf, p->path).ok()) __builtin_trap();  // root of zeros: never
    if (p->path.size() >= 2) {
      (void)paraat::VerifyConsistency(p->leaf_index, p->leaf_index + p->path.size(), p->path[0], p->path[1], p->path);
    }
  }
  if (auto c = paraat::ParseConsistency(text); c.ok()) {
    if (paraat::ParseConsistency(paraat::ConsistencyToJson(*c).dump()).value() != *c) __builtin_trap();
    paraat::Checkpoint older, newer;
    older.tree_size = c->from_size;
    older.root = c->from_root;
    newer.tree_size = c->from_size + 1;
    (void)paraat::VerifyExtends(older, newer, {*c});
  }
  if (auto c = paraat::ParseCheckpointBody(text); c.ok()) {
    if (paraat::CheckpointBody(*c) != text) __builtin_trap();
  }
  (void)paraat::VerifySignedNote(text, Keys());
  std::string bytes;
  if (paraat::Base64Decode(text, &bytes) && paraat::Base64Encode(bytes) != text) __builtin_trap();
  if (auto doc = nlohmann::json::parse(text, nullptr, false); !doc.is_discarded()) {
    if (auto oscal = paraat::ReadOscalEvidence(doc); oscal.ok()) {
      (void)paraat::ExportVerifier::Create(oscal->evidence, {&Keys(), ""});
      for (const auto& [seq, proof] : oscal->records) {
        if (paraat::ParseRecordProof(paraat::ProofToJson(proof).dump()).value() != proof) __builtin_trap();
      }
    }
  }
  std::istringstream in(text);
  if (auto r = paraat::SidecarReader::Open(in); r.ok()) {
    uint64_t seq;
    paraat::RecordProof proof;
    for (int i = 0; i < 100; ++i) {
      auto more = r->Next(&seq, &proof);
      if (!more.ok() || !*more) break;
    }
  }
  return 0;
}
