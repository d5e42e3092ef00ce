#include "collector/metrics_exporter.h"

#include <map>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "common/time_util.h"

namespace paraat {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Gauge(const char* name, const char* help) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = MetricType::Gauge;
  return f;
}

void Add(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

double Seconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

}  // namespace

StateMetrics::StateMetrics(const EvaluationLoop* loop, const EvidenceState* state, const AgentRegistry* agents,
                           const Clock* clock, std::function<bool()> exports_plans)
    : loop_(loop), state_(state), agents_(agents), clock_(clock), exports_plans_(std::move(exports_plans)) {}

std::vector<MetricFamily> StateMetrics::Collect() const {
  std::vector<MetricFamily> out;
  if (!exports_plans_ || exports_plans_()) CollectPlans(&out);
  CollectChecks(&out);
  CollectAgents(&out);
  return out;
}

void StateMetrics::CollectPlans(std::vector<MetricFamily>* out) const {
  auto snap = loop_->snapshot();
  const absl::Time now = clock_->Now();
  MetricFamily ready = Gauge("paraat_plan_ready", "1 when the plan's state is ready or at_risk");
  MetricFamily state = Gauge("paraat_plan_state", "1 for the plan's current state, 0 for the other three");
  MetricFamily info = Gauge("paraat_plan_info", "Plan metadata; always 1");
  MetricFamily rpo = Gauge("paraat_plan_rpo_target_seconds", "Recovery point objective");
  MetricFamily rto = Gauge("paraat_plan_rto_target_seconds", "Recovery time objective");
  MetricFamily mtpd = Gauge("paraat_plan_mtpd_target_seconds", "Maximum tolerable period of disruption");
  MetricFamily rp_ts = Gauge("paraat_plan_recovery_point_timestamp_seconds", "Newest usable recovery point");
  MetricFamily rp_age = Gauge("paraat_plan_recovery_point_age_seconds", "Achieved RPO now: age of the newest usable recovery point");
  MetricFamily rt_ts = Gauge("paraat_plan_restore_test_timestamp_seconds", "Last successful restore test");
  MetricFamily rt_dur = Gauge("paraat_plan_restore_test_duration_seconds", "Duration of the last successful restore test");
  MetricFamily due = Gauge("paraat_plan_test_due_timestamp_seconds", "When each kind of test falls due (0: never done)");
  MetricFamily failover = Gauge("paraat_plan_failover_ready", "1 when every failover source is ready");
  MetricFamily stale = Gauge("paraat_plan_stale_sources", "Sources without fresh results");
  MetricFamily since = Gauge("paraat_plan_state_since_timestamp_seconds", "When the plan entered its current state");
  MetricFamily reasons = Gauge("paraat_plan_reasons", "Number of findings behind the plan's state, by code");
  MetricFamily sources = Gauge("paraat_plan_source", "The plan's evidence sources by role; always 1 (join on agent, check)");

  for (const PlanView& v : snap->plans) {
    const Plan& p = *v.plan;
    const Evaluation& e = v.evaluation;
    const ClientMetric::Label plan{"plan", p.id};
    Add(ready, {plan}, e.state == paraat::v1::PLAN_STATE_READY || e.state == paraat::v1::PLAN_STATE_AT_RISK ? 1 : 0);
    for (PlanState s : AllPlanStates()) Add(state, {plan, {"state", PlanStateName(s)}}, s == e.state ? 1 : 0);
    Add(info, {plan, {"name", p.name}, {"owner", p.owner}, {"tier", p.tier ? absl::StrCat(p.tier) : ""}}, 1);
    Add(rpo, {plan}, absl::ToDoubleSeconds(p.rpo));
    Add(rto, {plan}, absl::ToDoubleSeconds(p.rto));
    if (p.mtpd) Add(mtpd, {plan}, absl::ToDoubleSeconds(*p.mtpd));
    if (e.recovery_point) {
      Add(rp_ts, {plan}, Seconds(*e.recovery_point));
      Add(rp_age, {plan}, std::max(0.0, absl::ToDoubleSeconds(now - *e.recovery_point)));
    }
    if (e.good_restore_time) {
      Add(rt_ts, {plan}, Seconds(*e.good_restore_time));
      if (e.good_restore_duration_seconds) Add(rt_dur, {plan}, *e.good_restore_duration_seconds);
    }
    for (const TestDue& t : e.tests) {
      Add(due, {plan, {"test", t.test}}, t.last ? Seconds(t.due) : 0);
    }
    if (e.failover_ready) Add(failover, {plan}, *e.failover_ready ? 1 : 0);
    Add(stale, {plan}, e.stale_sources);
    Add(since, {plan}, Seconds(v.since));
    std::map<std::string, int> by_code;
    for (const Reason& r : e.reasons) ++by_code[r.code];
    for (const auto& [code, n] : by_code) Add(reasons, {plan, {"code", code}}, n);
    for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
      for (const std::string& key : p.Sources(role)) {
        const size_t slash = key.find('/');
        Add(sources, {plan, {"role", RoleName(role)}, {"agent", key.substr(0, slash)}, {"check", key.substr(slash + 1)}}, 1);
      }
    }
  }
  for (MetricFamily* f : {&ready, &state, &info, &rpo, &rto, &mtpd, &rp_ts, &rp_age, &rt_ts, &rt_dur, &due, &failover,
                          &stale, &since, &reasons, &sources}) {
    out->push_back(std::move(*f));
  }
}

