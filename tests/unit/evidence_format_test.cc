#include "common/evidence_format.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

using ::testing::HasSubstr;

// An export of `n` records as the collector will write one: tree, signed checkpoint, proofs.
struct Export {
  SigningKey key = *SigningKey::Generate();
  ExportEvidence evidence;
  std::vector<RecordProof> proofs;
};

Export MakeExport(uint64_t n) {
  Export e;
  MemoryNodeStore store;
  CompactRange range;
  MerkleHasher h;
  std::vector<std::string> data;
  for (uint64_t i = 0; i < n; ++i) {
    data.push_back(absl::StrCat("record ", i));
    std::vector<Node> done;
    range.Append(h.HashLeaf(data.back()), h, &done);
    store.PutAll(done);
  }
  Checkpoint c;
  c.origin = "paraat.example/evidence";
  c.tree_size = n;
  c.root = range.Root(h);
  c.time = absl::FromUnixSeconds(1795860000);
  c.collector_id = "collector-a";
  auto sc = SignCheckpoint(c, e.key);
  e.evidence = ExportEvidence{sc->body, sc->signature, e.key.key_id(), ""};
  for (uint64_t i = 0; i < n; ++i) e.proofs.push_back(RecordProof{i, data[i], *InclusionProof(i, n, store)});
  return e;
}

TrustedKeys Trust(const SigningKey& key) {
  TrustedKeys t;
  t.Add(key.public_key());
  return t;
}

TEST(EvidenceFormat, RoundTripsThroughJson) {
  Export e = MakeExport(5);
  e.evidence.timestamp_token = "\x30\x82 token bytes";
  const std::string text = EvidenceToJson(e.evidence).dump();
  auto back = ParseEvidence(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e.evidence);
  for (const RecordProof& p : e.proofs) {
    auto q = ParseRecordProof(ProofToJson(p).dump());
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_EQ(*q, p);
  }
  // The exact form, as docs/evidence-format.md shows it.
  RecordProof p{2, "abc", {Digest{}, Digest{}}};
  p.path[1][31] = 1;
  EXPECT_EQ(ProofToJson(p).dump(),
            "{\"leaf\":\"YWJj\",\"leaf_index\":2,\"path\":"
            "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ==\"}");
}

TEST(EvidenceFormat, AProofInAMillionRecordTreeFitsInOneKibibyte) {
  RecordProof p{999'999, "", std::vector<Digest>(20)};  // ceil(log2(1,000,000)) = 20 hashes
  const std::string json = ProofToJson(p).dump();
  EXPECT_LE(json.size(), 1024u) << json.size();
  EXPECT_EQ(Base64Encode(std::string(20 * 32, 'x')).size(), 856u);
}

template <typename T>
void ExpectRejected(const absl::StatusOr<T>& r, const std::string& text, absl::string_view why) {
  ASSERT_FALSE(r.ok()) << text.substr(0, 200);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(why)) << text.substr(0, 200);
}

// `good` with `key` set to `value` (removed when null), as JSON text.
std::string With(nlohmann::json good, const std::string& key, nlohmann::json value) {
  if (value.is_null()) {
    good.erase(key);
  } else {
    good[key] = std::move(value);
  }
  return good.dump();
}

TEST(EvidenceFormat, RejectsMalformedEvidence) {
  Export e = MakeExport(3);
  const nlohmann::json good = EvidenceToJson(e.evidence);
  auto rejects = [](const std::string& text, absl::string_view why) { ExpectRejected(ParseEvidence(text), text, why); };
  auto with = [&](const std::string& key, nlohmann::json value) { return With(good, key, std::move(value)); };
  rejects(with("format", "paraat-evidence-v2"), "\"format\": \"paraat-evidence-v2\" is not paraat-evidence-v1");
  rejects(with("format", nullptr), "\"format\": missing");
  rejects(with("checkpoint", 42), "\"checkpoint\": must be a string");
  rejects(with("checkpoint", std::string(3000, 'x')), "longer than 2048");
  rejects(with("signature", "AAAA"), "\"signature\": must be 64 bytes");
  rejects(with("signature", "not base64!"), "\"signature\": not canonical base64");
  rejects(with("signature", nullptr), "\"signature\": missing");
  rejects(with("timestamp_token", "AB=="), "\"timestamp_token\": not canonical base64");
  rejects(with("timestamp_token", std::string(200000, 'A')), "more than 131072");
  rejects(with("extra", 1), "\"extra\": unknown field");
  rejects("[1, 2]", "not a JSON object");
  rejects("{\"format\": ", "not valid JSON");
  rejects("", "not valid JSON");
  rejects(std::string(100, '[') + std::string(100, ']'), "nested too deeply");
  rejects(std::string(kMaxEvidenceText + 1, ' '), "more than");
}

