// The shared evidence store: PostgreSQL, for several collectors on one database. The store's
// semantics are SqlStore's (sql_store.h), the same as SQLite's; this is its PostgreSQL back-end.
// What differs is that other collectors write too:
//
// - Every commit takes the chain head row FOR UPDATE, so commits from all collectors are
//   serialised on it and the chain stays one chain; seqs become visible in order.
// - Leadership (who evaluates plans, records transitions, saves checkpoints, prunes) is a
//   session-level advisory lock on a connection of its own: it passes to another collector as
//   soon as the leader's session ends, e.g. when the process dies.
// - A verification's two halves read one exported snapshot.
#ifndef PARAAT_COLLECTOR_STORE_PG_STORE_H_
#define PARAAT_COLLECTOR_STORE_PG_STORE_H_

#include <string>

#include "collector/store/sql_store.h"

namespace paraat {

class PgStore : public SqlStore {
 public:
  // `url`: a libpq connection string or postgresql:// URI.
  explicit PgStore(std::string url);
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_PG_STORE_H_
