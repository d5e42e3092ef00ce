// paraatctl evidence verify --export / --previous / --against: exports that prove themselves
// (docs/evidence-format.md §6). Offline: the checkpoint's signature by a trusted key, its time
// stamp, every record's inclusion proof and (JSON) that the record's fields say what its signed
// leaf data says; of an OSCAL export, the proofs of the records it cites (its back-matter, §9). Against an earlier
// export: that the log still holds everything it held, by the consistency proof between the two checkpoints and record
// by record, naming the first record that no longer matches.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/evidence_format.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "ctl/commands.h"
#include "nlohmann/json.hpp"
#include "report/evidence_proof.h"
#include "report/export.h"
#include "report/report_oscal_proofs.h"

namespace paraat {
namespace {

using nlohmann::json;

constexpr char kUsage[] =
    "paraatctl evidence verify                      (the collector re-verifies its chain)\n"
    "paraatctl evidence verify --export FILE --trust KEY.pem [--tsa-ca CA.pem] [--previous OLD]\n"
    "paraatctl evidence verify --against OLD [--trust KEY.pem]   (OLD against the collector now)\n"
    "  FILE, OLD: a JSON or OSCAL export, or a CSV export with its FILE.proof.jsonl beside it\n";

constexpr absl::string_view kLeafDomain = "paraat-evidence-v1";

struct LoadedRecord {
  uint64_t seq = 0;
  RecordProof proof;
  std::optional<json> shown;  // JSON exports: the record's fields, without its proof
};

struct LoadedExport {
  std::string name;
  ExportEvidence evidence;
  std::vector<ConsistencyEntry> consistency;
  std::vector<LoadedRecord> records;
};

absl::Status Bad(const std::string& file, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", problem));
}

// An OSCAL export: the checkpoint and the cited records' proofs from its back-matter.
absl::StatusOr<LoadedExport> LoadOscal(const std::string& path, const json& doc) {
  auto oscal = ReadOscalEvidence(doc);
  if (!oscal.ok()) return Bad(path, oscal.status().message());
  LoadedExport e;
  e.name = path;
  e.evidence = std::move(oscal->evidence);
  e.consistency = std::move(oscal->consistency);
  for (auto& [seq, proof] : oscal->records) e.records.push_back(LoadedRecord{seq, std::move(proof), std::nullopt});
  return e;
}

absl::StatusOr<LoadedExport> LoadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad(path, "is no JSON export");
  if (j.contains("assessment-results")) return LoadOscal(path, j);
  if (!j.contains("evidence")) {
    return Bad(path, "carries no proof (exported from a collector without a signing_key, or before it had one)");
  }
  LoadedExport e;
  e.name = path;
  auto ev = EvidenceFromJson(j["evidence"]);
  if (!ev.ok()) return Bad(path, ev.status().message());
  e.evidence = *std::move(ev);
  if (j.contains("consistency") && j["consistency"].is_array()) {
    for (const json& c : j["consistency"]) {
      auto entry = ConsistencyFromJson(c);
      if (!entry.ok()) return Bad(path, entry.status().message());
      e.consistency.push_back(*std::move(entry));
    }
  }
  if (!j.contains("records") || !j["records"].is_array()) return Bad(path, "has no records array");
  for (json& r : j["records"]) {
    LoadedRecord rec;
    if (!r.is_object() || !r.contains("seq") || !r["seq"].is_number_unsigned()) return Bad(path, "a record has no seq");
    rec.seq = r["seq"].get<uint64_t>();
    if (!r.contains("proof")) return Bad(path, absl::StrCat("record ", rec.seq, " has no proof"));
    auto proof = ProofFromJson(r["proof"]);
    if (!proof.ok()) return Bad(path, absl::StrCat("record ", rec.seq, ": ", proof.status().message()));
    rec.proof = *std::move(proof);
    r.erase("proof");
    rec.shown = std::move(r);
    e.records.push_back(std::move(rec));
  }
  return e;
}

absl::StatusOr<LoadedExport> LoadSidecar(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, " (a CSV export's proof sidecar)"));
  PARAAT_ASSIGN_OR_RETURN(SidecarReader reader, SidecarReader::Open(in));
  LoadedExport e;
  e.name = path;
  e.evidence = reader.evidence();
  e.consistency = reader.consistency();
  while (true) {
    LoadedRecord rec;
    auto more = reader.Next(&rec.seq, &rec.proof);
    if (!more.ok()) return Bad(path, more.status().message());
    if (!*more) break;
    e.records.push_back(std::move(rec));
  }
  return e;
}

