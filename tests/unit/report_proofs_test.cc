// OSCAL and HTML reports that prove what they cite (issue 14): the model keeps the inclusion
// proofs of the records its capped lists keep and no others, however many records stream by;
// OSCAL carries one back-matter resource per cited record, linked from its observations and
// still valid against NIST's schema, which ReadOscalEvidence takes back out and a real signed
// checkpoint verifies; HTML shows each proof and a proof file that reads as a sidecar.
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base64.h"
#include "common/evidence_format.h"
#include "common/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report/report_html.h"
#include "report/report_model.h"
#include "report/report_oscal.h"
#include "report/report_oscal_proofs.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1'800'000'000'000'000'000;
constexpr int64_t kMinute = 60'000'000'000;

v1::ExportHeader PlanHeader() {
  v1::ExportHeader h;
  auto* p = h.add_plans();
  p->set_id("brp");
  p->set_name("BRP");
  p->set_rpo_ns(900'000'000'000);
  p->set_rto_ns(4 * 3600'000'000'000);
  p->add_controls("bio2:8.13.04");
  for (const auto& [role, source] : {std::pair{"recovery_point", "db/dump"}, std::pair{"restore_test", "db/drill"}}) {
    auto* s = p->add_sources();
    s->set_role(role);
    s->set_source(source);
  }
  auto* st = h.add_statuses();
  st->set_plan_id("brp");
  st->set_state(v1::PLAN_STATE_READY);
  st->set_evaluated_unix_ns(kT0 + 3600'000'000'000);
  h.set_generated_unix_ns(kT0 + 3600'000'000'000);
  h.mutable_verification()->set_ok(true);
  h.mutable_verification()->set_head_hash(std::string(32, '\x01'));
  return h;
}

// Record `seq` (leaf seq - 1) of the stream: a result of db/dump or db/drill, a transition now
// in ten, an exercise now and then; its message carries text HTML must escape.
v1::ExportedRecord StreamRecord(uint64_t seq) {
  v1::ExportedRecord er;
  auto* r = er.mutable_record();
  r->set_seq(seq);
  r->set_recorded_unix_ns(kT0 + static_cast<int64_t>(seq) * kMinute);
  if (seq % 10 == 0) {
    auto* t = r->mutable_transition();
    t->set_plan_id("brp");
    t->set_from(v1::PLAN_STATE_AT_RISK);
    t->set_to(v1::PLAN_STATE_READY);
  } else if (seq % 97 == 0) {
    auto* e = r->mutable_exercise();
    e->set_plan_id("brp");
    e->set_kind("tabletop");
    e->set_passed(true);
    e->set_performed_unix_ns(r->recorded_unix_ns());
  } else {
    auto* res = r->mutable_result();
    res->set_agent_id("db");
    auto* x = res->mutable_result();
    const bool drill = seq % 3 == 0;
    x->set_check_id(drill ? "drill" : "dump");
    x->set_kind(drill ? "restore_test" : "file_backup");
    x->set_status(v1::CHECK_STATUS_OK);
    x->set_started_unix_ns(r->recorded_unix_ns());
    x->set_message(absl::StrCat("run ", seq, " <b>&\"'"));
    if (!drill) x->mutable_facts()->set_recovery_point_unix_ns(r->recorded_unix_ns() - kMinute);
  }
  er.add_plan_ids("brp");
  er.set_hash(std::string(32, '\x02'));
  return er;
}

// A stream of `n` records with real proofs under a real signed checkpoint.
struct SignedStream {
  SigningKey key = *SigningKey::Generate();
  v1::ExportHeader header = PlanHeader();
  std::vector<v1::ExportedRecord> records;
};

SignedStream MakeSignedStream(uint64_t n) {
  SignedStream s;
  MemoryNodeStore store;
  CompactRange range;
  MerkleHasher h;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    s.records.push_back(StreamRecord(seq));
    std::vector<Node> done;
    range.Append(h.HashLeaf(s.records.back().record().SerializeAsString()), h, &done);
    store.PutAll(done);
  }
  Checkpoint c;
  c.origin = "paraat.example/evidence";
  c.tree_size = n;
  c.root = range.Root(h);
  c.time = absl::FromUnixSeconds(1795860000);
  c.collector_id = "collector-a";
  auto sc = SignCheckpoint(c, s.key);
  auto* cp = s.header.mutable_checkpoint();
  cp->set_note(sc->body);
  cp->set_signature(sc->signature);
  cp->set_key_id(s.key.key_id());
  cp->set_public_key_pem(s.key.public_key().Pem());
  for (auto& er : s.records) {
    auto* p = er.mutable_proof();
    p->set_leaf_index(er.record().seq() - 1);
    p->set_leaf(er.record().SerializeAsString());
    auto path = InclusionProof(p->leaf_index(), n, store);
    if (!path.ok()) std::abort();
    for (const Digest& d : *path) p->add_path(std::string(DigestBytes(d)));
  }
  return s;
}

ReportModel Model(const SignedStream& s) {
  ReportModel m;
  m.Header(s.header);
  for (const auto& er : s.records) m.Record(er);
  m.Finish(absl::FromUnixNanos(kT0), absl::FromUnixNanos(kT0 + 3600'000'000'000));
  return m;
}

TrustedKeys Trust(const SigningKey& key) {
  TrustedKeys t;
  t.Add(key.public_key());
  return t;
}

TEST(ReportProofs, TheModelKeepsTheProofsOfCitedRecordsOnly) {
  // Ten times more records than the lists keep: the proofs kept stay bounded all along, and at
  // the end are exactly those of the records the report cites.
  ReportModel m;
  m.Header(PlanHeader());
  v1::ExportedRecord er;
  er.mutable_proof()->set_leaf("leaf");
  er.mutable_proof()->add_path(std::string(32, 'p'));
  size_t most = 0;
  const uint64_t n = 20 * ReportModel::kMaxList;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    v1::ExportedRecord r = StreamRecord(seq);
    *r.mutable_proof() = er.proof();
    r.mutable_proof()->set_leaf_index(seq - 1);
    m.Record(r);
    most = std::max(most, m.proofs().size());
  }
  EXPECT_LE(most, 8 * ReportModel::kMaxList) << "proofs of records no list cites any more are dropped as it goes";
  m.Finish(absl::FromUnixNanos(kT0), absl::FromUnixNanos(kT0 + 3600'000'000'000));
  const PlanReport& p = m.plans()[0];
  const std::set<uint64_t> cited = CitedSeqs(p);
  std::set<uint64_t> kept;
  for (const auto& [seq, proof] : m.proofs()) {
    kept.insert(seq);
    EXPECT_EQ(proof.leaf_index, seq - 1);
  }
  EXPECT_EQ(kept, cited);
  EXPECT_LE(p.transitions.size(), ReportModel::kMaxList + ReportModel::kMaxList / 4);
  EXPECT_TRUE(cited.count(p.sources.at("db/dump").last_seq));  // each source's latest result
  EXPECT_TRUE(cited.count(p.transitions.back().seq));
  EXPECT_TRUE(cited.count(p.exercise_seqs.back()));
  EXPECT_FALSE(cited.count(1)) << "an early dump result, long superseded";
  EXPECT_FALSE(cited.count(p.transitions.front().seq - 10)) << "a transition the capped list dropped";
}

// The back-matter resource of each record, by seq.
std::map<uint64_t, json> RecordResources(const json& doc) {
  std::map<uint64_t, json> out;
  for (const json& r : doc["assessment-results"]["back-matter"]["resources"]) {
    const std::string name = r["base64"]["filename"];
    if (name.rfind("record-", 0) == 0) out[std::stoull(name.substr(7))] = r;
  }
  return out;
}

TEST(ReportProofs, OscalCarriesAndLinksEveryCitedRecordsProof) {
  SignedStream s = MakeSignedStream(3000);
  ReportModel m = Model(s);
  ASSERT_GT(m.proofs().size(), 100u);
  const std::string text = RenderOscal(m);
  const json doc = json::parse(text);
  const auto resources = RecordResources(doc);
  ASSERT_EQ(resources.size(), m.proofs().size());
  std::map<std::string, uint64_t> seq_of;
  for (const auto& [seq, r] : resources) {
    seq_of[r["uuid"]] = seq;
    EXPECT_EQ(r["base64"]["filename"], absl::StrCat("record-", seq, ".proof.json"));
    std::string line;
    ASSERT_TRUE(Base64Decode(r["base64"]["value"].get<std::string>(), &line));
    EXPECT_EQ(json::parse(line)["seq"], seq) << "a sidecar line";
  }
  // Every observation that names a record links to its resource: the latest results, the
  // transitions (from the evaluation), the exercises.
  size_t links = 0;
  std::set<uint64_t> linked;
  for (const json& o : doc["assessment-results"]["results"][0]["observations"]) {
    for (const json& e : o.value("relevant-evidence", json::array())) {
      if (!e.contains("href")) continue;
      ++links;
      const std::string uuid = e["href"].get<std::string>().substr(1);
      ASSERT_TRUE(seq_of.count(uuid)) << e.dump();
      EXPECT_THAT(e["description"].get<std::string>(), HasSubstr(absl::StrCat("record ", seq_of[uuid])));
      linked.insert(seq_of[uuid]);
    }
  }
  const PlanReport& p = m.plans()[0];
  EXPECT_TRUE(linked.count(p.sources.at("db/dump").last_seq));
  EXPECT_TRUE(linked.count(p.sources.at("db/drill").last_seq));
  EXPECT_TRUE(linked.count(p.transitions.front().seq));
  EXPECT_TRUE(linked.count(p.exercise_seqs.front()));
  EXPECT_GE(links, linked.size());

  // Taken back out, the proofs verify against the signed checkpoint.
  auto back = ReadOscalEvidence(doc);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->records.size(), m.proofs().size());
  const TrustedKeys keys = Trust(s.key);
  auto v = ExportVerifier::Create(back->evidence, ExportVerifyOptions{&keys, ""});
  ASSERT_TRUE(v.ok()) << v.status();
  for (const auto& [seq, proof] : back->records) {
    EXPECT_EQ(proof, m.proofs().at(seq));
    EXPECT_TRUE(v->Verify(proof).ok()) << "record " << seq;
  }

  if (!testing::HaveProgram("node")) GTEST_SKIP() << "node is needed for the OSCAL schema check";
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "e.oscal.json", text);
  testing::RunResult valid = testing::RunCommand(
      {"node", std::string(PARAAT_SOURCE_DIR) + "/tests/js/validate-oscal.js",
       std::string(PARAAT_SOURCE_DIR) + "/tests/data/oscal/oscal_complete_schema-1-1-3.json", dir / "e.oscal.json"});
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
}

TEST(ReportProofs, AnEditedOscalProofPropOrLinkIsFound) {
  SignedStream s = MakeSignedStream(200);
  const json doc = json::parse(RenderOscal(Model(s)));
  const auto resources = RecordResources(doc);
  ASSERT_GE(resources.size(), 3u);
  const uint64_t seq = std::next(resources.begin())->first;
  auto edit = [&](const std::function<void(json&)>& change) {
    json d = doc;
    for (json& r : d["assessment-results"]["back-matter"]["resources"]) {
      if (r["base64"]["filename"] == absl::StrCat("record-", seq, ".proof.json")) change(r);
    }
    return d;
  };

  // The proof's path: it reads, and no longer verifies.
  json forged = edit([](json& r) {
    std::string line;
    ASSERT_TRUE(Base64Decode(r["base64"]["value"].get<std::string>(), &line));
    json j = json::parse(line);
    std::string path = j["path"];
    path[0] = path[0] == 'A' ? 'B' : 'A';
    j["path"] = path;
    r["base64"]["value"] = Base64Encode(j.dump());
  });
  auto back = ReadOscalEvidence(forged);
  ASSERT_TRUE(back.ok()) << back.status();
  const TrustedKeys keys = Trust(s.key);
  auto v = ExportVerifier::Create(back->evidence, ExportVerifyOptions{&keys, ""});
  ASSERT_TRUE(v.ok()) << v.status();
  for (const auto& [n, proof] : back->records) EXPECT_EQ(v->Verify(proof).ok(), n != seq) << "record " << n;

  // A prop that says another leaf hash than the proof's.
  back = ReadOscalEvidence(edit([](json& r) { r["props"][2]["value"] = std::string(64, '0'); }));
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(), HasSubstr(absl::StrCat("record ", seq, ": ")));
  // Base64 that is not canonical.
  back = ReadOscalEvidence(edit([](json& r) { r["base64"]["value"] = "not base64!"; }));
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(), HasSubstr(absl::StrCat("record-", seq, ".proof.json")));
  // A resource taken away that an observation links to.
  json gone = doc;
  auto& list = gone["assessment-results"]["back-matter"]["resources"];
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i]["base64"]["filename"] == absl::StrCat("record-", seq, ".proof.json")) list.erase(i);
  }
  back = ReadOscalEvidence(gone);
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(back.status().message(), HasSubstr("which is no resource of the document"));
  // Without a checkpoint there is nothing to verify.
  json bare = doc;
  bare["assessment-results"].erase("back-matter");
  EXPECT_THAT(ReadOscalEvidence(bare).status().message(), HasSubstr("carries no proof"));
}

