// What the SQL store core (sql_store.h) asks of a database back-end: connections that run
// statements and hand rows to a callback, how transactions start, the schema version, and
// leader election. Each back-end (sqlite_store.cc, pg_store.cc) supplies these and nothing else;
// the store's semantics live once, in the core.
//
// The core writes its SQL once, with PostgreSQL's parameters ($1, $2, ...); a back-end rewrites
// them where it must (SQLite: ?1, ?2, ...). Integer parameters in multi-row VALUES lists carry
// CAST(... AS BIGINT), which both dialects read; schema text uses the placeholders of
// SqlDialect, expanded by Migrations() (sql_schema.h).
#ifndef PARAAT_COLLECTOR_STORE_SQL_H_
#define PARAAT_COLLECTOR_STORE_SQL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace paraat {

// A statement parameter, or a cell of a row for SqlConnection::Append. Text and bytes are views:
// what they point to must outlive the call they are passed to.
struct SqlValue {
  enum class Type { kInt32, kInt64, kText, kBytes };
  Type type = Type::kInt64;
  int64_t i = 0;
  absl::string_view s;

  static SqlValue Int(int64_t v) { return SqlValue{Type::kInt64, v, {}}; }
  static SqlValue Seq(uint64_t v) { return SqlValue{Type::kInt64, static_cast<int64_t>(v), {}}; }
  static SqlValue Int32(int32_t v) { return SqlValue{Type::kInt32, v, {}}; }
  static SqlValue Text(absl::string_view v) { return SqlValue{Type::kText, 0, v}; }
  static SqlValue Bytes(absl::string_view v) { return SqlValue{Type::kBytes, 0, v}; }
};
using SqlParams = std::vector<SqlValue>;

// One row of a result. Valid only during the callback that receives it.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  // Text and blobs alike.
  virtual absl::string_view Bytes(int col) const = 0;
  std::string Text(int col) const { return std::string(Bytes(col)); }
  uint64_t Seq(int col) const { return static_cast<uint64_t>(Int(col)); }
};
// Receives the rows of a statement in order; returning false stops reading.
using SqlRowFn = std::function<bool(const SqlRow&)>;

// One database connection. Errors are absl::Status: UNAVAILABLE when the connection or the
// database is busy or gone (worth retrying), INTERNAL for a failing statement, DATA_LOSS for a
// corrupt database. Not thread-safe: one thread uses a connection at a time.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Statements without parameters or rows (BEGIN, COMMIT, DDL; several separated by ';').
  [[nodiscard]] virtual absl::Status Exec(const std::string& sql) = 0;
  // Runs one statement with `params`, passing each row to `row` (when set) until it returns
  // false. Returns how many rows an INSERT, UPDATE or DELETE changed. Not re-entrant: `row` must
  // not use this connection.
  [[nodiscard]] virtual absl::StatusOr<int64_t> Run(const std::string& sql, const SqlParams& params = {},
                                                    const SqlRowFn& row = nullptr) = 0;
  // Appends rows to `table` as fast as the back-end can (SQLite: one prepared INSERT a row;
  // PostgreSQL: COPY). `values` holds columns.size() cells a row, rows one after the other.
  [[nodiscard]] virtual absl::Status Append(const std::string& table, const std::vector<std::string>& columns,
                                            const SqlParams& values) = 0;
  // False once the connection broke; a broken reader is not returned to the pool.
  virtual bool ok() const { return true; }
};

// The first column of the first row of `sql`; nullopt when there is no row or it is NULL.
[[nodiscard]] absl::StatusOr<std::optional<int64_t>> QueryInt(SqlConnection& c, const std::string& sql,
                                                              const SqlParams& params = {});
[[nodiscard]] absl::StatusOr<std::optional<std::string>> QueryText(SqlConnection& c, const std::string& sql,
                                                                   const SqlParams& params = {});

// How a back-end spells what the two dialects spell differently.
struct SqlDialect {
  // Schema placeholders (sql_schema.h): {i64} a 64-bit integer column (SQLite: INTEGER, so that
  // an INTEGER PRIMARY KEY stays the rowid), {bytes} a binary column, {keyed} after a table whose
  // primary key is all it is looked up by (SQLite: WITHOUT ROWID).
  const char* int64;
  const char* bytes;
  const char* keyed;
  // Appended to the SELECT of the chain head in a write transaction: every writer, of every
  // collector, serialises on that row ("" where a write transaction already excludes others).
  const char* lock_row;
  // Starts a write transaction.
  const char* begin_write;
};

// A database back-end for SqlStore.
class SqlBackend {
 public:
  virtual ~SqlBackend() = default;
  virtual const SqlDialect& dialect() const = 0;
  // Where the store is, without secrets: "sqlite:///var/lib/paraat/paraat.db".
  virtual std::string Describe() const = 0;
  // Whether other collectors may write to the same database (Store::Shared()).
  virtual bool Shared() const { return false; }

  // The writer connection: opened on first use and again after it broke. Called with the
  // store's writer lock held; the connection stays the backend's.
  [[nodiscard]] virtual absl::StatusOr<SqlConnection*> Writer() = 0;
  // A new reader connection (the store pools them).
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SqlConnection>> OpenReader() = 0;

  // Starts a read-only transaction on `c` that sees the database at one moment.
  [[nodiscard]] virtual absl::Status BeginSnapshot(SqlConnection& c) = 0;
  // A token with which another reader joins the snapshot `c` began ("" when the back-end cannot
  // share one: the joiner then sees a moment of its own, no earlier).
  [[nodiscard]] virtual absl::StatusOr<std::string> ExportSnapshot(SqlConnection& c) = 0;
  [[nodiscard]] virtual absl::Status JoinSnapshot(SqlConnection& c, const std::string& token) = 0;

  // Inside a write transaction: waits for collectors migrating at the same time, then returns
  // the schema version the database is at (0: empty).
  [[nodiscard]] virtual absl::StatusOr<int64_t> LockSchema(SqlConnection& c) = 0;
  [[nodiscard]] virtual absl::Status SetSchemaVersion(SqlConnection& c, int64_t version) = 0;

  // Store::TryLead(): a store no other collector writes to always leads.
  [[nodiscard]] virtual absl::StatusOr<bool> TryLead() { return true; }
  // Store::LeaderLease().
  virtual absl::Duration LeaderLease() const { return absl::InfiniteDuration(); }
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQL_H_
