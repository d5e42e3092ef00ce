#include "report/report_oscal_proofs.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base64.h"
#include "common/merkle.h"
#include "common/sha256.h"
#include "report/evidence_proof.h"
#include "report/report_oscal.h"

namespace paraat {

using nlohmann::json;

namespace {

constexpr char kCheckpointFile[] = "checkpoint.txt";
constexpr char kSignatureFile[] = "checkpoint.sig";
constexpr char kTokenFile[] = "checkpoint.tsr";
constexpr char kConsistencyFile[] = "consistency.jsonl";
constexpr char kProofPrefix[] = "record-";
constexpr char kProofSuffix[] = ".proof.json";

std::string RecordUuid(const std::string& base, uint64_t seq) { return UuidV5(absl::StrCat(base, "|record|", seq)); }

std::string LeafHashHex(const std::string& leaf) {
  const Digest d = MerkleHasher().HashLeaf(leaf);
  return ToHex(d.data(), d.size());
}

json Resource(const std::string& uuid, const std::string& title, json props, const std::string& name,
              const std::string& media, const std::string& bytes) {
  return {{"uuid", uuid},
          {"title", title},
          {"props", std::move(props)},
          {"base64", {{"filename", name}, {"media-type", media}, {"value", Base64Encode(bytes)}}}};
}

// The signed checkpoint, as resources an auditor's tools can take out: its text, signature, time
// stamp and public key, and the consistency proofs from earlier checkpoints.
void AddCheckpointResources(const paraat::v1::ExportCheckpoint& c, const std::string& base, json& resources) {
  auto add = [&](const std::string& name, const std::string& title, const std::string& media,
                 const std::string& bytes) {
    if (bytes.empty()) return;
    resources.push_back(
        Resource(UuidV5(base + "|" + name), title, json::array({OscalProp("key-id", c.key_id())}), name, media, bytes));
  };
  add(kCheckpointFile, "Signed checkpoint of the evidence log", "text/plain", c.note());
  add(kSignatureFile, "Ed25519 signature over checkpoint.txt", "application/octet-stream", c.signature());
  add(kTokenFile, "RFC 3161 time-stamp token over checkpoint.txt", "application/timestamp-reply", c.timestamp_token());
  add("collector.pub", "The collector's public key (trust the copy the collector's owner gave you)",
      "application/x-pem-file", c.public_key_pem());
  std::string lines;
  for (const ConsistencyEntry& e : ConsistencyOf(c)) absl::StrAppend(&lines, ConsistencyToJson(e).dump(), "\n");
  add(kConsistencyFile, "Consistency proofs from earlier checkpoints to checkpoint.txt", "application/jsonl", lines);
}

// As a sidecar line (SidecarWriter::Add).
std::string ProofLine(uint64_t seq, const RecordProof& p) {
  json j = ProofToJson(p);
  j["seq"] = seq;
  return j.dump();
}

std::string PropValue(const json& resource, const std::string& name) {
  if (!resource.contains("props") || !resource["props"].is_array()) return "";
  for (const json& p : resource["props"]) {
    if (p.is_object() && p.value("name", "") == name && p.contains("value") && p["value"].is_string()) {
      return p["value"].get<std::string>();
    }
  }
  return "";
}

absl::Status Malformed(const std::string& what, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("back-matter resource ", what, ": ", problem));
}

// One record's resource: its proof, and props that must say what the proof says.
absl::Status ReadRecord(const json& resource, const std::string& name, const std::string& text, OscalEvidence* out) {
  if (text.size() > kMaxProofText) return Malformed(name, "is too large");
  const json j = json::parse(text, nullptr, false);
  uint64_t seq = 0;
  auto proof = j.is_discarded() ? absl::InvalidArgumentError("is no JSON") : ProofFromJson(j, "seq", &seq);
  if (!proof.ok()) return Malformed(name, proof.status().message());
  const std::string record = absl::StrCat("record ", seq, ": its resource ", name, " ");
  if (name != absl::StrCat(kProofPrefix, seq, kProofSuffix)) {
    return absl::InvalidArgumentError(absl::StrCat(record, "is named for another record"));
  }
  if (PropValue(resource, "evidence-seq") != absl::StrCat(seq) ||
      PropValue(resource, "leaf-index") != absl::StrCat(proof->leaf_index) ||
      PropValue(resource, "leaf-sha256") != LeafHashHex(proof->leaf)) {
    return absl::InvalidArgumentError(absl::StrCat(record,
                                                   "has props (evidence-seq, leaf-index, leaf-sha256) that "
                                                   "are not its proof's"));
  }
  out->records.emplace_back(seq, *std::move(proof));
  return absl::OkStatus();
}

absl::Status ReadConsistency(const std::string& text, OscalEvidence* out) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (out->consistency.size() >= kMaxConsistencyEntries) return Malformed(kConsistencyFile, "too many entries");
    auto c = ParseConsistency(line);
    if (!c.ok()) return Malformed(kConsistencyFile, c.status().message());
    out->consistency.push_back(*std::move(c));
  }
  return absl::OkStatus();
}

