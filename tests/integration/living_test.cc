// Living plans with real processes: a collector, paraatctl over gRPC on loopback and /metrics.
// A plan review, an incident with its clock (metrics, status, plan show), NIS2 reports, the
// closed incident's recovery counting against the RTO, bad input refused with nothing
// recorded, and a viewer refused.
#include <csignal>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPlan[] = R"(id: brp
name: Basisregistratie Personen
objectives: {rpo: 1h, rto: 4h, mtpd: 24h}
review_every: 365d
sources:
  recovery_point: [itest-01/db-dump]
contacts:
  - {role: owner, name: Anne de Vries, phone: "+31 6 1234 5678", email: anne@example.nl}
)";

// The value of a series on /metrics ("" when absent).
std::string Metric(const CollectorProcess& c, const std::string& series) {
  auto body = HttpGet(c.metrics_url());
  if (!body.ok()) return "";
  const std::string name = "\n" + series + " ";
  size_t at = body->find(name);
  return at == std::string::npos ? "" : body->substr(at + name.size(), body->find('\n', at + 1) - at - name.size());
}

class LivingTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra = "") {
    WriteFileOrDie(dir_ / "plans/brp.yaml", kPlan);
    auto c = StartCollector(dir_.path(), dir_ / "plans", extra);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address()});
    return RunCommand(args);
  }
  nlohmann::json Plan() {
    const RunResult r = Ctl({"status", "--json"});
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "status --json is no JSON: " << r.output << "\ncollector log:\n" << collector_.process->Log();
      return {};
    }
    for (const auto& p : j["plans"]) {
      if (p["plan"] == "brp") return p;
    }
    return {};
  }
  bool HasReason(const std::string& code) { return Plan().dump().find("\"" + code + "\"") != std::string::npos; }
  int Records() {
    auto out = Ctl({"evidence", "verify"}).output;
    return std::atoi(out.substr(out.find("OK: ") + 4).c_str());
  }

  TempDir dir_;
  CollectorProcess collector_;
};

