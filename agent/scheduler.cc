#include "agent/scheduler.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

paraat::v1::Result RunCheck(const CheckSpec& spec, const Clock* clock, const std::string& state_dir, Progress* progress,
                            const std::function<bool()>& stopping) {
  paraat::v1::Result r;
  const absl::Time started = clock->Now();  // for the result; the rest measures monotonic time
  const absl::Duration start = clock->Monotonic();
  const absl::Duration deadline = start + spec.timeout;
  CheckContext ctx;
  ctx.clock = clock;
  ctx.deadline = deadline;
  ctx.timeout = spec.timeout;
  ctx.cancelled = [clock, deadline, &stopping] { return stopping() || clock->Monotonic() >= deadline; };
  ctx.progress = progress;
  if (!state_dir.empty()) {
    ctx.state_dir = absl::StrCat(state_dir, "/", spec.id);
    if (!MakeDirs(ctx.state_dir, 0700).ok()) ctx.state_dir.clear();
  }
  try {
    spec.check->Run(ctx, &r);
  } catch (const std::exception& e) {
    r.Clear();
    Error(&r, absl::StrCat("internal error in the ", spec.kind, " check: ", e.what()));
  } catch (...) {
    r.Clear();
    Error(&r, absl::StrCat("internal error in the ", spec.kind, " check"));
  }
  const absl::Duration end = clock->Monotonic();
  if (r.status() == paraat::v1::CHECK_STATUS_UNSPECIFIED) {
    Error(&r, "the check reported no outcome");
  }
  if (end >= deadline && r.status() == paraat::v1::CHECK_STATUS_ERROR && r.message().empty()) {
    r.set_message(absl::StrCat("timed out after ", HumanDuration(spec.timeout)));
  }
  r.set_check_id(spec.id);
  r.set_kind(spec.kind);
  r.set_started_unix_ns(ToUnixNs(started));
  r.set_duration_ns(ToNs(end - start));
  r.set_interval_ns(ToNs(spec.interval));
  for (const auto& [k, v] : spec.labels) {
    auto* l = r.add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  // Each kind redacts its own secrets from what its tools print; a check may still print
  // another check's (a plugin reading a password file), so every result loses all of them.
  if (spec.agent_secrets) RedactResult(&r, spec.agent_secrets->Values());
  return r;
}

Scheduler::Scheduler(const std::vector<CheckSpec>* checks, int concurrency, std::string state_dir, const Clock* clock,
                     Sink sink)
    : checks_(checks),
      concurrency_(concurrency),
      state_dir_(std::move(state_dir)),
      clock_(clock),
      sink_(std::move(sink)) {}

Scheduler::~Scheduler() { Stop(); }

absl::Duration Scheduler::Jitter(absl::Duration interval) {
  const int64_t max_ms = std::min<int64_t>(absl::ToInt64Milliseconds(interval) / 10, 60000);
  if (max_ms <= 0) return absl::ZeroDuration();
  return absl::Milliseconds(std::uniform_int_distribution<int64_t>(0, max_ms)(rng_));
}

void Scheduler::Start() {
  const absl::Duration now = clock_->Monotonic();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < checks_->size(); ++i) {
      // First runs spread over the first seconds (or the interval, if shorter).
      const absl::Duration spread = std::min((*checks_)[i].interval, absl::Seconds(5));
      const int64_t ms = std::uniform_int_distribution<int64_t>(0, absl::ToInt64Milliseconds(spread))(rng_);
      queue_.push(Due{now + absl::Milliseconds(ms), i});
    }
    ++queue_version_;
  }
  for (int i = 0; i < concurrency_; ++i) workers_.emplace_back([this] { Worker(); });
}

void Scheduler::Stop(absl::Duration grace) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    clock_->WaitFor(cv_, lock, grace, [&] { return running_ == 0; });
  }
  stop_flag_ = true;
  cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void Scheduler::Worker() {
  std::function<bool()> stopping = [this] { return stop_flag_.load(); };
  while (true) {
    Due due;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (true) {
        if (stopping_) return;
        const absl::Duration now = clock_->Monotonic();
        if (!queue_.empty() && queue_.top().at <= now) break;
        // Until the next check is due, or the queue changes (another worker put a check back)
        // or Stop: an idle agent does not wake every second. Monotonic time: a wall clock set
        // back or forward moves no check.
        const uint64_t seen = queue_version_;
        clock_->WaitFor(cv_, lock, queue_.empty() ? absl::InfiniteDuration() : queue_.top().at - now,
                        [&] { return stopping_ || queue_version_ != seen; });
      }
      due = queue_.top();
      queue_.pop();
      ++running_;
    }
    const CheckSpec& spec = (*checks_)[due.index];
    const absl::Duration started = clock_->Monotonic();
    paraat::v1::Result r = RunCheck(spec, clock_, state_dir_, Progress::None(), stopping);
    const bool interrupted = stop_flag_ && r.status() == paraat::v1::CHECK_STATUS_ERROR;
    if (!interrupted) {
      LogDebug("check ", spec.id, ": ", StatusName(r.status()), ": ", r.message());
      sink_(std::move(r));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      if (stopping_) {
        cv_.notify_all();
        return;
      }
      const absl::Duration next = started + spec.interval + Jitter(spec.interval);
      // A check that overran its interval runs again right away, not in a burst of catch-ups.
      queue_.push(Due{std::max(next, clock_->Monotonic()), due.index});
      ++queue_version_;
    }
    cv_.notify_one();
  }
}

}  // namespace paraat