absl::StatusOr<LoadedExport> LoadExport(const std::string& path) {
  if (absl::EndsWith(path, ".proof.jsonl")) return LoadSidecar(path);
  if (absl::EndsWith(path, ".csv")) return LoadSidecar(path + ".proof.jsonl");
  return LoadJson(path);
}

// The seq in a record's leaf data (its canonical bytes), or 0 when it is none.
uint64_t LeafSeq(absl::string_view leaf) {
  if (leaf.size() < kLeafDomain.size() + 17 || !absl::StartsWith(leaf, kLeafDomain)) return 0;
  uint64_t seq = 0;
  for (size_t i = 0; i < 8; ++i) seq = seq << 8 | static_cast<uint8_t>(leaf[kLeafDomain.size() + i]);
  return seq;
}

// Whether the record's fields in a JSON export are what its leaf data says.
bool ShowsItsLeaf(const LoadedRecord& r) {
  if (!r.shown) return true;
  const absl::string_view leaf = r.proof.leaf;
  const size_t header = kLeafDomain.size() + 17;
  int64_t recorded_ns = 0;
  for (size_t i = 0; i < 8; ++i) {
    recorded_ns = static_cast<int64_t>(static_cast<uint64_t>(recorded_ns) << 8 |
                                       static_cast<uint8_t>(leaf[kLeafDomain.size() + 8 + i]));
  }
  paraat::v1::ExportedRecord er;
  if (!er.mutable_record()->ParseFromArray(leaf.data() + header, static_cast<int>(leaf.size() - header))) return false;
  er.mutable_record()->set_seq(r.seq);
  er.mutable_record()->set_recorded_unix_ns(recorded_ns);
  json expected = RecordJson(er);
  expected["hash"] = r.shown->value("hash", json());
  expected["plans"] = r.shown->value("plans", json());
  return expected == *r.shown;
}

// The first record of `e` whose proof or fields do not hold against `v`'s checkpoint.
absl::Status VerifyRecords(const LoadedExport& e, ExportVerifier& v) {
  for (const LoadedRecord& r : e.records) {
    if (absl::Status st = v.Verify(r.proof); !st.ok()) {
      return absl::DataLossError(
          absl::StrCat("record ", r.seq, ": its inclusion proof does not verify: ", st.message()));
    }
    if (LeafSeq(r.proof.leaf) != r.seq) {
      return absl::DataLossError(
          absl::StrCat("record ", r.seq, ": its signed leaf data is record ", LeafSeq(r.proof.leaf), "'s"));
    }
    if (!ShowsItsLeaf(r)) {
      return absl::DataLossError(
          absl::StrCat("record ", r.seq, ": the export's fields differ from what the collector signed"));
    }
  }
  return absl::OkStatus();
}

