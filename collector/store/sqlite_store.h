// The embedded evidence store: one SQLite file in WAL mode, synchronous=FULL, so a commit that
// returned is on disk. One writer connection; readers get their own connections. The store's
// semantics are SqlStore's (sql_store.h); this is its SQLite back-end.
#ifndef PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_
#define PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_

#include <string>

#include "collector/store/sql_store.h"

namespace paraat {

class SqliteStore : public SqlStore {
 public:
  // `path`: the database file, created by Open() when missing.
  explicit SqliteStore(std::string path);
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQLITE_STORE_H_