TEST(EvidenceFormat, RejectsMalformedProofs) {
  const nlohmann::json good = ProofToJson(RecordProof{3, "leaf", std::vector<Digest>(3)});
  auto rejects = [](const std::string& text, absl::string_view why) {
    ExpectRejected(ParseRecordProof(text), text, why);
  };
  auto with = [&](const std::string& key, nlohmann::json value) { return With(good, key, std::move(value)); };
  rejects(with("leaf_index", -1), "\"leaf_index\": must be a non-negative integer");
  rejects(with("leaf_index", 1.5), "\"leaf_index\": must be a non-negative integer");
  rejects(with("leaf_index", "3"), "\"leaf_index\": must be a non-negative integer");
  rejects(with("leaf_index", uint64_t{1} << 63), "\"leaf_index\": larger than");
  rejects(with("leaf_index", nullptr), "\"leaf_index\": missing");
  rejects(with("leaf", nullptr), "\"leaf\": missing");
  rejects(with("leaf", "bGVhZg"), "\"leaf\": not canonical base64");
  rejects(with("leaf", "bGVhZg==\n"), "\"leaf\": not canonical base64");
  rejects(with("path", "AAAA"), "\"path\": not a whole number of 32-byte hashes");
  rejects(with("path", Base64Encode(std::string(63 * 32, 'x'))), "\"path\": more than 62 hashes");
  rejects(with("path", 7), "\"path\": must be a string");
  rejects(with("seq", 7), "\"seq\": unknown field");
  rejects("{\"leaf_index\": 1, \"leaf\": \"\", \"path\": \"\"", "not valid JSON");
  rejects("\"proof\"", "not a JSON object");
  rejects("{\"a\":{\"b\":{\"c\":1}}}", "nested too deeply");
  // The empty path and empty leaf are well-formed (a tree of one record).
  EXPECT_TRUE(ParseRecordProof("{\"leaf_index\": 0, \"leaf\": \"\", \"path\": \"\"}").ok());
}

// ParseRecordProof has a fast path for the form our writer produces; whatever the form, it
// must give the general parser's answer.
TEST(EvidenceFormat, FastPathAgreesWithTheGeneralParser) {
  const std::string path = Base64Encode(std::string(64, 'p'));
  const std::vector<std::string> inputs = {
      ProofToJson(RecordProof{7, "leaf", std::vector<Digest>(2)}).dump(),
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\"}",
      " {\n \"path\" : \"" + path + "\" , \"leaf\":\"bGVhZg==\",\t\"leaf_index\": 7 } ",
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\",\"leaf_index\":8}",  // duplicate
      "{\"leaf_index\":7,\"leaf\":\"bGVh\\u005Ag==\",\"path\":\"" + path + "\"}",             // escape
      "{\"leaf_index\":07,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\"}",
      "{\"leaf_index\":-0,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\"}",
      "{\"leaf_index\":7.0,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\"}",
      "{\"leaf_index\":18446744073709551616,\"leaf\":\"\",\"path\":\"\"}",
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\"} x",
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\",\"path\":\"" + path + "\",}",
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\"}",
      "{\"leaf_index\":7,\"leaf\":\"bGVhZg==\",\"path\":\"AAAA\"}",
      "{}",
      "{\"leaf_index\":7,\"leaf\":\"\xc3\xa9\",\"path\":\"\"}",
      "{\"leaf_index\":7,\"leaf\":\"\",\"path\":\"\",\"seq\":1}",
  };
  for (const std::string& in : inputs) {
    auto fast = ParseRecordProof(in);
    auto general = ParseRecordProofGeneral(in);
    ASSERT_EQ(fast.ok(), general.ok()) << in << "\n" << fast.status() << "\n" << general.status();
    if (fast.ok()) {
      EXPECT_EQ(*fast, *general) << in;
    } else {
      EXPECT_EQ(fast.status(), general.status()) << in;
    }
  }
  EXPECT_TRUE(ParseRecordProof(inputs[2]).ok());
  EXPECT_EQ(ParseRecordProof(inputs[3])->leaf_index, 8u);  // JSON's rule: the last one wins
  EXPECT_EQ(ParseRecordProof(inputs[4])->leaf, "leaf");
}

