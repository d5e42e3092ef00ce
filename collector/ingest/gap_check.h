// The gaps agents report, checked against what the store holds before they become evidence. An
// agent drops the oldest batches it has not sent from a full spool and reports them; a batch it
// sent before a restart may have been stored while the acknowledgement was lost, and after the
// restart the agent no longer knows it was sent (agent/spool.h). Such a batch is not lost: the
// gap recorded holds only the sequences the collector never stored (Gap.dropped_ranges), and
// the agent's report stays beside it (GapRecord.reported).
//
// Thread-safety: stateless; reads the store from the calling thread.
#ifndef PARAAT_COLLECTOR_INGEST_GAP_CHECK_H_
#define PARAAT_COLLECTOR_INGEST_GAP_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "collector/store/store.h"
#include "paraat/v1/agent.pb.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

struct CheckedGap {
  paraat::v1::GapRecord record;  // what is lost, and the report when it said more
  uint64_t lost_results = 0;
  uint64_t stored_batches = 0;  // reported dropped, yet stored
  uint64_t stored_results = 0;
  std::string description;  // for the log, one line
};

// `gap` as `agent` reported it for its spool `epoch`. Errors are the store's (the batch carrying
// the report is then refused, and sent again). A report without dropped_ranges (from an older
// agent), or no `store`, takes the report as it is.
[[nodiscard]] absl::StatusOr<CheckedGap> CheckGap(Store* store, const std::string& agent, uint64_t epoch,
                                                  const paraat::v1::Gap& gap);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_GAP_CHECK_H_
