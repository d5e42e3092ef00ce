// Offline verification of a 1,000,000-record export (issue 14: target <= 5 s on this 2-core
// machine), each figure beside its reference in the same run:
//
//   BM_Sha256EachRecord         the ceiling: one plain SHA-256 per record, nothing else
//   BM_VerifyEachProofAlone     VerifyInclusion per record (RFC 9162 §2.1.3.2, ~21 hashes each)
//   BM_BatchVerify              BatchInclusionVerifier over the same proofs, in export order
//   BM_ParseSidecarOnly         reading and parsing the CSV sidecar (JSON Lines) from a file
//   BM_VerifySidecarEndToEnd    the whole offline check: signature, sidecar read, every proof
//
//   build/bench/trust_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// Records are 300 bytes (a file_backup result's canonical bytes are 250-400). The sidecar is
// written once to $TMPDIR (about 1.3 GB) and read from the page cache.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "common/checkpoint.h"
#include "common/evidence_format.h"
#include "common/merkle.h"
#include "common/sha256.h"

namespace paraat {
namespace {

constexpr uint64_t kRecords = 1'000'000;
constexpr size_t kRecordBytes = 300;

struct Fixture {
  std::string data;  // record i is data[i * kRecordBytes, (i + 1) * kRecordBytes)
  std::vector<std::vector<Digest>> proofs;
  Digest root;
  SigningKey key = *SigningKey::Generate();
  ExportEvidence evidence;
  TrustedKeys trusted;
  std::string sidecar_path;

  absl::string_view Record(uint64_t i) const { return absl::string_view(data).substr(i * kRecordBytes, kRecordBytes); }

  Fixture() {
    std::mt19937_64 rng(14);
    data.resize(kRecords * kRecordBytes);
    for (size_t i = 0; i < data.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(&data[i], &v, std::min<size_t>(8, data.size() - i));
    }
    MemoryNodeStore store;
    CompactRange range;
    MerkleHasher h;
    std::vector<Node> done;
    for (uint64_t i = 0; i < kRecords; ++i) {
      done.clear();
      range.Append(h.HashLeaf(Record(i)), h, &done);
      store.PutAll(done);
    }
    root = range.Root(h);
    proofs.reserve(kRecords);
    for (uint64_t i = 0; i < kRecords; ++i) proofs.push_back(*InclusionProof(i, kRecords, store));
    Checkpoint c;
    c.origin = "paraat.example/evidence";
    c.tree_size = kRecords;
    c.root = root;
    c.time = absl::FromUnixSeconds(1795860000);
    c.collector_id = "collector-a";
    auto sc = SignCheckpoint(c, key);
    evidence = ExportEvidence{sc->body, sc->signature, key.key_id(), ""};
    trusted.Add(key.public_key());
    const char* tmp = std::getenv("TMPDIR");
    sidecar_path = absl::StrCat(tmp ? tmp : "/tmp", "/paraat-trust-bench-", ::getpid(), ".proof.jsonl");
    std::ofstream out(sidecar_path, std::ios::binary);
    SidecarWriter w(out, evidence);
    for (uint64_t i = 0; i < kRecords; ++i) w.Add(i + 1, RecordProof{i, std::string(Record(i)), proofs[i]});
  }
  ~Fixture() { std::remove(sidecar_path.c_str()); }
};

Fixture& F() {
  static Fixture* f = new Fixture;
  return *f;
}

void BM_Sha256EachRecord(benchmark::State& st) {
  Fixture& f = F();
  Sha256 sha;
  for (auto _ : st) {
    for (uint64_t i = 0; i < kRecords; ++i) {
      sha.Update(f.Record(i));
      benchmark::DoNotOptimize(sha.Finish());
    }
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_Sha256EachRecord)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_VerifyEachProofAlone(benchmark::State& st) {
  Fixture& f = F();
  MerkleHasher h;
  for (auto _ : st) {
    for (uint64_t i = 0; i < kRecords; ++i) {
      if (!VerifyInclusion(i, kRecords, h.HashLeaf(f.Record(i)), f.proofs[i], f.root).ok()) st.SkipWithError("bad");
    }
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_VerifyEachProofAlone)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_BatchVerify(benchmark::State& st) {
  Fixture& f = F();
  uint64_t hashes = 0;
  for (auto _ : st) {
    BatchInclusionVerifier v(kRecords, f.root);
    for (uint64_t i = 0; i < kRecords; ++i) {
      if (!v.VerifyData(i, f.Record(i), f.proofs[i]).ok()) st.SkipWithError("bad");
    }
    hashes = v.hashes_computed();
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
  st.counters["hashes_per_record"] = double(hashes) / kRecords;
}
BENCHMARK(BM_BatchVerify)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_ParseSidecarOnly(benchmark::State& st) {
  Fixture& f = F();
  for (auto _ : st) {
    std::ifstream in(f.sidecar_path, std::ios::binary);
    auto r = SidecarReader::Open(in);
    uint64_t seq = 0, n = 0;
    RecordProof p;
    while (r.ok() && *r->Next(&seq, &p)) ++n;
    if (n != kRecords) st.SkipWithError("short");
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_ParseSidecarOnly)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_VerifySidecarEndToEnd(benchmark::State& st) {
  Fixture& f = F();
  for (auto _ : st) {
    std::ifstream in(f.sidecar_path, std::ios::binary);
    auto r = SidecarReader::Open(in);
    auto v = ExportVerifier::Create(r->evidence(), {&f.trusted, ""});
    if (!v.ok()) st.SkipWithError("checkpoint");
    uint64_t seq = 0, n = 0;
    RecordProof p;
    while (*r->Next(&seq, &p)) {
      if (!v->Verify(p).ok()) st.SkipWithError("bad");
      ++n;
    }
    if (n != kRecords) st.SkipWithError("short");
  }
  st.SetItemsProcessed(st.iterations() * kRecords);
}
BENCHMARK(BM_VerifySidecarEndToEnd)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace paraat

BENCHMARK_MAIN();
