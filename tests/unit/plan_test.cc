#include "collector/evaluation/plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGoodPlan[] = R"(id: brp
name: Basisregistratie Personen
owner: Team Burgerzaken
tier: 1
objectives: {rpo: 15m, rto: 4h, mtpd: 24h}
tests: {restore_every: 90d, failover_every: 365d, exercise_every: 365d}
sources:
  recovery_point: [db-01/pg-standby, db-01/pg-dump-nightly]
  integrity: [backup-01/restic-offsite]
  restore_test: [backup-01/restore-drill]
  failover: [dr-01/standby-http]
controls: [iso27001-2022:A.8.13, iso27001-2022:A.5.30, bio2:8.13.04, nis2:21.2.c, nen7510-2024:A.8.13]
)";

TEST(ParsePlan, ReadsTheWholeFormat) {
  auto plan = ParsePlan(kGoodPlan, "plans/brp.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->id, "brp");
  EXPECT_EQ(plan->name, "Basisregistratie Personen");
  EXPECT_EQ(plan->owner, "Team Burgerzaken");
  EXPECT_EQ(plan->tier, 1);
  EXPECT_EQ(plan->rpo, absl::Minutes(15));
  EXPECT_EQ(plan->rto, absl::Hours(4));
  EXPECT_EQ(plan->mtpd, absl::Hours(24));
  EXPECT_EQ(plan->restore_every, absl::Hours(24 * 90));
  EXPECT_EQ(plan->failover_every, absl::Hours(24 * 365));
  EXPECT_EQ(plan->exercise_every, absl::Hours(24 * 365));
  EXPECT_THAT(plan->recovery_point, ElementsAre("db-01/pg-standby", "db-01/pg-dump-nightly"));
  EXPECT_THAT(plan->integrity, ElementsAre("backup-01/restic-offsite"));
  EXPECT_THAT(plan->restore_test, ElementsAre("backup-01/restore-drill"));
  EXPECT_THAT(plan->failover, ElementsAre("dr-01/standby-http"));
  EXPECT_EQ(plan->controls.size(), 5u);
  EXPECT_EQ(plan->AllSources().size(), 5u);
  EXPECT_EQ(plan->sha256.size(), 64u);
}

TEST(ParsePlan, MinimalPlanLeavesCadenceUnset) {
  auto plan = ParsePlan("id: p\nname: P\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n", "p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->mtpd);
  EXPECT_FALSE(plan->restore_every);
  EXPECT_FALSE(plan->exercise_every);
}

TEST(ParsePlan, ProcessWithOnlyDependencies) {
  auto plan = ParsePlan(
      "id: paspoort\nname: Paspoort\nobjectives: {rpo: 1h, rto: 24h}\ndepends_on: [brp, zaak]\n"
      "accept_unevidenced: {rto: \"supplier restores it\"}\n",
      "p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->depends_on, ElementsAre("brp", "zaak"));
  EXPECT_EQ(plan->depends_on_line, 4);
  EXPECT_TRUE(plan->AllSources().empty());
  EXPECT_EQ(plan->accept_unevidenced.at("rto"), "supplier restores it");
  auto proto = ToProto(*plan);
  EXPECT_EQ(proto.depends_on_size(), 2);
  EXPECT_EQ(proto.accept_unevidenced().at("rto"), "supplier restores it");
}

TEST(ParsePlan, RequiredAssurance) {
  auto plan = ParsePlan(
      "id: p\nname: P\nobjectives: {rpo: 1h, rto: 4h}\nsources: {recovery_point: [a/b]}\n"
      "require: {rpo: verified, rto: restored}\n",
      "p.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->require.at("rpo"), Assurance::kVerified);
  EXPECT_EQ(plan->require.at("rto"), Assurance::kRestored);
  EXPECT_EQ(ToProto(*plan).require().at("rto"), "restored");
}

struct BadPlan {
  const char* name;
  const char* yaml;
  const char* error;
};

class ParsePlanErrors : public ::testing::TestWithParam<BadPlan> {};

TEST_P(ParsePlanErrors, NamesFileLineAndKey) {
  auto plan = ParsePlan(GetParam().yaml, "plans/x.yaml");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Validation, ParsePlanErrors,
    ::testing::Values(
        BadPlan{"bad_duration",
                "id: brp\nname: B\nobjectives:\n  rpo: fifteen\n  rto: 4h\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:4: objectives.rpo: \"fifteen\" is not a duration"},
        BadPlan{"missing_id", "name: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:1: id: is required"},
        BadPlan{"missing_rto", "id: p\nname: B\nobjectives: {rpo: 1h}\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:3: objectives.rto: is required"},
        BadPlan{"rto_over_mtpd",
                "id: p\nname: B\nobjectives:\n  rpo: 1h\n  rto: 2d\n  mtpd: 1d\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:5: objectives.rto: rto 2d exceeds mtpd 1d"},
        BadPlan{"zero_duration", "id: p\nname: B\nobjectives: {rpo: 0s, rto: 1h}\nsources: {recovery_point: [a/b]}\n",
                "objectives.rpo: must be longer than zero"},
        BadPlan{"no_sources", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {}\n",
                "sources: names no source"},
        BadPlan{"malformed_source",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  recovery_point: [db01-pgdump]\n",
                "plans/x.yaml:5: sources.recovery_point: \"db01-pgdump\" is not a source; write agent/check"},
        BadPlan{"duplicate_source",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  recovery_point: [a/b, a/b]\n",
                "sources.recovery_point: \"a/b\" is listed twice"},
        BadPlan{"unknown_role", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources:\n  recovery_points: [a/b]\n",
                "plans/x.yaml:5: sources.recovery_points: unknown key (did you mean \"recovery_point\"?)"},
        BadPlan{
            "bad_control",
            "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\ncontrols: [8.13.04]\n",
            "controls: \"8.13.04\" is not a control id"},
        BadPlan{"bad_id", "id: 'my plan'\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:1: id: \"my plan\" is not a valid id"},
        BadPlan{"tier_range",
                "id: p\nname: B\ntier: 12\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n",
                "plans/x.yaml:3: tier: 12 is out of range (1 to 9)"},
        BadPlan{"depends_on_itself", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\ndepends_on: [q, p]\n",
                "plans/x.yaml:4: depends_on: \"p\" is this plan itself"},
        BadPlan{"depends_on_twice", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\ndepends_on: [q, q]\n",
                "plans/x.yaml:4: depends_on: \"q\" is listed twice"},
        BadPlan{"depends_on_bad_id", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\ndepends_on: ['a b']\n",
                "plans/x.yaml:4: depends_on: \"a b\" is not a plan id"},
        BadPlan{"no_sources_no_dependencies", "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\n",
                "sources: is required"},
        BadPlan{"accept_unevidenced_rpo",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n"
                "accept_unevidenced: {rpo: \"why\"}\n",
                "plans/x.yaml:5: accept_unevidenced.rpo: unknown key"},
        BadPlan{"accept_unevidenced_empty",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n"
                "accept_unevidenced: {rto: \"\"}\n",
                "plans/x.yaml:5: accept_unevidenced.rto: must not be empty"},
        BadPlan{"require_unknown_level",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n"
                "require: {rpo: verified, rto: tested}\n",
                "plans/x.yaml:5: require.rto: \"tested\" is not an assurance level; write declared, monitored, "
                "verified, restored or exercised"},
        BadPlan{"require_unknown_objective",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n"
                "require: {mtpd: verified}\n",
                "plans/x.yaml:5: require.mtpd: unknown key"},
        BadPlan{"require_not_a_map",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\n"
                "require: verified\n",
                "plans/x.yaml:5: require:"},
        BadPlan{"unknown_top_key",
                "id: p\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [a/b]}\nowner_team: x\n",
                "plans/x.yaml:5: owner_team: unknown key"}),
    [](const ::testing::TestParamInfo<BadPlan>& info) { return info.param.name; });

TEST(LoadPlansDir, LoadsEveryYamlFileAndRejectsDuplicateIds) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "a.yaml",
                          "id: a\nname: A\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [x/y]}\n");
  testing::WriteFileOrDie(dir / "b.yml",
                          "id: b\nname: B\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [x/y]}\n");
  testing::WriteFileOrDie(dir / "notes.txt", "not a plan");
  auto plans = LoadPlansDir(dir.path());
  ASSERT_TRUE(plans.ok()) << plans.status();
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].id, "a");

  testing::WriteFileOrDie(dir / "c.yaml",
                          "id: a\nname: C\nobjectives: {rpo: 1h, rto: 1h}\nsources: {recovery_point: [x/y]}\n");
  testing::WriteFileOrDie(dir / "d.yaml",
                          "id: d\nname: D\nobjectives: {rpo: soon, rto: 1h}\nsources: {recovery_point: [x/y]}\n");
  auto bad = LoadPlansDir(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("c.yaml:1: id: \"a\" is already used by "));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("d.yaml:3: objectives.rpo: \"soon\" is not a duration"));
}

TEST(LoadPlansDir, MissingDirectoryIsAnError) {
  auto plans = LoadPlansDir("/nonexistent/plans");
  ASSERT_FALSE(plans.ok());
  EXPECT_THAT(std::string(plans.status().message()), HasSubstr("/nonexistent/plans: cannot read plans directory"));
}

}  // namespace
}  // namespace paraat
