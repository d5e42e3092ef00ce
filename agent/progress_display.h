// Progress for `paraat-agent run-check`: a redrawn bar on a terminal, plain lines otherwise.
// Thread-safe: a check's verification workers report from several threads.
#ifndef PARAAT_AGENT_PROGRESS_DISPLAY_H_
#define PARAAT_AGENT_PROGRESS_DISPLAY_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "agent/check.h"
#include "common/clock.h"

namespace paraat {

class ProgressDisplay : public Progress {
 public:
  // `terminal`: redraw one line with \r; otherwise print a line every `every` (of the clock's
  // monotonic time, which also gives the rate and the ETA).
  ProgressDisplay(FILE* out, bool terminal, absl::Duration every = absl::Seconds(5),
                  const Clock* clock = Clock::Real());
  ~ProgressDisplay() override;

  void Update(absl::string_view what, uint64_t done, uint64_t total) override;
  void Note(absl::string_view line) override;
  // Ends the bar's line, if one is drawn.
  void Finish();

 private:
  FILE* out_;
  const bool terminal_;
  const absl::Duration every_;
  const Clock* clock_;
  std::mutex mu_;
  absl::Duration started_ = -absl::InfiniteDuration();
  absl::Duration last_draw_ = -absl::InfiniteDuration();
  absl::Duration last_note_ = -absl::InfiniteDuration();
  bool drawn_ = false;
};

// Renders "[=====>      ]  45%  1.2 GiB / 2.7 GiB  980.0 MiB/s  ETA 2s" (no trailing newline).
std::string RenderProgressLine(absl::string_view what, uint64_t done, uint64_t total, absl::Duration elapsed,
                               int width);

}  // namespace paraat

#endif  // PARAAT_AGENT_PROGRESS_DISPLAY_H_
