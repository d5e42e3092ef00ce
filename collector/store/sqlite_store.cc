#include "collector/store/sqlite_store.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/store/sqlite_db.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

// Prepared statements a connection keeps; beyond, the cache starts over (multi-row statements
// come in as many shapes as row counts).
constexpr size_t kMaxCachedStatements = 64;

// The store's $1, $2, ... as SQLite's numbered parameters ?1, ?2, ...
std::string NumberedParameters(const std::string& sql) {
  std::string out = sql;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && absl::ascii_isdigit(static_cast<unsigned char>(out[i + 1]))) out[i] = '?';
  }
  return out;
}

class SqliteRow : public SqlRow {
 public:
  explicit SqliteRow(const SqliteStmt& stmt) : stmt_(stmt) {}
  bool IsNull(int col) const override { return stmt_.IsNull(col); }
  int64_t Int(int col) const override { return stmt_.Int(col); }
  absl::string_view Bytes(int col) const override { return stmt_.Blob(col); }

 private:
  const SqliteStmt& stmt_;
};

class SqliteConnection : public SqlConnection {
 public:
  explicit SqliteConnection(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  absl::Status Exec(const std::string& sql) override { return db_->Exec(sql.c_str()); }

  absl::StatusOr<int64_t> Run(const std::string& sql, const SqlParams& params, const SqlRowFn& row) override {
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt * stmt, Prepared(sql));
    Bind(*stmt, params, 0, params.size());
    absl::Status st = StepAll(*stmt, row);
    stmt->Reset();
    PARAAT_RETURN_IF_ERROR(st);
    return db_->Changes();
  }

  // One prepared INSERT a row: inside the commit's transaction, SQLite appends fastest that way.
  absl::Status Append(const std::string& table, const std::vector<std::string>& columns,
                      const SqlParams& values) override {
    std::vector<std::string> params;
    for (size_t i = 1; i <= columns.size(); ++i) params.push_back(absl::StrCat("$", i));
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt * stmt,
                            Prepared(absl::StrCat("INSERT INTO ", table, " (", absl::StrJoin(columns, ", "),
                                                  ") VALUES (", absl::StrJoin(params, ", "), ")")));
    for (size_t i = 0; i < values.size(); i += columns.size()) {
      Bind(*stmt, values, i, columns.size());
      PARAAT_RETURN_IF_ERROR(stmt->Run());
    }
    return absl::OkStatus();
  }

 private:
  // Binds values[from, from + n) to parameters 1..n. The values outlive the statement's run.
  static void Bind(SqliteStmt& stmt, const SqlParams& values, size_t from, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const SqlValue& v = values[from + i];
      const int param = static_cast<int>(i + 1);
      // A null pointer would bind NULL, not an empty string.
      const absl::string_view s = v.s.data() != nullptr ? v.s : absl::string_view("");
      switch (v.type) {
        case SqlValue::Type::kInt32:
        case SqlValue::Type::kInt64:
          stmt.Bind(param, v.i);
          break;
        case SqlValue::Type::kText:
          stmt.BindTextNoCopy(param, s);
          break;
        case SqlValue::Type::kBytes:
          stmt.BindBlobNoCopy(param, s);
          break;
      }
    }
  }

  static absl::Status StepAll(SqliteStmt& stmt, const SqlRowFn& row) {
    const SqliteRow view(stmt);
    while (true) {
      PARAAT_ASSIGN_OR_RETURN(bool more, stmt.Step());
      if (!more || (row && !row(view))) return absl::OkStatus();
    }
  }

  absl::StatusOr<SqliteStmt*> Prepared(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
    if (cache_.size() >= kMaxCachedStatements) cache_.clear();
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt stmt, db_->Prepare(NumberedParameters(sql).c_str()));
    auto& slot = cache_[sql];
    slot = std::make_unique<SqliteStmt>(std::move(stmt));
    return slot.get();
  }

  std::unique_ptr<SqliteDb> db_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStmt>> cache_;
};

const SqlDialect kSqliteDialect = {
    .int64 = "INTEGER",
    .bytes = "BLOB",
    .keyed = " WITHOUT ROWID",
    .lock_row = "",  // BEGIN IMMEDIATE already excludes every other writer
    .begin_write = "BEGIN IMMEDIATE",
};

class SqliteBackend : public SqlBackend {
 public:
  explicit SqliteBackend(std::string path) : path_(std::move(path)) {}

  const SqlDialect& dialect() const override { return kSqliteDialect; }
  std::string Describe() const override { return "sqlite://" + path_; }

  absl::StatusOr<SqlConnection*> Writer() override {
    if (writer_) return writer_.get();
    PARAAT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path_, false));
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                               "PRAGMA cache_size=-32768" /* 32 MiB */, "PRAGMA foreign_keys=OFF"}) {
      PARAAT_RETURN_IF_ERROR(db->Exec(pragma));
    }
    writer_ = std::make_unique<SqliteConnection>(std::move(db));
    return writer_.get();
  }

  absl::StatusOr<std::unique_ptr<SqlConnection>> OpenReader() override {
    PARAAT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path_, true));
    PARAAT_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-65536"));
    return std::unique_ptr<SqlConnection>(new SqliteConnection(std::move(db)));
  }

  // SQLite shares no snapshot between connections: a joining reader sees a moment of its own,
  // no earlier. The records below the head it was told to check change only by pruning or tampering.
  absl::Status BeginSnapshot(SqlConnection& c) override { return c.Exec("BEGIN"); }
  absl::StatusOr<std::string> ExportSnapshot(SqlConnection&) override { return std::string(); }
  absl::Status JoinSnapshot(SqlConnection& c, const std::string&) override { return c.Exec("BEGIN"); }

  // BEGIN IMMEDIATE holds the write lock already; the version is the file header's user_version.
  absl::StatusOr<int64_t> LockSchema(SqlConnection& c) override {
    PARAAT_ASSIGN_OR_RETURN(std::optional<int64_t> version, QueryInt(c, "PRAGMA user_version"));
    return version.value_or(0);
  }
  absl::Status SetSchemaVersion(SqlConnection& c, int64_t version) override {
    return c.Exec(absl::StrCat("PRAGMA user_version = ", version));
  }

 private:
  const std::string path_;
  std::unique_ptr<SqliteConnection> writer_;
};

}  // namespace

SqliteStore::SqliteStore(std::string path) : SqlStore(std::make_unique<SqliteBackend>(std::move(path))) {}

}  // namespace paraat
