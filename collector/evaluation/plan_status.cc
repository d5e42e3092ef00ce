#include "collector/evaluation/plan_status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/dependencies.h"
#include "common/time_util.h"

namespace paraat {

void ToProto(const Reason& r, paraat::v1::Reason* out) {
  out->set_code(r.code);
  out->set_implies(r.implies);
  out->set_source(r.source);
  out->set_text(r.text);
  if (!r.detail.key.empty()) ToProto(r.detail, out->mutable_detail());
}

namespace {

void AddChain(const Plan& p, const Evaluation& e, paraat::v1::PlanStatus* s) {
  for (const std::string& d : p.depends_on) s->add_depends_on(d);
  if (p.mtpd) s->set_mtpd_ns(ToNs(*p.mtpd));
  if (e.own_recovery_seconds) s->set_own_recovery_seconds(*e.own_recovery_seconds);
  if (e.effective_recovery_seconds) s->set_effective_recovery_seconds(*e.effective_recovery_seconds);
  for (const std::string& id : e.critical_path) s->add_critical_path(id);
  for (const std::string& id : e.unevidenced) s->add_unevidenced(id);
  for (const auto& [objective, why] : p.accept_unevidenced) (*s->mutable_accepted_unevidenced())[objective] = why;
  s->set_rpo_assurance(static_cast<uint32_t>(e.assurance.rpo));
  s->set_rto_assurance(static_cast<uint32_t>(e.assurance.rto));
  for (const auto& [objective, least] : p.require)
    (*s->mutable_required_assurance())[objective] = static_cast<uint32_t>(least);
}

}  // namespace

paraat::v1::PlanStatus ToPlanStatus(const PlanView& view, absl::Time evaluated_at) {
  const Plan& p = *view.plan;
  const Evaluation& e = view.evaluation;
  paraat::v1::PlanStatus s;
  s.set_plan_id(p.id);
  s.set_name(p.name);
  s.set_owner(p.owner);
  s.set_tier(p.tier);
  s.set_state(e.state);
  for (const Reason& r : e.reasons) ToProto(r, s.add_reasons());
  s.set_evaluated_unix_ns(ToUnixNs(evaluated_at));
  s.set_state_since_unix_ns(ToUnixNs(view.since));
  s.set_rpo_ns(ToNs(p.rpo));
  s.set_rto_ns(ToNs(p.rto));
  if (e.recovery_point) s.set_recovery_point_unix_ns(ToUnixNs(*e.recovery_point));
  if (e.achieved_rpo) s.set_achieved_rpo_ns(ToNs(*e.achieved_rpo));
  if (e.restore_test_time) s.set_restore_test_unix_ns(ToUnixNs(*e.restore_test_time));
  if (e.restore_test_duration_seconds) s.set_restore_test_duration_seconds(*e.restore_test_duration_seconds);
  if (e.restore_test_succeeded) s.set_restore_test_succeeded(*e.restore_test_succeeded);
  if (e.good_restore_time) s.set_last_good_restore_unix_ns(ToUnixNs(*e.good_restore_time));
  if (e.good_restore_duration_seconds) s.set_last_good_restore_duration_seconds(*e.good_restore_duration_seconds);
  for (const TestDue& t : e.tests) {
    auto* td = s.add_tests();
    td->set_test(t.test);
    td->set_last_unix_ns(t.last ? ToUnixNs(*t.last) : 0);
    td->set_due_unix_ns(t.last ? ToUnixNs(t.due) : 0);
  }
  if (e.failover_ready) s.set_failover_ready(*e.failover_ready);
  s.set_stale_sources(static_cast<uint32_t>(e.stale_sources));
  for (const std::string& c : p.controls) s.add_controls(c);
  ToProto(e.continuity, &s);
  AddChain(p, e, &s);
  return s;
}

std::vector<paraat::v1::PlanStatus> SortedStatuses(const EvaluationSnapshot& snapshot) {
  std::vector<paraat::v1::PlanStatus> out;
  out.reserve(snapshot.plans.size());
  for (const PlanView& v : snapshot.plans) out.push_back(ToPlanStatus(v, snapshot.at));
  auto severity = [](paraat::v1::PlanState s) {
    switch (s) {
      case paraat::v1::PLAN_STATE_NOT_READY:
        return 0;
      case paraat::v1::PLAN_STATE_UNKNOWN:
        return 1;
      case paraat::v1::PLAN_STATE_AT_RISK:
        return 2;
      default:
        return 3;
    }
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    if (severity(a.state()) != severity(b.state())) return severity(a.state()) < severity(b.state());
    int ta = a.tier() ? a.tier() : 99, tb = b.tier() ? b.tier() : 99;
    if (ta != tb) return ta < tb;
    return a.plan_id() < b.plan_id();
  });
  return out;
}

absl::StatusOr<paraat::v1::GetRecoveryOrderResponse> RecoveryOrderOf(const EvaluationSnapshot& snapshot,
                                                                     const std::string& plan_id) {
  if (!plan_id.empty() && snapshot.Find(plan_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no plan with id \"", plan_id, "\""));
  }
  std::vector<ChainView> plans;
  plans.reserve(snapshot.plans.size());
  for (const PlanView& v : snapshot.plans) plans.push_back(ChainView{v.plan.get(), &v.evaluation});
  const std::vector<bool> critical = OnCriticalPath(plans, plan_id);
  paraat::v1::GetRecoveryOrderResponse out;
  for (size_t i : RecoveryOrder(plans, plan_id)) {
    auto* step = out.add_steps();
    *step->mutable_status() = ToPlanStatus(snapshot.plans[i], snapshot.at);
    step->set_wave(static_cast<uint32_t>(snapshot.plans[i].evaluation.wave));
    step->set_critical(critical[i]);
  }
  out.set_now_unix_ns(ToUnixNs(snapshot.at));
  return out;
}

}  // namespace paraat
