// Plans depending on plans, with an injected clock: load-time checks (unknown ids, cycles, BIA
// inconsistencies), states along the chain, and measured recovery time adding up.
#include "collector/evaluation/dependencies.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using v1::CHECK_STATUS_OK;
using v1::PLAN_STATE_AT_RISK;
using v1::PLAN_STATE_NOT_READY;
using v1::PLAN_STATE_READY;
using v1::PLAN_STATE_UNKNOWN;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class Evidence : public EvidenceView {
 public:
  const SourceState* Source(const std::string& key) const override {
    auto it = sources.find(key);
    return it == sources.end() ? nullptr : &it->second;
  }
  const PlanExercises* Exercises(const std::string& plan_id) const override {
    auto it = exercises.find(plan_id);
    return it == exercises.end() ? nullptr : &it->second;
  }
  // A fresh backup taken a minute ago.
  void Backup(const std::string& key) {
    Observation o = Result(key, absl::Seconds(10));
    o.recovery_point = kNow - absl::Minutes(1);
    o.integrity = v1::INTEGRITY_VERIFIED;
    sources[key].Add(o, o.finished);
  }
  // A passed restore drill that took `took`.
  void Drill(const std::string& key, absl::Duration took) {
    Observation o = Result(key, absl::Hours(1));
    o.interval = absl::Hours(24);
    o.restore_duration_seconds = absl::ToDoubleSeconds(took);
    o.restore_succeeded = true;
    sources[key].Add(o, o.finished);
  }
  std::map<std::string, SourceState> sources;
  std::map<std::string, PlanExercises> exercises;

 private:
  static Observation Result(const std::string& key, absl::Duration ago) {
    Observation o;
    o.status = CHECK_STATUS_OK;
    o.kind = "test";
    o.duration = absl::Seconds(1);
    o.finished = kNow - ago;
    o.started = o.finished - o.duration;
    o.interval = absl::Minutes(1);
    o.message = "from " + key;
    return o;
  }
};

// A service with a backup and (when `drill` is set) a restore drill that took that long.
Plan Service(const std::string& id, absl::Duration rto, std::optional<absl::Duration> drill, Evidence* ev,
             std::vector<std::string> deps = {}) {
  Plan p;
  p.id = id;
  p.name = id;
  p.file = "plans/" + id + ".yaml";
  p.depends_on_line = 7;
  p.rpo = absl::Hours(1);
  p.rto = rto;
  p.recovery_point = {id + "/dump"};
  ev->Backup(id + "/dump");
  if (drill) {
    p.restore_test = {id + "/drill"};
    ev->Drill(id + "/drill", *drill);
  }
  p.depends_on = std::move(deps);
  return p;
}

// A process: only dependencies.
Plan Process(const std::string& id, absl::Duration rto, std::vector<std::string> deps,
             std::optional<absl::Duration> mtpd = std::nullopt) {
  Plan p;
  p.id = id;
  p.name = id;
  p.file = "plans/" + id + ".yaml";
  p.depends_on_line = 5;
  p.rpo = absl::Hours(1);
  p.rto = rto;
  p.mtpd = mtpd;
  p.depends_on = std::move(deps);
  return p;
}

// Evaluates every plan on its own evidence, then along the chains.
std::map<std::string, Evaluation> EvaluateAll(const std::vector<Plan>& plans, const Evidence& ev) {
  std::map<std::string, Evaluation> out;
  for (const Plan& p : plans) out[p.id] = Evaluate(p, ev, kNow);
  std::vector<ChainMember> members;
  for (const Plan& p : plans) members.push_back(ChainMember{&p, &out[p.id]});
  ApplyDependencies(members);
  return out;
}

std::vector<std::string> Codes(const Evaluation& e) {
  std::vector<std::string> codes;
  for (const Reason& r : e.reasons) codes.push_back(r.code);
  return codes;
}