TEST(Sidecar, RoundTripsAndNamesTheBadLine) {
  Export e = MakeExport(20);
  std::stringstream out;
  SidecarWriter w(out, e.evidence);
  for (const RecordProof& p : e.proofs) w.Add(p.leaf_index + 100, p);
  std::stringstream in(out.str());
  auto r = SidecarReader::Open(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->evidence(), e.evidence);
  uint64_t seq = 0;
  RecordProof p;
  for (const RecordProof& want : e.proofs) {
    auto got = r->Next(&seq, &p);
    ASSERT_TRUE(got.ok() && *got) << got.status();
    EXPECT_EQ(seq, want.leaf_index + 100);
    EXPECT_EQ(p, want);
  }
  auto end = r->Next(&seq, &p);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);

  // Line 4 damaged.
  std::string text = out.str();
  size_t at = 0;
  for (int i = 0; i < 3; ++i) at = text.find('\n', at) + 1;
  text.insert(at, "garbage");
  std::stringstream bad(text);
  auto br = SidecarReader::Open(bad);
  ASSERT_TRUE(br.ok());
  ASSERT_TRUE(*br->Next(&seq, &p));
  ASSERT_TRUE(*br->Next(&seq, &p));
  auto err = br->Next(&seq, &p);
  ASSERT_FALSE(err.ok());
  EXPECT_THAT(std::string(err.status().message()), HasSubstr("sidecar line 4: record proof is not valid JSON"));

  std::stringstream empty("");
  EXPECT_THAT(std::string(SidecarReader::Open(empty).status().message()), HasSubstr("sidecar is empty"));
  std::stringstream no_seq(out.str().substr(0, out.str().find('\n') + 1) + ProofToJson(e.proofs[0]).dump() + "\n");
  auto ns = SidecarReader::Open(no_seq);
  ASSERT_TRUE(ns.ok());
  EXPECT_THAT(std::string(ns->Next(&seq, &p).status().message()), HasSubstr("sidecar line 2: \"seq\": missing"));
  std::stringstream huge(out.str().substr(0, out.str().find('\n') + 1) + std::string(kMaxProofText + 10, 'x'));
  auto hr = SidecarReader::Open(huge);  // Open looks at line 2 for consistency proofs
  ASSERT_FALSE(hr.ok());
  EXPECT_THAT(std::string(hr.status().message()), HasSubstr("sidecar line 2 is longer than"));
}

// Two trees over the same records as a store would hold them at two checkpoints; `edit` changes
// record `edit_at` in the later one (a rewrite), `drop` removes the newest records instead.
struct History {
  Checkpoint older, newer;
  std::vector<ConsistencyEntry> entries;
};
History MakeHistory(uint64_t m, uint64_t n, int64_t edit_at = -1) {
  MemoryNodeStore store;
  CompactRange range;
  MerkleHasher h;
  History out;
  out.older.origin = out.newer.origin = "paraat.example/evidence";
  for (uint64_t i = 0; i < n; ++i) {
    std::vector<Node> done;
    range.Append(h.HashLeaf(absl::StrCat("record ", i, int64_t(i) == edit_at ? " edited" : "")), h, &done);
    store.PutAll(done);
  }
  MemoryNodeStore honest;  // the tree as it was when `older` was signed
  CompactRange r2;
  for (uint64_t i = 0; i < m; ++i) {
    std::vector<Node> done;
    r2.Append(h.HashLeaf(absl::StrCat("record ", i)), h, &done);
    honest.PutAll(done);
  }
  out.older.tree_size = m;
  out.older.root = r2.Root(h);
  out.newer.tree_size = n;
  out.newer.root = range.Root(h);
  // What the collector exports: proofs from earlier checkpoint sizes, computed from its store.
  for (uint64_t from : {uint64_t{1}, m / 2, m}) {
    if (from == 0 || from > n) continue;
    out.entries.push_back(ConsistencyEntry{from, *RootAt(from, store), *ConsistencyProof(from, n, store)});
  }
  return out;
}

