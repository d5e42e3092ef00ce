// Which results go into their source's history (the `history` table, Store::History): the web
// console's plan page draws a source's status, its recovery points and the achieved RPO over 90
// days from them, without reading every result. A result is marked when it says something new:
//
//   - the first result of a source this collector sees;
//   - a status, integrity or readiness different from the source's previous result;
//   - a restore test (restore facts, or a restore_test check);
//   - a new recovery point after the source's achieved RPO reached a minute (a backup arrived,
//     or a replica caught up after lagging): the peak and the drop of the RPO are then exact,
//     from the record and the previous recovery point kept beside it;
//   - otherwise at least one an hour, so that a steadily replicating source still has points.
//
// Used by the ingest writer only (not thread-safe); memory is one small entry per source.
#ifndef PARAAT_COLLECTOR_INGEST_HISTORY_MARKER_H_
#define PARAAT_COLLECTOR_INGEST_HISTORY_MARKER_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "collector/evaluation/observation.h"

namespace paraat {

class HistoryMarker {
 public:
  struct Mark {
    bool marked = false;
    int64_t previous_point_ns = 0;  // the recovery point the source reported before (0: none)
  };

  // Whether `next`, the newest result of source `key`, goes into its history, given the
  // source's result before it (`previous`, null when none is known).
  Mark Decide(const std::string& key, const Observation& next, const Observation* previous);

 private:
  absl::flat_hash_map<std::string, absl::Time> last_marked_;  // by the results' finish times
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_HISTORY_MARKER_H_