// Record by record, then by the consistency proof: does `now` still hold what `old` held?
absl::Status CompareExports(const LoadedExport& old, const Checkpoint& old_cp, const LoadedExport& now,
                            const Checkpoint& now_cp) {
  std::map<uint64_t, const LoadedRecord*> now_at;
  for (const LoadedRecord& r : now.records) now_at[r.proof.leaf_index] = &r;
  std::vector<const LoadedRecord*> old_records;
  for (const LoadedRecord& r : old.records) old_records.push_back(&r);
  std::sort(old_records.begin(), old_records.end(),
            [](const LoadedRecord* a, const LoadedRecord* b) { return a->proof.leaf_index < b->proof.leaf_index; });
  for (const LoadedRecord* r : old_records) {
    if (r->proof.leaf_index >= now_cp.tree_size) {
      return absl::DataLossError(absl::StrCat("record ", r->seq, ": no longer in the store (its log now holds ",
                                              now_cp.tree_size, " records, ", old.name, " was signed at ",
                                              old_cp.tree_size, ")"));
    }
    auto it = now_at.find(r->proof.leaf_index);
    if (it != now_at.end() && it->second->proof.leaf != r->proof.leaf) {
      return absl::DataLossError(
          absl::StrCat("record ", r->seq, ": no longer matches: the store now holds ",
                       it->second->seq == r->seq ? "other contents for it" : absl::StrCat("record ", it->second->seq),
                       " in its place"));
    }
  }
  if (absl::Status st = VerifyExtends(old_cp, now_cp, now.consistency); !st.ok()) {
    return absl::DataLossError(
        absl::StrCat("the log no longer extends the checkpoint of ", old.name, ": ", st.message()));
  }
  return absl::OkStatus();
}

std::string Describe(const Checkpoint& c) {
  return absl::StrCat(c.tree_size, " records, signed ", FormatTimeUtc(c.time), " by key ", c.key_id);
}

struct VerifyArgs {
  std::string export_file, previous, against, trust, tsa_ca;
};

// Exit 1 for evidence that does not verify, 2 for a file that cannot be read.
int Report(CtlEnv& env, const absl::Status& st) {
  env.out << "evidence NOT verified: " << st.message() << "\n";
  return st.code() == absl::StatusCode::kNotFound ? 2 : 1;
}

absl::StatusOr<ExportVerifier> VerifiedCheckpoint(const LoadedExport& e, const TrustedKeys& keys,
                                                  const std::string& tsa_ca) {
  ExportVerifyOptions o;
  o.keys = &keys;
  o.tsa_ca_file = tsa_ca;
  auto v = ExportVerifier::Create(e.evidence, o);
  if (!v.ok()) return absl::DataLossError(absl::StrCat("the checkpoint of ", e.name, ": ", v.status().message()));
  return v;
}

// The checkpoint of `e`: verified with `keys`, or (none) as it reads.
absl::StatusOr<Checkpoint> CheckpointOf(const LoadedExport& e, const TrustedKeys* keys) {
  if (keys != nullptr) {
    PARAAT_ASSIGN_OR_RETURN(ExportVerifier v, VerifiedCheckpoint(e, *keys, ""));
    return v.checkpoint();
  }
  auto c = ParseCheckpointBody(e.evidence.checkpoint);
  if (!c.ok()) return absl::DataLossError(absl::StrCat("the checkpoint of ", e.name, ": ", c.status().message()));
  return c;
}

int VerifyExportFiles(CtlEnv& env, const VerifyArgs& a, const TrustedKeys& keys) {
  auto now = LoadExport(a.export_file);
  if (!now.ok()) return Report(env, now.status());
  auto v = VerifiedCheckpoint(*now, keys, a.tsa_ca);
  if (!v.ok()) return Report(env, v.status());
  if (absl::Status st = VerifyRecords(*now, *v); !st.ok()) return Report(env, st);
  env.out << "export " << a.export_file << " verified: " << now->records.size()
          << " records proven against its checkpoint (" << Describe(v->checkpoint()) << ")";
  if (v->timestamp()) env.out << ", time-stamped " << FormatTimeUtc(*v->timestamp());
  env.out << "\n";
  if (a.previous.empty()) return 0;
  auto old = LoadExport(a.previous);
  if (!old.ok()) return Report(env, old.status());
  auto old_cp = CheckpointOf(*old, &keys);
  if (!old_cp.ok()) return Report(env, old_cp.status());
  if (absl::Status st = CompareExports(*old, *old_cp, *now, v->checkpoint()); !st.ok()) return Report(env, st);
  env.out << "the log still holds everything " << a.previous << " held: consistent from " << old_cp->tree_size << " to "
          << v->checkpoint().tree_size << " records\n";
  return 0;
}

