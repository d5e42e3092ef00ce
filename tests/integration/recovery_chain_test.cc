// A process and the services it depends on, end to end: real agents run restore drills that take
// measured seconds, the real collector adds the measured times up along the chain, and paraatctl
// recovery-order and /metrics show it. The process flips to not_ready once the chain takes longer
// than its RTO, and back when a faster drill passes.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string AgentYaml(const std::string& id, const CollectorProcess& c, const std::string& drill_seconds) {
  return absl::StrCat("agent: {id: ", id, "}\ncollector: {address: \"", c.address(), "\"}\nspool: {dir: spool-", id,
                      "}\nchecks:\n  - {id: drill, kind: restore_test, interval: 24h, command: [sleep, \"",
                      drill_seconds, "\"]}\n");
}

TEST(RecoveryChain, ProcessFollowsTheMeasuredChain) {
  TempDir dir;
  // paspoort (a process, no sources) needs the application, which needs the database.
  WriteFileOrDie(dir / "plans/db.yaml",
                 "id: db\nname: Database\nobjectives: {rpo: 1h, rto: 20s}\nsources: {restore_test: [db-01/drill]}\n");
  WriteFileOrDie(dir / "plans/app.yaml",
                 "id: app\nname: Application\nobjectives: {rpo: 1h, rto: 20s}\ndepends_on: [db]\n"
                 "sources: {restore_test: [app-01/drill]}\n");
  WriteFileOrDie(dir / "plans/paspoort.yaml",
                 "id: paspoort\nname: Paspoortaanvragen\nobjectives: {rpo: 1h, rto: 20s, mtpd: 1h}\n"
                 "depends_on: [app]\n");
  auto collector = StartCollector(dir.path(), dir / "plans", "evaluation_interval: 200ms\n");
  ASSERT_TRUE(collector.ok()) << collector.status();

  auto drill = [&](const std::string& agent, const std::string& seconds) {
    WriteFileOrDie(dir / (agent + ".yaml"), AgentYaml(agent, *collector, seconds));
    RunResult once = RunCommand({AgentBin(), "--config", dir / (agent + ".yaml"), "--once"}, absl::Seconds(120));
    ASSERT_EQ(once.exit_code, 0) << once.output;
  };
  auto order = [&] {
    RunResult r = RunCommand({CtlBin(), "--collector", collector->address(), "recovery-order", "--json"});
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    std::map<std::string, nlohmann::json> by_plan;
    if (!j.is_object()) return by_plan;
    for (const auto& p : j["plans"]) by_plan[p["plan"]] = p;
    by_plan["_order"] = j["plans"];
    return by_plan;
  };
  auto status = [&](const std::string& plan) {
    RunResult r = RunCommand({CtlBin(), "--collector", collector->address(), "plan", "show", plan, "--json"});
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  };
  auto codes = [](const nlohmann::json& s) {
    std::string out;
    for (const auto& r : s.value("reasons", nlohmann::json::array())) out += r["code"].get<std::string>() + " ";
    return out;
  };

  // Before any drill: nothing is measured, so nothing reads ready.
  ASSERT_TRUE(WaitFor([&] { return status("paspoort").value("state", "") == "unknown"; }, absl::Seconds(20)))
      << status("paspoort").dump(2);

  // The database restores in 3s, the application in 18s: each within its own 20s RTO, together 21s.
  drill("db-01", "3");
  drill("app-01", "18");
  ASSERT_TRUE(WaitFor([&] { return status("paspoort").value("state", "") == "not_ready"; }, absl::Seconds(20)))
      << status("paspoort").dump(2);
  EXPECT_THAT(codes(status("paspoort")), HasSubstr("recovery_chain_exceeds_rto"));
  EXPECT_THAT(codes(status("app")), HasSubstr("recovery_chain_exceeds_rto"));
  EXPECT_EQ(status("db").value("state", ""), "ready") << status("db").dump(2);
  auto o = order();
  ASSERT_EQ(o["_order"].size(), 3u) << o["_order"].dump(2);
  std::vector<std::string> ids;
  for (const auto& p : o["_order"]) ids.push_back(p["plan"]);
  EXPECT_THAT(ids, ElementsAre("db", "app", "paspoort"));
  const double slow = o["paspoort"]["effective_recovery_seconds"].get<double>();
  EXPECT_GE(slow, 21.0);
  EXPECT_LT(slow, 40.0);
  EXPECT_GE(o["db"]["own_recovery_seconds"].get<double>(), 3.0);
  EXPECT_EQ(o["paspoort"]["own_recovery_seconds"].get<double>(), 0.0);
  EXPECT_TRUE(o["paspoort"]["critical"].get<bool>());
  EXPECT_TRUE(o["db"]["critical"].get<bool>());
  EXPECT_THAT(o["paspoort"]["critical_path"], ElementsAre("db", "app", "paspoort"));
  auto metrics = HttpGet(collector->metrics_url());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(*metrics, HasSubstr("paraat_plan_recovery_time_seconds{plan=\"paspoort\"} 2"));
  EXPECT_THAT(*metrics, HasSubstr("paraat_plan_recovery_time_own_seconds{plan=\"db\"} 3"));
  // The drills restored and checked their data: the RTO is `restored`; the process has nothing of
  // its own, so its objectives are only declared (assurance.h).
  EXPECT_EQ(status("db")["assurance"], (nlohmann::json{{"rpo", "restored"}, {"rto", "restored"}}));
  EXPECT_EQ(status("paspoort")["assurance"]["rto"], "declared");
  EXPECT_THAT(*metrics, HasSubstr("paraat_plan_assurance_level{plan=\"db\",objective=\"rto\"} 3"));
  RunResult show = RunCommand({CtlBin(), "--collector", collector->address(), "plan", "show", "db"});
  EXPECT_THAT(show.output, HasSubstr("assurance: RPO restored, RTO restored"));

  // A faster application drill passes: the chain fits again.
  drill("app-01", "1");
  ASSERT_TRUE(WaitFor([&] { return status("paspoort").value("state", "") == "ready"; }, absl::Seconds(20)))
      << status("paspoort").dump(2);
  EXPECT_EQ(status("app").value("state", ""), "ready") << status("app").dump(2);
  o = order();
  EXPECT_GE(o["paspoort"]["effective_recovery_seconds"].get<double>(), 4.0);
  EXPECT_LT(o["paspoort"]["effective_recovery_seconds"].get<double>(), 15.0);

  // The table names the chain.
  RunResult table = RunCommand({CtlBin(), "--collector", collector->address(), "recovery-order", "--plan", "app"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("WAVE"));
  EXPECT_THAT(table.output, Not(HasSubstr("paspoort")));
  RunResult unknown = RunCommand({CtlBin(), "--collector", collector->address(), "recovery-order", "--plan", "nope"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
}

}  // namespace
}  // namespace paraat::testing