const Reason* Find(const Evaluation& e, const std::string& code) {
  for (const Reason& r : e.reasons) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

TEST(CheckDependencies, UnknownIdsAndCyclesAreErrorsWithFileAndLine) {
  Evidence ev;
  std::vector<Plan> plans = {Process("brp", absl::Hours(8), {"ad"}), Process("ad", absl::Hours(4), {"brp"}),
                             Process("web", absl::Hours(8), {"nowhere"})};
  absl::Status st = CheckDependencies(plans);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(st.message());
  EXPECT_THAT(msg, HasSubstr("plans/ad.yaml:5: depends_on: cycle ad -> brp -> ad"));
  EXPECT_THAT(msg, HasSubstr("plans/web.yaml:5: depends_on: \"nowhere\" is not a plan"));

  std::vector<Plan> fine = {Process("brp", absl::Hours(8), {"ad", "db"}), Process("ad", absl::Hours(4), {"net"}),
                            Process("db", absl::Hours(4), {"net"}), Process("net", absl::Hours(1), {})};
  EXPECT_TRUE(CheckDependencies(fine).ok());  // a diamond is no cycle
}

TEST(CheckDependencies, LongerCycleNamesEveryPlan) {
  std::vector<Plan> plans = {Process("a", absl::Hours(8), {"b"}), Process("b", absl::Hours(4), {"c"}),
                             Process("c", absl::Hours(4), {"a"})};
  absl::Status st = CheckDependencies(plans);
  EXPECT_THAT(std::string(st.message()), HasSubstr("plans/a.yaml:5: depends_on: cycle a -> b -> c -> a"));
}

TEST(LoadPlansDir, RefusesACycleAcrossFiles) {
  testing::TempDir dir;
  testing::WriteFileOrDie(dir / "ad.yaml",
                          "id: ad\nname: AD\nobjectives: {rpo: 1h, rto: 1h}\ndepends_on: [brp]\n"
                          "sources: {recovery_point: [x/y]}\n");
  testing::WriteFileOrDie(dir / "brp.yaml", "id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\ndepends_on: [ad]\n");
  auto plans = LoadPlansDir(dir.path());
  ASSERT_FALSE(plans.ok());
  EXPECT_THAT(std::string(plans.status().message()),
              HasSubstr((dir / "ad.yaml") + ":4: depends_on: cycle ad -> brp -> ad"));
}

TEST(BiaWarnings, DependencyWithLongerObjectivesIsInconsistent) {
  std::vector<Plan> plans = {Process("brp", absl::Hours(4), {"ad"}, absl::Hours(24)),
                             Process("ad", absl::Hours(8), {}, absl::Hours(48))};
  EXPECT_THAT(BiaWarnings(plans),
              ElementsAre("plans/brp.yaml:5: depends_on: BIA inconsistency: dependency ad: RTO 8h exceeds this "
                          "plan's RTO 4h (it must recover first)",
                          "plans/brp.yaml:5: depends_on: BIA inconsistency: dependency ad: MTPD 2d exceeds this "
                          "plan's MTPD 1d"));
  plans[1].rto = absl::Hours(2);
  plans[1].mtpd = absl::Hours(12);
  EXPECT_THAT(BiaWarnings(plans), IsEmpty());
}

TEST(ApplyDependencies, NotReadyPropagatesAndNamesTheChain) {
  Evidence ev;
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(72), {"brp"}),
                             Service("brp", absl::Hours(8), absl::Hours(1), &ev, {"ad"}),
                             Service("ad", absl::Hours(4), absl::Hours(5), &ev)};  // drill 5h > RTO 4h
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["ad"].state, PLAN_STATE_NOT_READY);
  EXPECT_THAT(Codes(e["ad"]), ElementsAre("rto_exceeded"));
  EXPECT_EQ(e["brp"].state, PLAN_STATE_NOT_READY);
  const Reason* r = Find(e["paspoort"], "dependency_not_ready");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_NOT_READY);
  EXPECT_THAT(r->text, HasSubstr("depends on brp, which is not ready: paspoort -> brp -> ad (ad: latest restore "
                                 "test took 5h, longer than the RTO 4h)"));
  EXPECT_THAT(e["paspoort"].cause_chain, ElementsAre("paspoort", "brp", "ad"));
}

