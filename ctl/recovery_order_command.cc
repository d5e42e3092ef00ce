// paraatctl recovery-order, and the recovery chain's lines in `plan show`.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "common/plan_format.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/units.h"
#include "ctl/commands.h"
#include "ctl/table.h"
#include "nlohmann/json.hpp"

namespace paraat {
namespace {

using nlohmann::json;

std::string Secs(double s) { return s == 0 ? "0s" : HumanDuration(absl::Seconds(s)); }

// "2h30m", "unevidenced (accepted)", "unevidenced".
std::string OwnCell(const paraat::v1::PlanStatus& s) {
  if (s.has_own_recovery_seconds()) return Secs(s.own_recovery_seconds());
  return s.accepted_unevidenced().count("rto") ? "unevidenced (accepted)" : "unevidenced";
}

// "5h30m", or "≥ 1h (unevidenced: ad)" when a link has no measured time.
std::string EffectiveCell(const paraat::v1::PlanStatus& s) {
  if (s.has_effective_recovery_seconds()) return Secs(s.effective_recovery_seconds());
  return absl::StrCat("? (unevidenced: ", absl::StrJoin(s.unevidenced(), ", "), ")");
}

json StepJson(const paraat::v1::RecoveryStep& step) {
  const auto& s = step.status();
  json j = {{"plan", s.plan_id()},
            {"name", s.name()},
            {"state", StateName(s.state())},
            {"wave", step.wave()},
            {"critical", step.critical()},
            {"depends_on", std::vector<std::string>(s.depends_on().begin(), s.depends_on().end())},
            {"rto_seconds", absl::ToDoubleSeconds(FromNs(s.rto_ns()))},
            {"mtpd_seconds", s.has_mtpd_ns() ? json(absl::ToDoubleSeconds(FromNs(s.mtpd_ns()))) : json(nullptr)},
            {"own_recovery_seconds", s.has_own_recovery_seconds() ? json(s.own_recovery_seconds()) : json(nullptr)},
            {"effective_recovery_seconds",
             s.has_effective_recovery_seconds() ? json(s.effective_recovery_seconds()) : json(nullptr)},
            {"critical_path", std::vector<std::string>(s.critical_path().begin(), s.critical_path().end())},
            {"unevidenced", std::vector<std::string>(s.unevidenced().begin(), s.unevidenced().end())}};
  json accepted = json::object();
  for (const auto& [objective, why] : s.accepted_unevidenced()) accepted[objective] = why;
  j["accepted_unevidenced"] = accepted;
  return j;
}

}  // namespace

void PrintRecoveryChain(CtlEnv& env, const paraat::v1::PlanStatus& s) {
  if (s.depends_on_size()) env.out << "  depends on:  " << OneLine(absl::StrJoin(s.depends_on(), ", ")) << "\n";
  env.out << "  recovery time: own " << OwnCell(s) << ", effective " << EffectiveCell(s);
  if (s.critical_path_size() > 1) env.out << " along " << OneLine(absl::StrJoin(s.critical_path(), " -> "));
  env.out << "\n";
  for (const auto& [objective, why] : s.accepted_unevidenced()) {
    env.out << "  exception:   " << OneLine(objective) << " accepted without evidence: " << OneLine(why) << "\n";
  }
}

int CmdRecoveryOrder(CtlEnv& env, int argc, char** argv) {
  static const char* kUsage = "paraatctl recovery-order [--plan ID] [--json]\n";
  bool as_json = false;
  std::string plan;
  ArgParser p;
  p.Flag("json", &as_json);
  p.Option("plan", &plan);
  if (auto st = p.Parse(argc, argv); !st.ok()) {
    env.err << "paraatctl: " << st.message() << "\n\nUsage: " << kUsage;
    return 2;
  }
  if (!p.positional().empty()) {
    env.err << "paraatctl: unexpected argument " << p.positional()[0] << "\n\nUsage: " << kUsage;
    return 2;
  }
  paraat::v1::GetRecoveryOrderRequest req;
  req.set_plan_id(plan);
  paraat::v1::GetRecoveryOrderResponse resp;
  auto ctx = env.client->Context();
  grpc::Status gs = env.client->stub().GetRecoveryOrder(ctx.get(), req, &resp);
  if (!gs.ok()) return Fail(env, FromGrpc(gs, env.client->target()));
  if (as_json) {
    json steps = json::array();
    for (const auto& step : resp.steps()) steps.push_back(StepJson(step));
    env.out << json{{"generated", FormatUnixNs(resp.now_unix_ns())}, {"plans", steps}}.dump(2) << "\n";
    return 0;
  }
  TextTable t({"WAVE", "PLAN", "STATE", "OWN", "EFFECTIVE", "RTO", "MTPD", "DEPENDS ON", "CRITICAL"});
  for (const auto& step : resp.steps()) {
    const auto& s = step.status();
    t.AddRow({absl::StrCat(step.wave()), s.plan_id(), StateName(s.state()), OwnCell(s), EffectiveCell(s),
              HumanDuration(FromNs(s.rto_ns())), s.has_mtpd_ns() ? HumanDuration(FromNs(s.mtpd_ns())) : "-",
              s.depends_on_size() ? absl::StrJoin(s.depends_on(), ", ") : "-", step.critical() ? "*" : ""});
  }
  env.out << t.Render();
  env.out << "\nEach wave recovers after the waves before it; * marks the critical path (the longest measured "
             "chain).\n";
  return 0;
}

}  // namespace paraat
