#include "collector/ingest/clock_offset.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {
namespace {

// Offsets in log lines, to the second: an agent three hours ahead is "3h", not "2h59m".
absl::Duration ToSeconds(absl::Duration d) {
  return absl::Seconds(std::llround(absl::ToDoubleSeconds(absl::AbsDuration(d))));
}

}  // namespace

std::optional<absl::Duration> ClockOffset::Hello(const std::string& agent, int64_t agent_sent_ns, absl::Time received) {
  agent_ = agent;
  hello_received_ = received;
  if (agent_sent_ns == 0) return std::nullopt;
  hello_sent_ = FromUnixNs(agent_sent_ns);
  return Report(*hello_sent_ - received);
}

std::optional<absl::Duration> ClockOffset::Batch(int64_t agent_sent_ns, int64_t welcome_received_ns,
                                                 absl::Time received) {
  if (!network_ && hello_sent_ && welcome_received_ns != 0) {
    const absl::Time t3 = FromUnixNs(welcome_received_ns);
    // A clock that stepped between t0 and t3 makes this negative: no time on the wire then.
    network_ = std::max(absl::ZeroDuration(), (t3 - *hello_sent_) - (welcomed_ - hello_received_));
  }
  if (agent_sent_ns == 0) return std::nullopt;
  return Report(FromUnixNs(agent_sent_ns) - received + network_.value_or(absl::ZeroDuration()) / 2);
}

std::optional<absl::Duration> ClockOffset::Report(absl::Duration offset) {
  const bool beyond = absl::AbsDuration(offset) > tolerance_;
  if (beyond != beyond_) {
    beyond_ = beyond;
    if (beyond) {
      LogWarning("agent ", agent_, "'s clock is ", HumanDuration(ToSeconds(offset)),
                 offset > absl::ZeroDuration() ? " ahead of" : " behind", " the collector's (tolerance ",
                 HumanDuration(tolerance_),
                 "): its results are judged by when they arrive, and results or recovery "
                 "points dated ahead of the collector's clock are not usable");
    } else {
      LogInfo("agent ", agent_, "'s clock is within ", HumanDuration(tolerance_), " of the collector's again");
    }
  }
  return offset;
}

}  // namespace paraat
