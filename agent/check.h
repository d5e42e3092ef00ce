// A check kind: one small class behind this interface, registered by name (registry.h).
//
// A kind parses its own keys from the check's YAML map at config load (unknown keys are
// reported by the loader), then Run() is called on a schedule. Run never throws and never
// crashes the agent: a check that cannot do its work returns status ERROR with a message;
// a check that did its work and found a problem returns FAILED (or WARNING). A kind is built
// from the toolkit in checks/support/ (paths, tool steps, rotation, clients). A Check is created
// once and run by one worker at a time (the scheduler never runs a check twice at once); it
// keeps no state between runs but in ctx.state_dir.
#ifndef PARAAT_AGENT_CHECK_H_
#define PARAAT_AGENT_CHECK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

// Progress of long verifications, for `paraat-agent run-check` on a terminal.
class Progress {
 public:
  virtual ~Progress() = default;
  // `total` 0 means unknown.
  virtual void Update(absl::string_view what, uint64_t done, uint64_t total) = 0;
  // A line of a tool's own progress output (already redacted).
  virtual void Note(absl::string_view line) {}
  static Progress* None();
};

struct CheckContext {
  // Wall time for the timestamps in results; monotonic time for everything that measures.
  const Clock* clock = Clock::Real();
  // When the check's time is up, on clock->Monotonic(); infinite: no deadline.
  absl::Duration deadline = absl::InfiniteDuration();
  absl::Duration timeout = absl::InfiniteDuration();  // the check's configured timeout
  // True once the deadline passed or the agent is stopping; long checks poll it.
  std::function<bool()> cancelled = [] { return false; };
  Progress* progress = Progress::None();
  // A directory this check may keep state in across runs (rotating verification).
  std::string state_dir;

  // Time until the deadline (infinite without one).
  absl::Duration TimeLeft() const { return deadline - clock->Monotonic(); }
};

class Check {
 public:
  virtual ~Check() = default;
  // Fills status, message, facts, details, values and output tail. The scheduler fills in
  // check id, kind, times, interval and labels.
  virtual void Run(const CheckContext& ctx, paraat::v1::Result* result) = 0;
};

// Helpers for check implementations.
void SetStatus(paraat::v1::Result* r, paraat::v1::CheckStatus status, std::string message);
inline void Ok(paraat::v1::Result* r, std::string m) { SetStatus(r, paraat::v1::CHECK_STATUS_OK, std::move(m)); }
inline void Warn(paraat::v1::Result* r, std::string m) { SetStatus(r, paraat::v1::CHECK_STATUS_WARNING, std::move(m)); }
inline void Fail(paraat::v1::Result* r, std::string m) { SetStatus(r, paraat::v1::CHECK_STATUS_FAILED, std::move(m)); }
inline void Error(paraat::v1::Result* r, std::string m) { SetStatus(r, paraat::v1::CHECK_STATUS_ERROR, std::move(m)); }
void AddDetail(paraat::v1::Result* r, const std::string& key, const std::string& value);
void AddValue(paraat::v1::Result* r, const std::string& name, double value, const std::string& unit = "");
const char* StatusName(paraat::v1::CheckStatus status);  // "ok", "warning", "failed", "error"

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECK_H_
