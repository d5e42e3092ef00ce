// Reviews, trainings, incidents and NIS2 reports in every export: CSV and JSON rows with time and
// author, the HTML report's contacts and timeline, OSCAL parties and observations (valid against
// NIST's OSCAL 1.1.3 schema), and the controls that ask for training.
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report/export.h"
#include "report/report_html.h"
#include "report/report_model.h"
#include "report/report_oscal.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'800'000'000'000'000'000;
constexpr int64_t kHour = 3600'000'000'000;

v1::ExportHeader Header() {
  v1::ExportHeader h;
  auto* p = h.add_plans();
  p->set_id("brp");
  p->set_name("BRP");
  p->set_rpo_ns(kHour);
  p->set_rto_ns(4 * kHour);
  p->set_training_every_ns(365 * 24 * kHour);
  p->set_review_every_ns(365 * 24 * kHour);
  auto* c = p->add_contacts();
  c->set_role("owner");
  c->set_name("Anne de Vries");
  c->set_phone("+31 6 1234 5678");
  c->set_email("anne@example.nl");
  for (const char* id : {"iso27001-2022:A.6.3", "nis2-ir-2024-2690:4.1.4", "nis2:23"}) p->add_controls(id);
  auto* st = h.add_statuses();
  st->set_plan_id("brp");
  st->set_state(v1::PLAN_STATE_READY);
  st->set_rto_ns(4 * kHour);
  st->set_evaluated_unix_ns(kT0 + 10 * kHour);
  st->set_state_since_unix_ns(kT0);
  h.set_generated_unix_ns(kT0 + 10 * kHour);
  h.mutable_verification()->set_ok(true);
  h.mutable_verification()->set_head_hash(std::string(32, '\x02'));
  return h;
}

std::vector<v1::ExportedRecord> Records() {
  std::vector<v1::ExportedRecord> out;
  auto add = [&](uint64_t seq) -> v1::EvidenceRecord* {
    out.emplace_back();
    out.back().add_plan_ids("brp");
    auto* r = out.back().mutable_record();
    r->set_seq(seq);
    r->set_recorded_unix_ns(kT0 + seq * kHour);
    return r;
  };
  auto* t = add(1)->mutable_exercise();
  t->set_plan_id("brp");
  t->set_kind("training");
  t->set_performed_unix_ns(kT0);
  t->set_passed(true);
  t->set_participants(12);
  t->set_topic("restore procedure for the BRP database");
  t->set_recorded_by("anne");
  auto* v = add(2)->mutable_review();
  v->set_plan_id("brp");
  v->set_reviewed_unix_ns(kT0 + 2 * kHour);
  v->set_reviewed_by("Anne de Vries");
  v->set_plan_sha256(std::string(64, 'a'));
  v->set_plan_file("plans/brp.yaml");
  v->set_notes("yearly review");
  auto* o = add(3)->mutable_incident();
  o->set_plan_id("brp");
  o->set_event("opened");
  o->set_started_unix_ns(kT0 + 3 * kHour);
  o->set_summary("database lost");
  o->set_significant(true);
  o->set_recorded_by("bob");
  auto* c = add(4)->mutable_incident();
  *c = *o;
  c->set_event("closed");
  c->set_opened_seq(3);
  c->set_recovered_unix_ns(kT0 + 6 * kHour);
  c->set_notes("restored from the dump");
  return out;
}

std::string Export(const std::string& format) {
  std::ostringstream out;
  auto sink = MakeExportSink(format, out);
  sink->Header(Header());
  for (const auto& r : Records()) sink->Record(r);
  sink->Finish(absl::FromUnixNanos(kT0 - kHour), absl::FromUnixNanos(kT0 + 10 * kHour));
  return out.str();
}

TEST(LivingExport, CsvAndJsonCarryTimeAndAuthor) {
  const std::string csv = Export("csv");
  EXPECT_THAT(csv, HasSubstr(",review,brp,"));
  EXPECT_THAT(csv, HasSubstr("reviewed_by=Anne de Vries"));
  EXPECT_THAT(csv, HasSubstr("plan_sha256=aaaa"));
  EXPECT_THAT(csv, HasSubstr(",incident,brp,"));
  EXPECT_THAT(csv, HasSubstr("incident closed: recovered in 3h (database lost)"));
  EXPECT_THAT(csv, HasSubstr("participants=12; topic=restore procedure for the BRP database"));
  auto j = nlohmann::json::parse(Export("json"));
  const auto& recs = j["records"];
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0]["exercise"]["participants"], 12);
  EXPECT_EQ(recs[1]["type"], "review");
  EXPECT_EQ(recs[1]["review"]["reviewed_by"], "Anne de Vries");
  EXPECT_EQ(recs[1]["review"]["reviewed_at"], "2027-01-15T10:00:00Z");
  EXPECT_EQ(recs[3]["incident"]["event"], "closed");
  EXPECT_EQ(recs[3]["incident"]["recovery_seconds"], 3 * 3600);
  EXPECT_EQ(recs[3]["incident"]["recorded_by"], "bob");
}

TEST(LivingExport, HtmlShowsWhomToCallAndTheTimeline) {
  const std::string html = Export("html");
  EXPECT_THAT(html, HasSubstr("Whom to call"));
  EXPECT_THAT(html, HasSubstr("+31 6 1234 5678"));
  EXPECT_THAT(html, HasSubstr("Reviews, incidents and reports"));
  EXPECT_THAT(html, HasSubstr("plan reviewed by Anne de Vries"));
  EXPECT_THAT(html, HasSubstr("significant incident opened: database lost"));
  EXPECT_THAT(html, HasSubstr("restore test (incident)"));  // the real recovery, with the restore tests
}

TEST(LivingExport, OscalPartiesObservationsAndControls) {
  const std::string text = Export("oscal");
  auto doc = nlohmann::json::parse(text);
  const auto& md = doc["assessment-results"]["metadata"];
  ASSERT_EQ(md["parties"].size(), 1u);
  EXPECT_EQ(md["parties"][0]["name"], "Anne de Vries");
  EXPECT_EQ(md["parties"][0]["telephone-numbers"][0]["number"], "+31 6 1234 5678");
  EXPECT_EQ(md["responsible-parties"][0]["role-id"], "owner");
  EXPECT_EQ(md["responsible-parties"][0]["party-uuids"][0], md["parties"][0]["uuid"]);
  EXPECT_THAT(text, HasSubstr("\"title\": \"Plan review\""));
  EXPECT_THAT(text, HasSubstr("\"title\": \"Incident: closed\""));
  // Training evidence serves ISO 27001 A.6.3; reviews serve NIS2 IR 4.1.4; incidents NIS2 art. 23.
  std::string findings;
  for (const auto& f : doc["assessment-results"]["results"][0]["findings"]) findings += f.dump();
  EXPECT_THAT(findings, HasSubstr("iso27001-2022:A.6.3: Information security awareness"));
  EXPECT_THAT(findings, ::testing::Not(HasSubstr("No evidence source of this plan serves")));

  if (!testing::HaveProgram("node")) GTEST_SKIP() << "node is needed for the OSCAL schema check";
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "e.oscal.json", text);
  testing::RunResult v = testing::RunCommand(
      {"node", std::string(PARAAT_SOURCE_DIR) + "/tests/js/validate-oscal.js",
       std::string(PARAAT_SOURCE_DIR) + "/tests/data/oscal/oscal_complete_schema-1-1-3.json", dir / "e.oscal.json"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

}  // namespace
}  // namespace paraat
