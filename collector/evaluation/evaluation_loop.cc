#include "collector/evaluation/evaluation_loop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "collector/evaluation/dependencies.h"
#include "collector/evaluation/plan_status.h"
#include "common/log.h"
#include "common/time_util.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

const PlanView* EvaluationSnapshot::Find(const std::string& plan_id) const {
  auto it = std::lower_bound(plans.begin(), plans.end(), plan_id,
                             [](const PlanView& v, const std::string& id) { return v.plan->id < id; });
  return it != plans.end() && it->plan->id == plan_id ? &*it : nullptr;
}

EvaluationLoop::EvaluationLoop(EvidenceState* state, RecordSink* sink, EvaluationMetrics* metrics, const Clock* clock,
                               absl::Duration interval, EvaluationOptions options)
    : state_(state),
      sink_(sink),
      metrics_(metrics),
      clock_(clock),
      interval_(interval),
      options_(options),
      plans_(std::make_shared<std::vector<std::shared_ptr<const Plan>>>()),
      snapshot_(std::make_shared<EvaluationSnapshot>()) {}

EvaluationLoop::~EvaluationLoop() { Stop(); }

void EvaluationLoop::RestoreStates(const std::vector<PlanStateRow>& rows) {
  std::lock_guard<std::mutex> lock(mu_);
  previous_.clear();
  for (const PlanStateRow& r : rows) {
    previous_[r.plan_id] = Previous{static_cast<PlanState>(r.state), FromUnixNs(r.since_ns)};
  }
}

void EvaluationLoop::SetRecording(bool record) {
  std::lock_guard<std::mutex> lock(mu_);
  recording_ = record;
}

void EvaluationLoop::SetPlans(std::vector<Plan> plans) {
  std::sort(plans.begin(), plans.end(), [](const Plan& a, const Plan& b) { return a.id < b.id; });
  auto shared = std::make_shared<std::vector<std::shared_ptr<const Plan>>>();
  for (Plan& p : plans) shared->push_back(std::make_shared<const Plan>(std::move(p)));
  {
    std::lock_guard<std::mutex> lock(mu_);
    plans_ = std::move(shared);
  }
  EvaluateNow();
}

void EvaluationLoop::SetRecordingGuard(std::function<bool()> guard) {
  std::lock_guard<std::mutex> lock(mu_);
  recording_guard_ = std::move(guard);
}

void EvaluationLoop::SetPaused(bool paused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (paused_ == paused) return;
    paused_ = paused;
    dirty_ = !paused;
  }
  cv_.notify_one();
}

bool EvaluationLoop::paused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_;
}

std::shared_ptr<const std::vector<std::shared_ptr<const Plan>>> EvaluationLoop::plans() const {
  std::lock_guard<std::mutex> lock(mu_);
  return plans_;
}

void EvaluationLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EvaluationLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EvaluationLoop::SourcesChanged(const std::vector<std::string>&) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_one();
}

std::shared_ptr<const EvaluationSnapshot> EvaluationLoop::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void EvaluationLoop::Run() {
  absl::Duration next_full = clock_->Monotonic() + interval_;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      clock_->WaitFor(cv_, lock, next_full - clock_->Monotonic(), [&] { return stopping_ || dirty_; });
      if (stopping_) return;
      dirty_ = false;
    }
    const absl::Duration start = clock_->Monotonic();
    EvaluateNow();
    const absl::Duration took = clock_->Monotonic() - start;
    if (clock_->Monotonic() >= next_full) next_full = clock_->Monotonic() + interval_;
    // Results arriving in a burst are folded into one evaluation, not one each; and however
    // many plans there are, evaluating them takes at most a fifth of a core while results
    // keep arriving.
    const absl::Duration pause = std::max(absl::Milliseconds(100), 4 * took);
    std::unique_lock<std::mutex> lock(mu_);
    if (clock_->WaitFor(cv_, lock, pause, [&] { return stopping_; })) return;
  }
}