TEST_F(LivingTest, PlanReviewRecordsTheFileDigestAndTellsWhenItChanged) {
  Start();
  ASSERT_TRUE(WaitFor([&] { return HasReason("review_overdue"); }, absl::Seconds(20))) << Plan().dump();
  RunResult r = Ctl({"plan", "review", "--plan", "brp", "--by", "Anne de Vries", "--notes", "yearly review"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("recorded the review of plan brp by Anne de Vries as evidence record"));
  EXPECT_FALSE(HasReason("review_overdue"));
  EXPECT_EQ(Plan()["review"]["by"], "Anne de Vries");
  EXPECT_EQ(Metric(collector_, "paraat_plan_review_plan_changed{plan=\"brp\"}"), "0");
  r = Ctl({"plan", "show", "brp"});
  EXPECT_THAT(r.output, HasSubstr("by Anne de Vries; plan file unchanged since"));
  EXPECT_THAT(r.output, HasSubstr("contact:     owner: Anne de Vries, +31 6 1234 5678, anne@example.nl"));
  EXPECT_THAT(r.output, HasSubstr("plan review: last "));

  // The plan changes after its review.
  WriteFileOrDie(dir_ / "plans/brp.yaml", std::string(kPlan) + "description: now with a standby\n");
  ASSERT_EQ(Ctl({"reload"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Plan()["review"]["plan_changed_since"] == true; }, absl::Seconds(20)));
  EXPECT_THAT(Ctl({"plan", "show", "brp"}).output, HasSubstr("the plan file has CHANGED since that review"));
  EXPECT_EQ(Metric(collector_, "paraat_plan_review_plan_changed{plan=\"brp\"}"), "1");

  // No reviewer, unknown plan: exit 2, nothing recorded.
  const int before = Records();
  EXPECT_EQ(Ctl({"plan", "review", "--plan", "brp"}).exit_code, 2);
  r = Ctl({"plan", "review", "--plan", "nope", "--by", "Anne"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no plan with id \"nope\""));
  EXPECT_EQ(Records(), before);
}

TEST_F(LivingTest, IncidentClockRunsAgainstRtoAndMtpdAndNis2Deadlines) {
  Start();
  EXPECT_EQ(Metric(collector_, "paraat_plan_incident_open{plan=\"brp\"}"), "0");
  RunResult r = Ctl(
      {"incident", "open", "--plan", "brp", "--started", "5h", "--summary", "database server lost", "--significant"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("opened significant incident on plan brp as evidence record"));
  EXPECT_THAT(r.output, HasSubstr("RTO 4h passed 1h ago"));
  EXPECT_THAT(r.output, HasSubstr("NIS2 early warning: due "));
  EXPECT_THAT(r.output, HasSubstr("next due: NIS2 early warning"));
  EXPECT_EQ(Metric(collector_, "paraat_plan_incident_open{plan=\"brp\"}"), "1");
  const double elapsed = std::atof(Metric(collector_, "paraat_plan_incident_elapsed_seconds{plan=\"brp\"}").c_str());
  EXPECT_GE(elapsed, 5 * 3600);
  EXPECT_LT(elapsed, 5 * 3600 + 600);
  EXPECT_NE(
      Metric(collector_, "paraat_plan_incident_report_due_timestamp_seconds{plan=\"brp\",report=\"early-warning\"}"),
      "");
  EXPECT_TRUE(HasReason("incident_rto_passed"));
  EXPECT_EQ(Plan()["state"], "not_ready");
  EXPECT_THAT(Ctl({"status"}).output, HasSubstr("Incident on brp (significant): open since "));

  // Bad input: exit 2 and nothing recorded.
  const int before = Records();
  r = Ctl({"incident", "open", "--plan", "brp", "--summary", "again"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("already open"));
  EXPECT_EQ(Ctl({"incident", "open", "--plan", "nope", "--summary", "x"}).exit_code, 2);
  r = Ctl({"incident", "close", "--plan", "brp", "--recovered", "2999-01-01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("in the future"));
  r = Ctl({"incident", "close", "--plan", "brp", "--recovered", "6h"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("before the incident started"));
  EXPECT_EQ(Ctl({"incident", "report", "--plan", "brp", "--kind", "weekly"}).exit_code, 2);
  EXPECT_EQ(Records(), before);

  r = Ctl({"incident", "report", "--plan", "brp", "--kind", "early-warning", "--at", "4h"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("NIS2 early warning: reported "));
  EXPECT_THAT(r.output, HasSubstr("next due: NIS2 incident notification"));
  EXPECT_EQ(
      Metric(collector_, "paraat_plan_incident_report_due_timestamp_seconds{plan=\"brp\",report=\"early-warning\"}"),
      "");

  // Recovered an hour ago after four: the real recovery took 4h, within the RTO; a review falls due.
  r = Ctl({"incident", "close", "--plan", "brp", "--recovered", "1h", "--notes", "restored from the night's dump"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Metric(collector_, "paraat_plan_incident_open{plan=\"brp\"}"), "0");
  EXPECT_EQ(Metric(collector_, "paraat_plan_incident_elapsed_seconds{plan=\"brp\"}"), "");
  nlohmann::json p = Plan();
  EXPECT_NEAR(p["restore_test"]["duration_seconds"].get<double>(), 4 * 3600, 2);
  EXPECT_FALSE(HasReason("incident_rto_passed"));
  EXPECT_TRUE(HasReason("review_overdue") || HasReason("review_due"));
  EXPECT_EQ(p["incident"]["open"], false);  // closed, the NIS2 notification and final report still due
  r = Ctl({"incident", "close", "--plan", "brp"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("nothing to close"));
  // The final report can be made after the incident closed.
  EXPECT_EQ(Ctl({"incident", "report", "--plan", "brp", "--kind", "notification"}).exit_code, 0);
  EXPECT_EQ(Ctl({"incident", "report", "--plan", "brp", "--kind", "final"}).exit_code, 0);
  EXPECT_TRUE(Plan()["incident"].is_null());

  // All of it survives a restart: folded back from the store.
  collector_.process->Signal(SIGTERM);
  ASSERT_EQ(collector_.process->Wait(absl::Seconds(30)), 0);
  // A log of its own: the ports are read from the log, and the first one's still names its own.
  auto c = StartCollector(dir_.path(), dir_ / "plans", "", 0, "collector-2.log");
  ASSERT_TRUE(c.ok()) << c.status();
  collector_ = std::move(*c);
  ASSERT_TRUE(WaitFor([&] { return !Plan().is_null() && Plan()["restore_test"].is_object(); }, absl::Seconds(20)));
  EXPECT_NEAR(Plan()["restore_test"]["duration_seconds"].get<double>(), 4 * 3600, 2);
  EXPECT_EQ(Ctl({"incident", "close", "--plan", "brp"}).exit_code, 2);
}

// `plan show --json` carries what the text shows: whom to call, the cadences, the MTPD, the
// plan file and its digest, the exercises, and the incident's clock with the next NIS2 report.
TEST_F(LivingTest, PlanShowJsonCarriesContactsCadencesExercisesAndTheIncidentClock) {
  Start();
  ASSERT_EQ(Ctl({"exercise", "record", "--plan", "brp", "--kind", "training", "--date", "1d", "--participants", "7",
                 "--topic", "calling the crisis team"})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"incident", "open", "--plan", "brp", "--started", "5h", "--summary", "database server lost",
                 "--significant"})
                .exit_code,
            0);
  RunResult r = Ctl({"plan", "show", "brp", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  ASSERT_EQ(j["contacts"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["contacts"][0]["role"], "owner");
  EXPECT_EQ(j["contacts"][0]["name"], "Anne de Vries");
  EXPECT_EQ(j["contacts"][0]["phone"], "+31 6 1234 5678");
  EXPECT_EQ(j["contacts"][0]["email"], "anne@example.nl");
  EXPECT_EQ(j["every_seconds"]["review"], 365 * 86400.0);
  EXPECT_EQ(j["mtpd_seconds"], 86400.0);
  EXPECT_THAT(j["file"].get<std::string>(), ::testing::EndsWith("plans/brp.yaml"));
  EXPECT_EQ(j["plan_sha256"].get<std::string>().size(), 64u);
  ASSERT_EQ(j["exercises"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["exercises"][0]["kind"], "training");
  EXPECT_EQ(j["exercises"][0]["participants"], 7);
  EXPECT_EQ(j["exercises"][0]["topic"], "calling the crisis team");

  const nlohmann::json& i = j["incident"];
  ASSERT_TRUE(i.is_object()) << j.dump(2);
  EXPECT_EQ(i["open"], true);
  EXPECT_GE(i["elapsed_seconds"].get<int64_t>(), 5 * 3600);
  EXPECT_LT(i["elapsed_seconds"].get<int64_t>(), 5 * 3600 + 600);
  // The RTO (4h) passed an hour ago, the MTPD (24h) 19 hours on: exactly started + each.
  auto at = [](const nlohmann::json& v) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, v.get<std::string>(), &t, &err)) << v << ": " << err;
    return t;
  };
  EXPECT_EQ(at(i["rto_at"]) - at(i["started"]), absl::Hours(4));
  EXPECT_EQ(at(i["mtpd_at"]) - at(i["started"]), absl::Hours(24));
  EXPECT_EQ(i["next_report_due"]["report"], "early-warning");
  EXPECT_EQ(at(i["next_report_due"]["due"]) - at(i["started"]), absl::Hours(24));

  // After the early warning, the notification is next; the text and JSON agree on the contact.
  ASSERT_EQ(Ctl({"incident", "report", "--plan", "brp", "--kind", "early-warning"}).exit_code, 0);
  j = nlohmann::json::parse(Ctl({"plan", "show", "brp", "--json"}).output, nullptr, false);
  EXPECT_EQ(j["incident"]["next_report_due"]["report"], "notification");
  EXPECT_THAT(Ctl({"plan", "show", "brp"}).output, HasSubstr("owner: Anne de Vries, +31 6 1234 5678, anne@example.nl"));
}

TEST_F(LivingTest, TrainingReviewAndIncidentAreInTheAuditorsExport) {
  Start();
  RunResult r = Ctl({"exercise", "record", "--plan", "brp", "--kind", "training", "--date", "2d", "--participants",
                     "12", "--topic", "restoring the BRP database", "--by", "anne"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("recorded training exercise for plan brp"));
  r = Ctl({"exercise", "record", "--plan", "brp", "--kind", "training", "--date", "2d"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--topic is required"));
  ASSERT_EQ(Ctl({"plan", "review", "--plan", "brp", "--by", "Anne de Vries"}).exit_code, 0);
  ASSERT_EQ(Ctl({"incident", "open", "--plan", "brp", "--started", "3h", "--summary", "disk failure"}).exit_code, 0);
  ASSERT_EQ(Ctl({"incident", "close", "--plan", "brp", "--recovered", "1h", "--by", "bob"}).exit_code, 0);

  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1d", "--format", "csv", "-o", dir_ / "e.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = ReadFileOrDie(dir_ / "e.csv");
  EXPECT_THAT(csv, HasSubstr("participants=12; topic=restoring the BRP database"));
  EXPECT_THAT(csv, HasSubstr("reviewed_by=Anne de Vries"));
  EXPECT_THAT(csv, HasSubstr("incident opened: disk failure"));
  EXPECT_THAT(csv, HasSubstr("incident closed: recovered in 2h (disk failure)"));
  EXPECT_THAT(csv, HasSubstr("recorded_by=bob"));
  r = Ctl({"evidence", "export", "--plan", "brp", "--since", "1d", "--format", "html", "-o", dir_ / "r.html"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string html = ReadFileOrDie(dir_ / "r.html");
  EXPECT_THAT(html, HasSubstr("Whom to call"));
  EXPECT_THAT(html, HasSubstr("Reviews, incidents and reports"));
}

TEST_F(LivingTest, AViewerCannotRecord) {
  Start("auth: {anonymous: viewer}\n");
  RunResult r = Ctl({"plan", "review", "--plan", "brp", "--by", "Mallory"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("needs the admin role"));
  r = Ctl({"incident", "open", "--plan", "brp", "--summary", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("needs the admin role"));
  EXPECT_EQ(Ctl({"status"}).exit_code, 0);
}

}  // namespace
}  // namespace paraat::testing
