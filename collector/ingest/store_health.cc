#include "collector/ingest/store_health.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/units.h"

namespace paraat {
namespace {
constexpr absl::Duration kReportEvery = absl::Minutes(1);
}  // namespace

std::string JoinLines(absl::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : absl::StripAsciiWhitespace(message)) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

StoreHealth::StoreHealth(std::string store, const Clock* clock, prometheus::Gauge* up_gauge)
    : store_(std::move(store)), clock_(clock), up_gauge_(up_gauge) {
  if (up_gauge_) up_gauge_->Set(1);
}

void StoreHealth::Failed(absl::string_view what, const absl::Status& status) {
  const std::string error = JoinLines(absl::StrCat(what, ": ", status.message()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_.error = error;
    if (!state_.up) return;
    state_.up = false;
    state_.down_since = clock_->Now();
    down_mono_ = last_reported_ = clock_->Monotonic();
    up_ = false;
  }
  if (up_gauge_) up_gauge_->Set(0);
  LogError("evidence store unavailable (", store_, "): ", error,
           "; batches are not acknowledged (agents keep them) and plans are not re-evaluated until it is back");
  Notify();
}

void StoreHealth::Succeeded() {
  if (up()) return;
  absl::Duration down;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_.up) return;
    state_.up = true;
    state_.error.clear();
    down = clock_->Monotonic() - down_mono_;
    up_ = true;
  }
  if (up_gauge_) up_gauge_->Set(1);
  LogInfo("evidence store available again after ", HumanDuration(down), " (", store_, ")");
  Notify();
}

void StoreHealth::Tick() {
  if (up()) return;
  std::string error;
  absl::Duration down;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Duration now = clock_->Monotonic();
    if (state_.up || now - last_reported_ < kReportEvery) return;
    last_reported_ = now;
    error = state_.error;
    down = now - down_mono_;
  }
  LogWarning("evidence store still unavailable after ", HumanDuration(absl::Trunc(down, absl::Seconds(1))), " (",
             store_, "): ", error);
}

StoreHealth::State StoreHealth::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

void StoreHealth::OnChange(std::function<void(bool)> fn) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  on_change_ = std::move(fn);
}

void StoreHealth::Notify() {
  std::lock_guard<std::mutex> lock(notify_mu_);
  // The state may have changed again meanwhile: report what it is now, so the last call wins.
  if (on_change_) on_change_(up());
}

}  // namespace paraat