void StateMetrics::CollectChecks(std::vector<MetricFamily>* out) const {
  MetricFamily up = Gauge("paraat_check_up", "1 when the check's last result was ok or warning");
  MetricFamily status = Gauge("paraat_check_status", "1 for the status of the check's last result");
  MetricFamily last_run = Gauge("paraat_check_last_run_timestamp_seconds", "When the check last ran");
  MetricFamily duration = Gauge("paraat_check_duration_seconds", "How long the check's last run took");
  MetricFamily interval = Gauge("paraat_check_interval_seconds", "The check's configured interval");
  MetricFamily rp = Gauge("paraat_check_recovery_point_timestamp_seconds", "Newest recovery point the check found");
  MetricFamily lag = Gauge("paraat_check_replication_lag_seconds", "Replication lag the check measured");
  MetricFamily verified = Gauge("paraat_check_verified_bytes", "Bytes read back and verified in the last run");
  MetricFamily corrupt = Gauge("paraat_check_corrupt", "1 when the check's latest verification found corrupt data");
  MetricFamily restore = Gauge("paraat_check_restore_duration_seconds", "Duration of the last restore the check ran");
  MetricFamily ready = Gauge("paraat_check_ready", "1 when the failover target reports ready");
  MetricFamily free = Gauge("paraat_check_free_bytes", "Free bytes the check measured (disk_space)");
  static constexpr const char* kStatus[] = {"ok", "warning", "failed", "error"};

  std::shared_lock lock(state_->mutex());
  state_->ForEachSource([&](const std::string&, const SourceState& s) {
    if (!s.latest) return;
    const Observation& o = *s.latest;
    std::vector<ClientMetric::Label> l = {{"agent", s.agent}, {"check", s.check}, {"kind", o.kind}};
    Add(up, l, o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING ? 1 : 0);
    for (int i = 0; i < 4; ++i) {
      auto sl = l;
      sl.push_back({"status", kStatus[i]});
      Add(status, std::move(sl), o.status == i + 1 ? 1 : 0);
    }
    Add(last_run, l, Seconds(o.started));
    Add(duration, l, absl::ToDoubleSeconds(o.duration));
    Add(interval, l, absl::ToDoubleSeconds(o.interval));
    if (o.recovery_point) Add(rp, l, Seconds(*o.recovery_point));
    if (o.replication_lag_seconds) Add(lag, l, *o.replication_lag_seconds);
    if (o.verified_bytes) Add(verified, l, static_cast<double>(*o.verified_bytes));
    if (s.latest_conclusive && s.latest_conclusive->integrity != paraat::v1::INTEGRITY_UNSPECIFIED) {
      Add(corrupt, l, s.latest_conclusive->integrity == paraat::v1::INTEGRITY_CORRUPT ? 1 : 0);
    }
    if (o.restore_duration_seconds) Add(restore, l, *o.restore_duration_seconds);
    if (o.ready) Add(ready, l, *o.ready ? 1 : 0);
    if (o.free_bytes) Add(free, l, static_cast<double>(*o.free_bytes));
  });
  for (MetricFamily* f :
       {&up, &status, &last_run, &duration, &interval, &rp, &lag, &verified, &corrupt, &restore, &ready, &free}) {
    out->push_back(std::move(*f));
  }
}

void StateMetrics::CollectAgents(std::vector<MetricFamily>* out) const {
  MetricFamily seen = Gauge("paraat_agent_last_seen_timestamp_seconds", "When the agent last said hello or sent results");
  MetricFamily connected = Gauge("paraat_agent_connected", "1 while the agent has a stream open");
  MetricFamily info = Gauge("paraat_agent_info", "Agent version; always 1");
  MetricFamily spool = Gauge("paraat_agent_spool_bytes", "Bytes of results the agent holds, not yet acknowledged");
  MetricFamily spool_max = Gauge("paraat_agent_spool_max_bytes", "The agent's spool limit (spool.max_size)");
  MetricFamily dropped;
  dropped.name = "paraat_agent_spool_dropped_results_total";
  dropped.help = "Results the agent dropped from a full spool since it started";
  dropped.type = MetricType::Counter;
  for (const AgentInfo& a : agents_->Snapshot()) {
    Add(seen, {{"agent", a.id}}, Seconds(a.last_seen));
    Add(connected, {{"agent", a.id}}, a.connected_streams > 0 ? 1 : 0);
    Add(info, {{"agent", a.id}, {"version", a.version}}, 1);
    if (a.status.spool_max_bytes() > 0) {
      Add(spool, {{"agent", a.id}}, static_cast<double>(a.status.spool_bytes()));
      Add(spool_max, {{"agent", a.id}}, static_cast<double>(a.status.spool_max_bytes()));
      ClientMetric m;
      m.label = {{"agent", a.id}};
      m.counter.value = static_cast<double>(a.status.dropped_results_total());
      dropped.metric.push_back(std::move(m));
    }
  }
  for (MetricFamily* f : {&seen, &connected, &info, &spool, &spool_max, &dropped}) out->push_back(std::move(*f));
}

}  // namespace paraat