std::string Unescape(std::string s) {
  return absl::StrReplaceAll(s, {{"&quot;", "\""}, {"&#39;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}});
}

TEST(ReportProofs, HtmlShowsEachCitedRecordsProofAndAProofFile) {
  SignedStream s = MakeSignedStream(600);
  ReportModel m = Model(s);
  const std::string html = RenderHtml(m);
  EXPECT_THAT(html, HasSubstr("<h2 id='proofs'>Inclusion proofs of the cited records</h2>"));
  EXPECT_THAT(html, HasSubstr("paraatctl evidence verify --export report.proof.jsonl --trust collector.pub"));
  MerkleHasher h;
  for (const auto& [seq, proof] : m.proofs()) {
    EXPECT_THAT(html, HasSubstr(absl::StrCat("<tr id='record-", seq, "'><td>", seq, "</td><td>", proof.leaf_index,
                                             "</td><td><code>", ToHex(h.HashLeaf(proof.leaf)), "</code>")));
    if (!proof.path.empty()) {
      EXPECT_THAT(html, HasSubstr(ToHex(proof.path.back())));
    }
  }
  const PlanReport& p = m.plans()[0];
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<a href='#record-", p.sources.at("db/dump").last_seq, "'>")));
  EXPECT_THAT(html, Not(HasSubstr("<b>&\"'"))) << "the agents' text stays escaped";

  // The proof file reads as a sidecar, and its proofs verify against the signed checkpoint.
  const size_t at = html.find("<pre class='proof'>");
  ASSERT_NE(at, std::string::npos);
  const size_t from = at + std::string("<pre class='proof'>").size();
  const std::string file = html.substr(from, html.find("</pre>", from) - from);
  EXPECT_THAT(file, Not(HasSubstr("\""))) << "quotes are escaped";
  std::istringstream in(Unescape(file));
  auto reader = SidecarReader::Open(in);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const TrustedKeys keys = Trust(s.key);
  auto v = ExportVerifier::Create(reader->evidence(), ExportVerifyOptions{&keys, ""});
  ASSERT_TRUE(v.ok()) << v.status();
  size_t n = 0;
  uint64_t seq = 0;
  RecordProof proof;
  while (*reader->Next(&seq, &proof)) {
    EXPECT_EQ(proof, m.proofs().at(seq));
    EXPECT_TRUE(v->Verify(proof).ok()) << "record " << seq;
    ++n;
  }
  EXPECT_EQ(n, m.proofs().size());
}

TEST(ReportProofs, WithoutACheckpointThereAreNoProofsToShow) {
  ReportModel m;
  m.Header(PlanHeader());
  for (uint64_t seq = 1; seq <= 10; ++seq) m.Record(StreamRecord(seq));
  m.Finish(absl::FromUnixNanos(kT0), absl::FromUnixNanos(kT0 + 3600'000'000'000));
  EXPECT_TRUE(m.proofs().empty());
  const json oscal = json::parse(RenderOscal(m));
  EXPECT_FALSE(oscal["assessment-results"].contains("back-matter"));
  for (const json& o : oscal["assessment-results"]["results"][0]["observations"]) {
    for (const json& e : o.value("relevant-evidence", json::array())) EXPECT_FALSE(e.contains("href")) << e.dump();
  }
  EXPECT_THAT(RenderHtml(m), Not(HasSubstr("id='proofs'")));
}

}  // namespace
}  // namespace paraat
