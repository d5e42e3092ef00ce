#include "collector/evaluation/plan_status.h"

#include <algorithm>

#include "common/time_util.h"

namespace paraat {

void ToProto(const Reason& r, paraat::v1::Reason* out) {
  out->set_code(r.code);
  out->set_implies(r.implies);
  out->set_source(r.source);
  out->set_text(r.text);
}

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
  if (p.mtpd) s.set_mtpd_ns(ToNs(*p.mtpd));
  ToProto(e.continuity, &s);
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

}  // namespace paraat