// Every relevant-evidence link into the document must name one of its resources.
absl::Status CheckLinks(const json& ar, const std::set<std::string>& uuids) {
  if (!ar.contains("results") || !ar["results"].is_array()) return absl::OkStatus();
  for (const json& result : ar["results"]) {
    if (!result.is_object() || !result.contains("observations") || !result["observations"].is_array()) continue;
    for (const json& o : result["observations"]) {
      if (!o.is_object() || !o.contains("relevant-evidence") || !o["relevant-evidence"].is_array()) continue;
      for (const json& e : o["relevant-evidence"]) {
        const std::string href = e.is_object() && e.contains("href") && e["href"].is_string() ? e["href"] : "";
        if (absl::StartsWith(href, "#") && !uuids.count(href.substr(1))) {
          return absl::InvalidArgumentError(absl::StrCat("observation ", o.value("uuid", "?"), " links to ", href,
                                                         ", which is no resource of the document"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

json OscalBackMatter(const ReportModel& model, const std::string& base) {
  json resources = json::array();
  AddCheckpointResources(model.header().checkpoint(), base, resources);
  for (const auto& [seq, proof] : model.proofs()) {
    const std::string leaf_hash = LeafHashHex(proof.leaf);
    resources.push_back(
        Resource(RecordUuid(base, seq), absl::StrCat("Inclusion proof of evidence record ", seq),
                 {OscalProp("evidence-seq", absl::StrCat(seq)), OscalProp("leaf-index", absl::StrCat(proof.leaf_index)),
                  OscalProp("leaf-sha256", leaf_hash)},
                 absl::StrCat(kProofPrefix, seq, kProofSuffix), "application/json", ProofLine(seq, proof)));
    resources.back()["description"] = absl::StrCat(
        "The record's leaf data (its canonical bytes) and the RFC 9162 inclusion path from leaf ", proof.leaf_index,
        " to the root that checkpoint.txt signs: one line of a CSV export's proof sidecar "
        "(docs/evidence-format.md). `paraatctl evidence verify --export THIS-FILE --trust collector.pub` "
        "checks it.");
  }
  return {{"resources", resources}};
}

json OscalRecordEvidence(const ReportModel& model, const std::string& base, uint64_t seq,
                         const std::string& description) {
  json e = {{"description", description}, {"props", json::array({OscalProp("evidence-seq", absl::StrCat(seq))})}};
  if (model.proofs().count(seq)) e["href"] = "#" + RecordUuid(base, seq);
  return e;
}

absl::StatusOr<OscalEvidence> ReadOscalEvidence(const json& doc) {
  if (!doc.is_object() || !doc.contains("assessment-results") || !doc["assessment-results"].is_object()) {
    return absl::InvalidArgumentError("is no OSCAL assessment-results document");
  }
  const json& ar = doc["assessment-results"];
  if (!ar.contains("back-matter") || !ar["back-matter"].is_object() || !ar["back-matter"].contains("resources") ||
      !ar["back-matter"]["resources"].is_array()) {
    return absl::InvalidArgumentError(
        "carries no proof (no back-matter resources: exported from a collector without a signing_key)");
  }
  OscalEvidence out;
  json evidence = {{"format", kEvidenceFormat}};
  std::set<std::string> uuids;
  for (const json& r : ar["back-matter"]["resources"]) {
    if (!r.is_object() || !r.contains("uuid") || !r["uuid"].is_string()) return Malformed("?", "has no uuid");
    uuids.insert(r["uuid"].get<std::string>());
    if (!r.contains("base64") || !r["base64"].is_object()) continue;
    const json& b = r["base64"];
    const std::string name = b.contains("filename") && b["filename"].is_string() ? b["filename"] : "";
    if (!b.contains("value") || !b["value"].is_string()) return Malformed(name, "has no base64 value");
    const std::string& value = b["value"].get_ref<const std::string&>();
    if (name == kSignatureFile || name == kTokenFile) {
      evidence[name == kSignatureFile ? "signature" : "timestamp_token"] = value;  // EvidenceFromJson decodes
      continue;
    }
    const bool record = absl::StartsWith(name, kProofPrefix) && absl::EndsWith(name, kProofSuffix);
    if (name != kCheckpointFile && name != kConsistencyFile && !record) continue;
    if (Base64DecodedSize(value) > kMaxProofText) return Malformed(name, "is too large");
    std::string text;
    if (!Base64Decode(value, &text)) return Malformed(name, "is no canonical base64");
    if (name == kCheckpointFile) {
      evidence["checkpoint"] = text;
      evidence["key_id"] = PropValue(r, "key-id");
    } else if (name == kConsistencyFile) {
      if (absl::Status st = ReadConsistency(text, &out); !st.ok()) return st;
    } else if (absl::Status st = ReadRecord(r, name, text, &out); !st.ok()) {
      return st;
    }
  }
  if (!evidence.contains("checkpoint")) {
    return absl::InvalidArgumentError("carries no signed checkpoint (no checkpoint.txt in its back-matter)");
  }
  auto e = EvidenceFromJson(evidence);
  if (!e.ok()) return Malformed("checkpoint", e.status().message());
  out.evidence = *std::move(e);
  if (absl::Status st = CheckLinks(ar, uuids); !st.ok()) return st;
  return out;
}

}  // namespace paraat