TEST(ApplyDependencies, UnknownPropagatesAsUnknown) {
  Evidence ev;
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(72), {"brp"}),
                             Service("brp", absl::Hours(8), absl::Hours(1), &ev)};
  ev.sources.erase("brp/dump");  // its backup source never reported
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["brp"].state, PLAN_STATE_UNKNOWN);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_UNKNOWN);
  EXPECT_THAT(Codes(e["paspoort"]), ElementsAre("dependency_unknown"));
}

TEST(ApplyDependencies, ParallelDependenciesTakeTheLongestChain) {
  Evidence ev;
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(10), {"brp", "web"}),
                             Service("brp", absl::Hours(8), absl::Hours(2), &ev, {"net"}),
                             Service("web", absl::Hours(8), absl::Hours(5), &ev, {"net"}),
                             Service("net", absl::Hours(1), absl::Minutes(30), &ev)};
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["net"].effective_recovery_seconds, 1800);
  EXPECT_EQ(e["brp"].effective_recovery_seconds, 9000);
  EXPECT_EQ(e["web"].effective_recovery_seconds, 19800);
  EXPECT_EQ(e["paspoort"].own_recovery_seconds, 0);
  EXPECT_EQ(e["paspoort"].effective_recovery_seconds, 19800);  // 30m + max(2h, 5h), not the sum
  EXPECT_THAT(e["paspoort"].critical_path, ElementsAre("net", "web", "paspoort"));
  EXPECT_EQ(e["paspoort"].wave, 2);
  EXPECT_EQ(e["net"].wave, 0);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_READY);
  EXPECT_THAT(Codes(e["paspoort"]), IsEmpty());
}

TEST(ApplyDependencies, ChainLongerThanTheRtoIsNotReady) {
  Evidence ev;
  // Each link fits its own RTO; together they take 5h30m, beyond the process's 5h.
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(5), {"brp"}, absl::Hours(5)),
                             Service("brp", absl::Hours(8), absl::Hours(5), &ev, {"net"}),
                             Service("net", absl::Hours(1), absl::Minutes(30), &ev)};
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["brp"].state, PLAN_STATE_READY);  // 5h30m within its 8h
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_NOT_READY);
  const Reason* rto = Find(e["paspoort"], "recovery_chain_exceeds_rto");
  ASSERT_NE(rto, nullptr);
  EXPECT_EQ(rto->text, "measured recovery takes 5h30m along net 30m -> brp 5h -> paspoort 0s, longer than the RTO 5h");
  EXPECT_NE(Find(e["paspoort"], "recovery_chain_exceeds_mtpd"), nullptr);
  // BIA: brp's RTO 8h exceeds the process's 5h.
  EXPECT_NE(Find(e["paspoort"], "bia_inconsistent"), nullptr);
}

TEST(ApplyDependencies, ChainNearTheRtoIsAtRisk) {
  Evidence ev;
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(10), {"brp"}),
                             Service("brp", absl::Hours(10), absl::Hours(9), &ev)};
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_AT_RISK);
  EXPECT_THAT(Codes(e["paspoort"]), ElementsAre("recovery_chain_margin"));
}

TEST(ApplyDependencies, UnmeasuredLinkMakesTheChainUnknownAtBest) {
  Evidence ev;
  Plan ad = Service("ad", absl::Hours(2), std::nullopt, &ev);
  ad.accept_unevidenced["rto"] = "domain controllers are rebuilt from the runbook";
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(10), {"brp"}),
                             Service("brp", absl::Hours(8), absl::Hours(1), &ev, {"ad"}), ad};
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["ad"].state, PLAN_STATE_READY);  // accepted: its own state does not count it
  EXPECT_FALSE(e["ad"].own_recovery_seconds);
  EXPECT_THAT(e["ad"].unevidenced, ElementsAre("ad"));
  EXPECT_EQ(e["brp"].state, PLAN_STATE_UNKNOWN);
  EXPECT_THAT(Codes(e["brp"]), ElementsAre("recovery_chain_unevidenced"));
  EXPECT_FALSE(e["paspoort"].effective_recovery_seconds);
  EXPECT_EQ(e["paspoort"].effective_recovery_lower_bound_seconds, 3600);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_UNKNOWN);
  EXPECT_THAT(Find(e["paspoort"], "recovery_chain_unevidenced")->text,
              HasSubstr("the recovery time of ad is declared"));
}

