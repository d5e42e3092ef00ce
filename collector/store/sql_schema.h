// The evidence store's schema, once for both back-ends: the migrations, the tables the store
// writes and how, and what each kind of record writes besides its evidence row.
//
// Adding a table: a migration at the end of Migrations() and a TableWrite for it here. Adding a
// record kind with an index table of its own: its RecordType (evidence_chain.h), its table as
// above, and one SideTable in SideTables(). The store core (sql_store.cc) then writes it on both
// back-ends.
#ifndef PARAAT_COLLECTOR_STORE_SQL_SCHEMA_H_
#define PARAAT_COLLECTOR_STORE_SQL_SCHEMA_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "collector/store/sql.h"
#include "collector/store/store.h"

namespace paraat {

// Rows a multi-row statement carries at most (PostgreSQL takes 65,535 parameters, SQLite 32,766).
inline constexpr size_t kRowsPerStatement = 1000;

// Schema versions, applied in order: version N is the first N applied, the same tables on both
// back-ends. Placeholders ({i64}, {bytes}, {keyed}; see SqlDialect) expanded for `dialect`.
std::vector<std::string> Migrations(const SqlDialect& dialect);

struct SqlColumn {
  const char* name;
  SqlValue::Type type;
};

// How rows are written to one table: a plain INSERT, or an upsert on `key`.
struct TableWrite {
  const char* table;
  std::vector<SqlColumn> columns;
  std::vector<const char*> key;     // the conflict target; empty: a plain INSERT
  std::vector<const char*> update;  // what a conflicting row replaces; empty with a key: it is kept
};

namespace tables {
extern const TableWrite kEvidence;
extern const TableWrite kBatches;
extern const TableWrite kSourceLatest;
extern const TableWrite kCheckpoint;
extern const TableWrite kAgents;
extern const TableWrite kAttachments;
}  // namespace tables

// What a record of one kind writes besides its evidence row.
struct SideTable {
  RecordType type;
  const TableWrite* table;
  // The row for `record`, stored as `seq` at `recorded_ns`. Views into `record`. Empty: no row
  // for this record.
  SqlParams (*row)(const PendingRecord& record, uint64_t seq, int64_t recorded_ns);
};
const std::vector<SideTable>& SideTables();

// The one multi-row VALUES list: "(CAST($1 AS TEXT), CAST($2 AS BIGINT)), (CAST($3 AS TEXT), ...)"
// for `rows` rows of `types`, parameters numbered from `first`. The casts type the parameters
// where PostgreSQL could not infer them (a VALUES list in FROM); SQLite reads them too.
std::string ValuesList(size_t rows, const std::vector<SqlValue::Type>& types, int first = 1);
// INSERT INTO table (columns) VALUES <rows rows> [ON CONFLICT (key) DO UPDATE SET ... | DO NOTHING].
std::string InsertSql(const TableWrite& table, size_t rows);

// Rows for one table, written in statements of at most kRowsPerStatement rows. For an upsert, a
// row whose key an earlier row has replaces it: one statement may not change a row twice.
// Holds views, like SqlValue. Not thread-safe.
class TableRows {
 public:
  explicit TableRows(const TableWrite& table);
  void Add(SqlParams row);
  bool empty() const { return rows_.empty(); }
  [[nodiscard]] absl::Status Write(SqlConnection& c) const;

 private:
  const TableWrite& table_;
  std::vector<size_t> key_columns_;
  std::vector<SqlParams> rows_;
  absl::flat_hash_map<std::string, size_t> by_key_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQL_SCHEMA_H_
