// A thin RAII layer over libpq that turns results into absl::Status: a connection, results read
// in binary format, parameters as text or bytes, and COPY ... FROM STDIN (BINARY) for bulk rows.
// Used by the PostgreSQL back-end (pg_store.cc). Not thread-safe: one thread uses a connection.
#ifndef PARAAT_COLLECTOR_STORE_PG_DB_H_
#define PARAAT_COLLECTOR_STORE_PG_DB_H_

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace paraat {

// One query's rows. Columns come in binary format: Int() reads int2/int4/int8, Bytes() text and
// bytea alike.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  ~PgResult() { PQclear(r_); }

  int rows() const { return PQntuples(r_); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_, row, col); }
  int64_t Int(int row, int col) const;
  absl::string_view Bytes(int row, int col) const {
    return absl::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
  }
  std::string Text(int row, int col) const { return std::string(Bytes(row, col)); }
  // Rows an INSERT, UPDATE or DELETE changed (0 for other statements).
  int64_t affected() const;

 private:
  PGresult* r_;
};

// Query parameters: numbers and text as text, bytes as binary.
class PgParams {
 public:
  PgParams& Int(int64_t v);
  PgParams& Text(absl::string_view v);
  PgParams& Bytes(absl::string_view v);
  size_t size() const { return values_.size(); }

 private:
  friend class PgConn;
  std::vector<std::string> values_;
  std::vector<int> formats_;
};

// Rows for COPY ... FROM STDIN (FORMAT binary).
class PgCopyRows {
 public:
  PgCopyRows();
  void BeginRow(int16_t fields);
  void Int8(int64_t v);
  void Int4(int32_t v);
  void Bytes(absl::string_view v);
  const std::string& Finish();  // appends the trailer

 private:
  std::string buf_;
};

class PgConn {
 public:
  // `url`: a libpq connection string or postgresql:// URI.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PgConn>> Connect(const std::string& url);
  ~PgConn() { PQfinish(conn_); }

  // Statements without parameters or rows (BEGIN, COMMIT, DDL).
  [[nodiscard]] absl::Status Exec(const std::string& sql);
  [[nodiscard]] absl::StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = PgParams());
  // COPY `table_and_columns` FROM STDIN (FORMAT binary) with the given rows.
  [[nodiscard]] absl::Status Copy(const std::string& table_and_columns, PgCopyRows& rows);
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }

 private:
  explicit PgConn(PGconn* c) : conn_(c) {}
  absl::Status Error(absl::string_view what, PGresult* r = nullptr) const;
  PGconn* conn_;
};

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_PG_DB_H_