TEST(ApplyDependencies, MeasuredLinksAloneCanProveTheBreach) {
  Evidence ev;
  Plan ad = Service("ad", absl::Hours(2), std::nullopt, &ev);
  ad.accept_unevidenced["rto"] = "rebuilt from the runbook";
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(4), {"brp"}),
                             Service("brp", absl::Hours(8), absl::Hours(6), &ev, {"ad"}), ad};
  auto e = EvaluateAll(plans, ev);
  EXPECT_EQ(e["paspoort"].state, PLAN_STATE_NOT_READY);
  EXPECT_THAT(Find(e["paspoort"], "recovery_chain_exceeds_rto")->text,
              HasSubstr("measured recovery takes at least 6h along ad ? -> brp 6h -> paspoort 0s"));
}

TEST(Evaluate, RtoWithoutEvidenceIsUnknownUnlessAccepted) {
  Evidence ev;
  Plan p = Service("brp", absl::Hours(4), std::nullopt, &ev);
  Evaluation e = Evaluate(p, ev, kNow);
  EXPECT_EQ(e.state, PLAN_STATE_UNKNOWN);
  EXPECT_THAT(Codes(e), ElementsAre("rto_unevidenced"));

  p.accept_unevidenced["rto"] = "no restore environment until Q3";
  e = Evaluate(p, ev, kNow);
  EXPECT_EQ(e.state, PLAN_STATE_READY);
  EXPECT_THAT(Codes(e), IsEmpty());
  EXPECT_FALSE(e.own_recovery_seconds);  // accepted is not measured

  // A passed failover exercise with a duration is evidence, and the plan's own recovery time.
  p.accept_unevidenced.clear();
  ev.exercises["brp"].Add(ExerciseObservation{"failover", kNow - absl::Hours(24), true, 1200.0, 0});
  e = Evaluate(p, ev, kNow);
  EXPECT_EQ(e.state, PLAN_STATE_READY);
  EXPECT_EQ(e.own_recovery_seconds, 1200);
}

TEST(RecoveryOrder, DependenciesFirstAndOnlyWhatThePlanNeeds) {
  Evidence ev;
  std::vector<Plan> plans = {Process("paspoort", absl::Hours(10), {"brp", "web"}),
                             Service("brp", absl::Hours(8), absl::Hours(2), &ev, {"net"}),
                             Service("web", absl::Hours(8), absl::Hours(5), &ev, {"net"}),
                             Service("net", absl::Hours(1), absl::Minutes(30), &ev),
                             Service("archief", absl::Hours(72), absl::Hours(1), &ev)};
  std::map<std::string, Evaluation> e = EvaluateAll(plans, ev);
  std::vector<ChainView> members;
  for (const Plan& p : plans) members.push_back(ChainView{&p, &e[p.id]});
  auto ids = [&](const std::vector<size_t>& order) {
    std::vector<std::string> out;
    for (size_t i : order) out.push_back(plans[i].id);
    return out;
  };
  EXPECT_THAT(ids(RecoveryOrder(members)), ElementsAre("archief", "net", "brp", "web", "paspoort"));
  EXPECT_THAT(ids(RecoveryOrder(members, "brp")), ElementsAre("net", "brp"));
  EXPECT_THAT(ids(RecoveryOrder(members, "nothing")), IsEmpty());
  // The critical path: net, then web (5h, longer than brp's 2h), then the process.
  EXPECT_THAT(OnCriticalPath(members), ElementsAre(true, false, true, true, false));
  EXPECT_THAT(OnCriticalPath(members, "brp"), ElementsAre(false, true, false, true, false));
}

}  // namespace
}  // namespace paraat
