#include "collector/store/sqlite_db.h"

#include "absl/strings/str_cat.h"

namespace paraat {
namespace {
absl::Status FromCode(int rc, absl::string_view msg) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}
}  // namespace

SqliteStmt::SqliteStmt(SqliteStmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
  if (this != &other) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

SqliteStmt::~SqliteStmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

absl::StatusOr<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromCode(rc, absl::StrCat("sqlite: ", sqlite3_errmsg(db_)));
}

absl::Status SqliteStmt::Run() {
  auto r = Step();
  Reset();
  return r.status();
}

std::string SqliteStmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
}

absl::string_view SqliteStmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? absl::string_view(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : absl::string_view();
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = absl::StrCat("cannot open ", path, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return FromCode(rc, msg);
  }
  sqlite3_busy_timeout(db, 10000);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db));
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

absl::Status SqliteDb::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return absl::OkStatus();
  std::string msg = absl::StrCat("sqlite: ", err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return FromCode(rc, msg);
}

absl::StatusOr<SqliteStmt> SqliteDb::Prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return FromCode(rc, absl::StrCat("sqlite: ", sqlite3_errmsg(db_), " in: ", sql));
  return SqliteStmt(db_, stmt);
}

absl::Status SqliteDb::LastError(absl::string_view context) const {
  return FromCode(sqlite3_errcode(db_), absl::StrCat(context, ": ", sqlite3_errmsg(db_)));
}

}  // namespace paraat