// The collector's export now, with a consistency proof from `from_size`.
absl::StatusOr<LoadedExport> FetchCurrent(CtlEnv& env, uint64_t from_size) {
  paraat::v1::ExportEvidenceRequest req;
  req.set_verification_last(true);
  req.add_consistency_from(from_size);
  auto ctx = env.client->Context(absl::ZeroDuration());
  auto reader = env.client->stub().ExportEvidence(ctx.get(), req);
  LoadedExport e;
  e.name = "the collector's log";
  bool signed_header = false;
  paraat::v1::ExportEvidenceResponse m;
  while (reader->Read(&m)) {
    if (m.has_header() && m.header().has_checkpoint()) {
      signed_header = true;
      e.evidence = EvidenceOf(m.header().checkpoint());
      e.consistency = ConsistencyOf(m.header().checkpoint());
    }
    for (const auto& r : m.records().records()) {
      if (r.has_proof()) e.records.push_back(LoadedRecord{r.record().seq(), ProofOf(r.proof()), std::nullopt});
    }
  }
  grpc::Status gs = reader->Finish();
  if (!gs.ok()) return FromGrpc(gs, env.client->target());
  if (!signed_header) return absl::FailedPreconditionError("the collector signs no checkpoints (no signing_key)");
  return e;
}

int VerifyAgainstCollector(CtlEnv& env, const VerifyArgs& a, const TrustedKeys* keys) {
  auto old = LoadExport(a.against);
  if (!old.ok()) return Report(env, old.status());
  auto old_cp = CheckpointOf(*old, keys);
  if (!old_cp.ok()) return Report(env, old_cp.status());
  auto now = FetchCurrent(env, old_cp->tree_size);
  if (!now.ok()) return Fail(env, now.status());
  auto now_cp = CheckpointOf(*now, keys);
  if (!now_cp.ok()) return Report(env, now_cp.status());
  BatchInclusionVerifier proofs(now_cp->tree_size, now_cp->root);
  for (const LoadedRecord& r : now->records) {
    if (absl::Status st = proofs.VerifyData(r.proof.leaf_index, r.proof.leaf, r.proof.path); !st.ok()) {
      return Report(
          env, absl::DataLossError(absl::StrCat("record ", r.seq, ": the store no longer proves it: ", st.message())));
    }
  }
  if (absl::Status st = CompareExports(*old, *old_cp, *now, *now_cp); !st.ok()) return Report(env, st);
  env.out << "the store still holds everything " << a.against << " held: its log grew from " << old_cp->tree_size
          << " to " << now_cp->tree_size << " records, consistency proven (" << Describe(*now_cp) << ")\n";
  return 0;
}

}  // namespace

int CmdEvidenceVerifyProofs(CtlEnv& env, int argc, char** argv) {
  VerifyArgs a;
  ArgParser p;
  p.Option("export", &a.export_file);
  p.Option("previous", &a.previous);
  p.Option("against", &a.against);
  p.Option("trust", &a.trust);
  p.Option("tsa-ca", &a.tsa_ca);
  auto usage = [&](absl::string_view problem) {
    env.err << "paraatctl: " << problem << "\n\nUsage: " << kUsage;
    return 2;
  };
  if (auto st = p.Parse(argc, argv); !st.ok()) return usage(st.message());
  if (!p.positional().empty()) return usage("unexpected argument " + p.positional()[0]);
  if (!a.export_file.empty() == !a.against.empty()) return usage("give --export FILE or --against OLD");
  if (!a.export_file.empty() && a.trust.empty()) return usage("--export needs --trust KEY.pem");
  if (!a.previous.empty() && a.export_file.empty()) return usage("--previous goes with --export");
  TrustedKeys keys;
  if (!a.trust.empty()) {
    if (absl::Status st = keys.AddFile(a.trust); !st.ok()) return Fail(env, st);
  }
  if (!a.against.empty()) return VerifyAgainstCollector(env, a, a.trust.empty() ? nullptr : &keys);
  return VerifyExportFiles(env, a, keys);
}

}  // namespace paraat