namespace {

// The evidence record of a plan's change of state, with the reasons behind its new state.
PendingRecord TransitionRecord(const PlanView& view, PlanState from) {
  paraat::v1::EvidenceRecord rec;
  auto* t = rec.mutable_transition();
  t->set_plan_id(view.plan->id);
  t->set_from(from);
  t->set_to(view.evaluation.state);
  for (const Reason& r : view.evaluation.reasons) ToProto(r, t->add_reasons());
  if (view.evaluation.achieved_rpo) t->set_achieved_rpo_ns(ToNs(*view.evaluation.achieved_rpo));
  PendingRecord pr;
  pr.type = RecordType::kTransition;
  pr.plan_id = view.plan->id;
  pr.state = view.evaluation.state;
  rec.SerializeToString(&pr.payload);
  return pr;
}

}  // namespace

void EvaluationLoop::EvaluateNow() {
  std::lock_guard<std::mutex> one_at_a_time(evaluate_mu_);
  std::function<bool()> guard;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (paused_) return;
    guard = recording_guard_;
  }
  // Asked before the evaluation: a lease confirmed now covers what follows.
  const bool may_record = !guard || guard();
  const absl::Time now = clock_->Now();  // what the plans are judged at
  const absl::Duration started = clock_->Monotonic();
  auto plans = this->plans();
  if (resolved_for_ != plans) {
    resolved_.clear();
    resolved_.reserve(plans->size());
    for (const auto& plan : *plans) resolved_.emplace_back(*state_, *plan);
    resolved_for_ = plans;
  }
  auto snap = std::make_shared<EvaluationSnapshot>();
  snap->at = now;
  snap->plans.reserve(plans->size());
  // In chunks, so the ingest writer is never held up for longer than one chunk takes.
  constexpr size_t kChunk = 256;
  for (size_t i = 0; i < plans->size(); i += kChunk) {
    EvidenceState::ReadLock lock(*state_);
    for (size_t j = i; j < std::min(plans->size(), i + kChunk); ++j) {
      resolved_[j].Refresh();
      snap->plans.push_back(PlanView{(*plans)[j], Evaluate(*(*plans)[j], resolved_[j], now, options_), now});
    }
  }
  {  // then along the chains: dependencies recover first
    std::vector<ChainMember> members;
    members.reserve(snap->plans.size());
    for (PlanView& v : snap->plans) members.push_back(ChainMember{v.plan.get(), &v.evaluation});
    ApplyDependencies(members, options_.margin);
  }
  if (metrics_) metrics_->Evaluated(clock_->Monotonic() - started);

  std::vector<PendingRecord> transitions;
  std::vector<std::pair<std::string, std::optional<Previous>>> replaced;  // to undo if not recorded
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (PlanView& view : snap->plans) {
      auto it = previous_.find(view.plan->id);
      const PlanState state = view.evaluation.state;
      if (it != previous_.end() && it->second.state == state) {
        view.since = it->second.since;
        continue;
      }
      if (!recording_) {  // a follower: the leader records it
        previous_[view.plan->id] = Previous{state, now};
        continue;
      }
      if (!may_record) {  // a leader unsure of its lease: the next evaluation records it
        view.since = now;
        continue;
      }
      PendingRecord pr =
          TransitionRecord(view, it == previous_.end() ? paraat::v1::PLAN_STATE_UNSPECIFIED : it->second.state);
      transitions.push_back(std::move(pr));
      LogInfo(
          "plan ", view.plan->id, ": ", it == previous_.end() ? "new" : PlanStateName(it->second.state), " -> ",
          PlanStateName(state),
          view.evaluation.reasons.empty() ? std::string() : absl::StrCat(" (", view.evaluation.reasons[0].text, ")"));
      replaced.emplace_back(view.plan->id, it == previous_.end() ? std::nullopt : std::optional<Previous>(it->second));
      previous_[view.plan->id] = Previous{state, now};
    }
    snapshot_ = snap;
  }
  if (!transitions.empty()) {
    if (metrics_) metrics_->TransitionsRecorded(transitions.size());
    sink_->Append(std::move(transitions), [this, replaced = std::move(replaced)](const absl::Status& st, uint64_t) {
      if (st.ok()) return;
      LogError("recording plan state transitions failed (retrying at the next evaluation): ", st.message());
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, old] : replaced) {
        if (old) {
          previous_[id] = *old;
        } else {
          previous_.erase(id);
        }
      }
    });
  }
}

}  // namespace paraat
