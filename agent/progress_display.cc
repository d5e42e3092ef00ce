#include "agent/progress_display.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/text.h"
#include "common/units.h"

namespace paraat {

ProgressDisplay::ProgressDisplay(FILE* out, bool terminal, absl::Duration every, const Clock* clock)
    : out_(out), terminal_(terminal), every_(every), clock_(clock) {}

ProgressDisplay::~ProgressDisplay() { Finish(); }

std::string RenderProgressLine(absl::string_view what, uint64_t done, uint64_t total, absl::Duration elapsed,
                               int width) {
  const double secs = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const double rate = static_cast<double>(done) / secs;
  std::string line;
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int filled = static_cast<int>(frac * width);
    std::string bar(width, ' ');
    for (int i = 0; i < filled; ++i) bar[i] = '=';
    if (filled < width) bar[filled] = '>';
    std::string eta = rate > 0 && done < total ? HumanDuration(absl::Seconds(static_cast<double>(total - done) / rate))
                                               : std::string("0s");
    line = absl::StrFormat("[%s] %3d%%  %s / %s  %s/s  ETA %s", bar, static_cast<int>(frac * 100), HumanSize(done),
                           HumanSize(total), HumanSize(static_cast<uint64_t>(rate)), eta);
  } else {
    line = absl::StrFormat("%s  %s/s", HumanSize(done), HumanSize(static_cast<uint64_t>(rate)));
  }
  if (!what.empty()) absl::StrAppend(&line, "  ", what);
  return line;
}

void ProgressDisplay::Update(absl::string_view what, uint64_t done, uint64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Duration now = clock_->Monotonic();
  if (started_ == -absl::InfiniteDuration()) started_ = now;
  const bool complete = total > 0 && done >= total;
  const absl::Duration min_gap = terminal_ ? absl::Milliseconds(100) : every_;
  if (!complete && now - last_draw_ < min_gap) return;
  if (!terminal_ && complete && !drawn_) return;  // short work needs no progress lines
  last_draw_ = now;
  std::string line = RenderProgressLine(what, done, total, now - started_, 30);
  if (terminal_) {
    std::fprintf(out_, "\r%-100.100s", line.c_str());
    drawn_ = true;
  } else {
    std::fprintf(out_, "progress: %s\n", line.c_str());
    drawn_ = true;
  }
  std::fflush(out_);
}

void ProgressDisplay::Note(absl::string_view raw) {
  // A tool's own line: shown, never acted on by the terminal; whole characters when cut.
  const std::string line = OneLine(raw);
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Duration now = clock_->Monotonic();
  if (terminal_) {
    std::fprintf(out_, "\r%-100s", std::string(Utf8Prefix(line, 100)).c_str());
    drawn_ = true;
  } else {
    if (now - last_note_ < absl::Seconds(1)) return;  // tools print progress many times a second
    std::fprintf(out_, "tool: %s\n", line.c_str());
  }
  last_note_ = now;
  std::fflush(out_);
}

void ProgressDisplay::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (terminal_ && drawn_) {
    std::fprintf(out_, "\r%100s\r", "");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace paraat
