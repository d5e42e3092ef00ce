#include "collector/serving/metrics_exporter.h"

#include <charconv>
#include <cmath>
#include <map>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "collector/serving/continuity_metrics.h"
#include "collector/serving/foresight_metrics.h"
#include "common/time_util.h"

namespace paraat {
namespace {

double Seconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

// Label values are free text (plan names, owners): escape as the text format requires.
void AppendEscaped(std::string* out, absl::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string Labels(std::initializer_list<std::pair<absl::string_view, absl::string_view>> pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) AppendLabel(&out, name, value);
  return out;
}

}  // namespace

TextFamily::TextFamily(absl::string_view name, absl::string_view help, absl::string_view type)
    : name_(name), header_(absl::StrCat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n")) {}

void TextFamily::Add(absl::string_view labels, double value) {
  body_.append(name_);
  if (!labels.empty()) {
    body_.push_back('{');
    body_.append(labels.data(), labels.size());
    body_.push_back('}');
  }
  body_.push_back(' ');
  AppendValue(&body_, value);
  body_.push_back('\n');
}

void TextFamily::AppendTo(std::string* out) const {
  if (body_.empty()) return;
  out->append(header_);
  out->append(body_);
}

void AppendLabel(std::string* labels, absl::string_view name, absl::string_view value) {
  if (!labels->empty()) labels->push_back(',');
  labels->append(name.data(), name.size());
  labels->append("=\"");
  AppendEscaped(labels, value);
  labels->push_back('"');
}

void AppendValue(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out->append(buf, ec == std::errc() ? end : buf);
  }
}

StateMetrics::StateMetrics(const EvaluationLoop* loop, const EvidenceState* state, const AgentRegistry* agents,
                           const Clock* clock, std::function<bool()> exports_plans, absl::Duration retention,
                           std::function<bool()> verdicts_stale)
    : loop_(loop),
      state_(state),
      agents_(agents),
      clock_(clock),
      exports_plans_(std::move(exports_plans)),
      retention_(retention),
      verdicts_stale_(std::move(verdicts_stale)) {}

void StateMetrics::Render(std::string* out) const {
  if (!exports_plans_ || exports_plans_()) RenderPlans(out);
  RenderChecks(out);
  RenderAgents(out);
}

void StateMetrics::RenderPlans(std::string* out) const {
  auto snap = loop_->snapshot();
  const absl::Time now = clock_->Now();
  TextFamily ready("paraat_plan_ready", "1 when the plan's state is ready or at_risk");
  TextFamily state("paraat_plan_state", "1 for the plan's current state, 0 for the other three");
  TextFamily info("paraat_plan_info", "Plan metadata; always 1");
  TextFamily rpo("paraat_plan_rpo_target_seconds", "Recovery point objective");
  TextFamily rto("paraat_plan_rto_target_seconds", "Recovery time objective");
  TextFamily mtpd("paraat_plan_mtpd_target_seconds", "Maximum tolerable period of disruption");
  TextFamily rp_ts("paraat_plan_recovery_point_timestamp_seconds", "Newest usable recovery point");
  TextFamily rp_age("paraat_plan_recovery_point_age_seconds",
                    "Achieved RPO now: age of the newest usable recovery point");
  TextFamily rt_ts("paraat_plan_restore_test_timestamp_seconds", "Last successful restore test");
  TextFamily rt_dur("paraat_plan_restore_test_duration_seconds", "Duration of the last successful restore test");
  TextFamily due("paraat_plan_test_due_timestamp_seconds", "When each kind of test falls due (0: never done)");
  TextFamily failover("paraat_plan_failover_ready", "1 when every failover source is ready");
  TextFamily stale("paraat_plan_stale_sources", "Sources without fresh results");
  TextFamily since("paraat_plan_state_since_timestamp_seconds", "When the plan entered its current state");
  TextFamily reasons("paraat_plan_reasons", "Number of findings behind the plan's state, by code");
  TextFamily sources("paraat_plan_source", "The plan's evidence sources by role; always 1 (join on agent, check)");
  TextFamily verdict_stale("paraat_plan_verdict_stale",
                           "1 while the evidence store is unavailable: the verdict is the last one before the outage");
  const double stale_now = verdicts_stale_ && verdicts_stale_() ? 1 : 0;

  std::string plan;
  for (const PlanView& v : snap->plans) {
    const Plan& p = *v.plan;
    const Evaluation& e = v.evaluation;
    plan.clear();
    AppendLabel(&plan, "plan", p.id);
    auto with = [&plan](absl::string_view name, absl::string_view value) {
      std::string l = plan;
      AppendLabel(&l, name, value);
      return l;
    };
    ready.Add(plan, e.state == paraat::v1::PLAN_STATE_READY || e.state == paraat::v1::PLAN_STATE_AT_RISK ? 1 : 0);
    for (PlanState s : AllPlanStates()) state.Add(with("state", PlanStateName(s)), s == e.state ? 1 : 0);
    std::string il = with("name", p.name);
    AppendLabel(&il, "owner", p.owner);
    AppendLabel(&il, "tier", p.tier ? absl::StrCat(p.tier) : "");
    info.Add(il, 1);
    rpo.Add(plan, absl::ToDoubleSeconds(p.rpo));
    rto.Add(plan, absl::ToDoubleSeconds(p.rto));
    if (p.mtpd) mtpd.Add(plan, absl::ToDoubleSeconds(*p.mtpd));
    if (e.recovery_point) {
      rp_ts.Add(plan, Seconds(*e.recovery_point));
      rp_age.Add(plan, std::max(0.0, absl::ToDoubleSeconds(now - *e.recovery_point)));
    }
    if (e.good_restore_time) {
      rt_ts.Add(plan, Seconds(*e.good_restore_time));
      if (e.good_restore_duration_seconds) rt_dur.Add(plan, *e.good_restore_duration_seconds);
    }
    for (const TestDue& t : e.tests) due.Add(with("test", t.test), t.last ? Seconds(t.due) : 0);
    if (e.failover_ready) failover.Add(plan, *e.failover_ready ? 1 : 0);
    stale.Add(plan, e.stale_sources);
    verdict_stale.Add(plan, stale_now);
    since.Add(plan, Seconds(v.since));
    std::map<std::string, int> by_code;
    for (const Reason& r : e.reasons) ++by_code[r.code];
    for (const auto& [code, n] : by_code) reasons.Add(with("code", code), n);
    for (Role role : {Role::kRecoveryPoint, Role::kIntegrity, Role::kRestoreTest, Role::kFailover}) {
      for (const std::string& key : p.Sources(role)) {
        const size_t slash = key.find('/');
        std::string sl = with("role", RoleName(role));
        AppendLabel(&sl, "agent", absl::string_view(key).substr(0, slash));
        AppendLabel(&sl, "check", absl::string_view(key).substr(slash + 1));
        sources.Add(sl, 1);
      }
    }
  }
  for (const TextFamily* f : {&ready, &state, &info, &rpo, &rto, &mtpd, &rp_ts, &rp_age, &rt_ts, &rt_dur, &due,
                              &failover, &stale, &verdict_stale, &since, &reasons, &sources}) {
    f->AppendTo(out);
  }
  RenderContinuityMetrics(*snap, now, out);
  RenderForesightMetrics(snap->plans, out);
  RenderChains(*snap, out);
}

void StateMetrics::RenderChains(const EvaluationSnapshot& snap, std::string* out) const {
  TextFamily effective("paraat_plan_recovery_time_seconds",
                       "Measured recovery time: own plus the longest chain of dependencies (absent when a link is "
                       "unmeasured)");
  TextFamily own("paraat_plan_recovery_time_own_seconds",
                 "Measured own recovery time: latest successful restore test or failover");
  TextFamily accepted("paraat_plan_accepted_unevidenced",
                      "1 for each objective the plan accepts without evidence (a recorded exception)");
  TextFamily assurance("paraat_plan_assurance_level",
                       "How strong the evidence for the objective is: 0 declared, 1 monitored, 2 verified, "
                       "3 restored, 4 exercised");
  std::string plan;
  for (const PlanView& v : snap.plans) {
    const Evaluation& e = v.evaluation;
    plan.clear();
    AppendLabel(&plan, "plan", v.plan->id);
    for (const auto& [objective, level] : {std::pair{"rpo", e.assurance.rpo}, {"rto", e.assurance.rto}}) {
      std::string l = plan;
      AppendLabel(&l, "objective", objective);
      assurance.Add(l, static_cast<int>(level));
    }
    if (e.effective_recovery_seconds) effective.Add(plan, *e.effective_recovery_seconds);
    if (e.own_recovery_seconds) own.Add(plan, *e.own_recovery_seconds);
    for (const auto& [objective, why] : v.plan->accept_unevidenced) {
      std::string l = plan;
      AppendLabel(&l, "objective", objective);
      accepted.Add(l, 1);
    }
  }
  for (const TextFamily* f : {&effective, &own, &accepted, &assurance}) f->AppendTo(out);
}

void StateMetrics::RenderChecks(std::string* out) const {
  TextFamily up("paraat_check_up", "1 when the check's last result was ok or warning");
  // Only the current status has a series (value 1): four series a check, three of them 0,
  // would double what a fleet's scrape carries. `sum by (status) (paraat_check_status)` counts.
  TextFamily status("paraat_check_status", "The status of the check's last result (one series, value 1)");
  TextFamily last_run("paraat_check_last_run_timestamp_seconds", "When the check last ran");
  TextFamily duration("paraat_check_duration_seconds", "How long the check's last run took");
  TextFamily interval("paraat_check_interval_seconds", "The check's configured interval");
  TextFamily rp("paraat_check_recovery_point_timestamp_seconds", "Newest recovery point the check found");
  TextFamily lag("paraat_check_replication_lag_seconds", "Replication lag the check measured");
  TextFamily verified("paraat_check_verified_bytes", "Bytes read back and verified in the last run");
  TextFamily corrupt("paraat_check_corrupt", "1 when the check's latest verification found corrupt data");
  TextFamily restore("paraat_check_restore_duration_seconds", "Duration of the last restore the check ran");
  TextFamily ready("paraat_check_ready", "1 when the failover target reports ready");
  TextFamily free("paraat_check_free_bytes", "Free bytes the check measured (disk_space)");
  TextFamily backup_bytes("paraat_check_backup_bytes", "Bytes in the backup behind the check's recovery point");
  TextFamily backup_files("paraat_check_backup_files", "Files in the backup behind the check's recovery point");
  TextFamily entropy("paraat_check_backup_entropy",
                     "Sampled entropy of the newest backup's bytes, bits per byte (8: random or encrypted)");
  TextFamily coverage_age("paraat_check_coverage_age_seconds",
                          "How long the oldest byte of a rotating verification has gone without being read back");
  static constexpr const char* kStatus[] = {"unspecified", "ok", "warning", "failed", "error"};

  std::string l, sl;
  const absl::Time silent_since = clock_->Now() - retention_;
  state_->ForEachSource([&](const std::string&, const SourceState& s) {
    if (!s.latest || s.received < silent_since) return;
    const Observation& o = *s.latest;
    l.clear();
    AppendLabel(&l, "agent", s.agent);
    AppendLabel(&l, "check", s.check);
    AppendLabel(&l, "kind", o.kind);
    up.Add(l, o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING ? 1 : 0);
    sl = l;
    AppendLabel(&sl, "status", kStatus[o.status >= 0 && o.status <= 4 ? o.status : 0]);
    status.Add(sl, 1);
    last_run.Add(l, Seconds(o.started));
    duration.Add(l, absl::ToDoubleSeconds(o.duration));
    interval.Add(l, absl::ToDoubleSeconds(o.interval));
    if (o.recovery_point) rp.Add(l, Seconds(*o.recovery_point));
    if (o.replication_lag_seconds) lag.Add(l, *o.replication_lag_seconds);
    if (o.verified_bytes) verified.Add(l, static_cast<double>(*o.verified_bytes));
    if (s.latest_conclusive && s.latest_conclusive->integrity != paraat::v1::INTEGRITY_UNSPECIFIED) {
      corrupt.Add(l, s.latest_conclusive->integrity == paraat::v1::INTEGRITY_CORRUPT ? 1 : 0);
    }
    if (o.restore_duration_seconds) restore.Add(l, *o.restore_duration_seconds);
    if (o.ready) ready.Add(l, *o.ready ? 1 : 0);
    if (o.free_bytes) free.Add(l, static_cast<double>(*o.free_bytes));
    if (o.backup_bytes) backup_bytes.Add(l, static_cast<double>(*o.backup_bytes));
    if (o.backup_files) backup_files.Add(l, static_cast<double>(*o.backup_files));
    if (o.content_entropy_bits) entropy.Add(l, *o.content_entropy_bits);
    if (o.coverage_age_seconds) coverage_age.Add(l, *o.coverage_age_seconds);
  });
  for (const TextFamily* f : {&up, &status, &last_run, &duration, &interval, &rp, &lag, &verified, &corrupt, &restore,
                              &ready, &free, &backup_bytes, &backup_files, &entropy, &coverage_age}) {
    f->AppendTo(out);
  }
}

void StateMetrics::RenderAgents(std::string* out) const {
  TextFamily seen("paraat_agent_last_seen_timestamp_seconds", "When the agent last said hello or sent results");
  TextFamily connected("paraat_agent_connected", "1 while the agent has a stream open");
  TextFamily info("paraat_agent_info", "Agent version; always 1");
  TextFamily spool("paraat_agent_spool_bytes", "Bytes of results the agent holds, not yet acknowledged");
  TextFamily spool_max("paraat_agent_spool_max_bytes", "The agent's spool limit (spool.max_size)");
  TextFamily dropped("paraat_agent_spool_dropped_results_total",
                     "Results the agent dropped from a full spool since it started", "counter");
  TextFamily offset("paraat_agent_clock_offset_seconds",
                    "How far the agent's clock is ahead of the collector's (negative: behind), last measured");
  std::string l;
  const absl::Time silent_since = clock_->Now() - retention_;
  for (const AgentInfo& a : agents_->Snapshot()) {
    if (a.connected_streams == 0 && a.last_seen < silent_since) continue;
    l.clear();
    AppendLabel(&l, "agent", a.id);
    seen.Add(l, Seconds(a.last_seen));
    connected.Add(l, a.connected_streams > 0 ? 1 : 0);
    info.Add(Labels({{"agent", a.id}, {"version", a.version}}), 1);
    if (a.status.spool_max_bytes() > 0) {
      spool.Add(l, static_cast<double>(a.status.spool_bytes()));
      spool_max.Add(l, static_cast<double>(a.status.spool_max_bytes()));
      dropped.Add(l, static_cast<double>(a.status.dropped_results_total()));
    }
    if (a.clock_offset) offset.Add(l, absl::ToDoubleSeconds(*a.clock_offset));
  }
  for (const TextFamily* f : {&seen, &connected, &info, &spool, &spool_max, &dropped, &offset}) f->AppendTo(out);
}

}  // namespace paraat
