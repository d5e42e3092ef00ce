// How far one agent's clock is from the collector's (agent minus collector), measured on its
// stream from the times the messages carry. Hello (the agent's send time t0, received at T1),
// welcome (sent at T2, the collector's time), and the agent's receipt of the welcome (t3, in its
// first batch) are one round trip: NTP's estimate ((t0 - T1) + (t3 - T2)) / 2, and the round
// trip's network time (t3 - t0) - (T2 - T1). Each batch then gives one-way estimate sent -
// received, corrected by half that network time, so a clock that steps while the stream is open
// is seen at the next batch. Before the round trip is known, the estimates are one-way.
//
// Offsets beyond the tolerance are logged once per change (beyond, within again).
//
// Thread-safety: none; one stream's read path uses it.
#ifndef PARAAT_COLLECTOR_INGEST_CLOCK_OFFSET_H_
#define PARAAT_COLLECTOR_INGEST_CLOCK_OFFSET_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace paraat {

class ClockOffset {
 public:
  explicit ClockOffset(absl::Duration tolerance = absl::Minutes(5)) : tolerance_(tolerance) {}

  // The hello of `agent`, sent at `agent_sent_ns` (0: the agent does not say), received at `received`.
  std::optional<absl::Duration> Hello(const std::string& agent, int64_t agent_sent_ns, absl::Time received);
  // The welcome went out at `sent` (the time it carries).
  void Welcomed(absl::Time sent) { welcomed_ = sent; }
  // A batch sent at `agent_sent_ns`, carrying the agent's receipt of the welcome; the current
  // estimate, nullopt when the agent sends no times.
  std::optional<absl::Duration> Batch(int64_t agent_sent_ns, int64_t welcome_received_ns, absl::Time received);

 private:
  std::optional<absl::Duration> Report(absl::Duration offset);

  const absl::Duration tolerance_;
  std::string agent_;
  std::optional<absl::Time> hello_sent_;   // t0, the agent's clock
  absl::Time hello_received_;              // T1
  absl::Time welcomed_;                    // T2
  std::optional<absl::Duration> network_;  // the round trip's time on the wire
  bool beyond_ = false;                    // logged as beyond the tolerance
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_CLOCK_OFFSET_H_