TEST(Consistency, AnEarlierExportIsCheckedOffline) {
  History grew = MakeHistory(100, 250);
  EXPECT_TRUE(VerifyExtends(grew.older, grew.newer, grew.entries).ok());
  EXPECT_TRUE(VerifyExtends(grew.older, grew.older, {}).ok());

  // Rewritten: record 37 edited after the earlier checkpoint; every hash recomputed.
  History rewritten = MakeHistory(100, 250, 37);
  absl::Status st = VerifyExtends(rewritten.older, rewritten.newer, rewritten.entries);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(st.message()), HasSubstr("has another root than the earlier checkpoint"));
  // A forger who keeps the old root in the entry still cannot produce a valid path.
  std::vector<ConsistencyEntry> lie = rewritten.entries;
  for (auto& e : lie) {
    if (e.from_size == 100) e.from_root = rewritten.older.root;
  }
  EXPECT_EQ(VerifyExtends(rewritten.older, rewritten.newer, lie).code(), absl::StatusCode::kDataLoss);

  // Rolled back: the store holds fewer records than the earlier export.
  History shrank = MakeHistory(100, 250);
  EXPECT_THAT(std::string(VerifyExtends(shrank.newer, shrank.older, {}).message()), HasSubstr("the store shrank"));
  // No proof from that size in the newer export; another tree altogether.
  EXPECT_EQ(VerifyExtends(grew.older, grew.newer, {}).code(), absl::StatusCode::kNotFound);
  Checkpoint other = grew.older;
  other.origin = "elsewhere";
  EXPECT_EQ(VerifyExtends(other, grew.newer, grew.entries).code(), absl::StatusCode::kDataLoss);

  // Through the sidecar.
  Export e = MakeExport(3);
  std::stringstream out;
  {
    SidecarWriter w(out, e.evidence, grew.entries);
    w.Add(1, e.proofs[0]);
  }
  std::stringstream in(out.str());
  auto r = SidecarReader::Open(in);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->consistency(), grew.entries);
  uint64_t seq = 0;
  RecordProof p;
  ASSERT_TRUE(*r->Next(&seq, &p));
  EXPECT_EQ(p, e.proofs[0]);
  EXPECT_FALSE(*r->Next(&seq, &p));
  EXPECT_EQ(*ParseConsistency(ConsistencyToJson(grew.entries[0]).dump()), grew.entries[0]);
  EXPECT_THAT(
      std::string(ParseConsistency("{\"from_size\":1,\"from_root\":\"AAAA\",\"path\":\"\"}").status().message()),
      HasSubstr("\"from_root\": must be 32 bytes"));
}

TEST(ExportVerifier, AcceptsTheGenuineExportAndCatchesEachForgery) {
  Export e = MakeExport(300);
  const TrustedKeys trusted = Trust(e.key);
  auto v = ExportVerifier::Create(e.evidence, {&trusted, ""});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->checkpoint().tree_size, 300u);
  EXPECT_FALSE(v->timestamp().has_value());
  for (const RecordProof& p : e.proofs) ASSERT_TRUE(v->Verify(p).ok()) << p.leaf_index;
  EXPECT_LT(v->batch().hashes_computed(), 2 * 300u);

  // A record edited after the checkpoint was signed; a proof altered; a record moved.
  RecordProof edited = e.proofs[17];
  edited.leaf = "record 17 (edited)";
  EXPECT_EQ(v->Verify(edited).code(), absl::StatusCode::kDataLoss);
  RecordProof altered = e.proofs[18];
  altered.path[3][0] ^= 0x80;
  EXPECT_EQ(v->Verify(altered).code(), absl::StatusCode::kDataLoss);
  RecordProof moved = e.proofs[19];
  moved.leaf_index = 20;
  EXPECT_EQ(v->Verify(moved).code(), absl::StatusCode::kDataLoss);
  RecordProof beyond = e.proofs[19];
  beyond.leaf_index = 300;
  EXPECT_THAT(std::string(v->Verify(beyond).message()), HasSubstr("not in a tree of 300 leaves"));

  // A checkpoint signed by another key, a root swapped in, a key id that lies, no token.
  Export other = MakeExport(300);
  EXPECT_EQ(ExportVerifier::Create(other.evidence, {&trusted, ""}).status().code(), absl::StatusCode::kNotFound);
  ExportEvidence swapped = e.evidence;
  swapped.checkpoint = absl::StrReplaceAll(swapped.checkpoint, {{"\n300\n", "\n299\n"}});
  EXPECT_EQ(ExportVerifier::Create(swapped, {&trusted, ""}).status().code(), absl::StatusCode::kDataLoss);
  ExportEvidence lying = e.evidence;
  lying.key_id = "0000000000000000";
  EXPECT_THAT(std::string(ExportVerifier::Create(lying, {&trusted, ""}).status().message()),
              HasSubstr("is not the checkpoint's signing key"));
  EXPECT_THAT(std::string(ExportVerifier::Create(e.evidence, {&trusted, "/nonexistent-ca.pem"}).status().message()),
              HasSubstr("no time-stamp token"));
  EXPECT_FALSE(ExportVerifier::Create(e.evidence, {nullptr, ""}).ok());
}

}  // namespace
}  // namespace paraat
