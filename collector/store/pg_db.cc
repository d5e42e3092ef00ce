#include "collector/store/pg_db.h"

#include <endian.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace paraat {

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

int64_t PgResult::Int(int row, int col) const {
  const char* v = PQgetvalue(r_, row, col);
  switch (PQgetlength(r_, row, col)) {
    case 8: {
      uint64_t x;
      std::memcpy(&x, v, 8);
      return static_cast<int64_t>(be64toh(x));
    }
    case 4: {
      uint32_t x;
      std::memcpy(&x, v, 4);
      return static_cast<int32_t>(be32toh(x));
    }
    case 2: {
      uint16_t x;
      std::memcpy(&x, v, 2);
      return static_cast<int16_t>(be16toh(x));
    }
    default:
      return 0;
  }
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_);
  return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
}

PgParams& PgParams::Int(int64_t v) {
  values_.push_back(absl::StrCat(v));
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Text(absl::string_view v) {
  values_.emplace_back(v);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Bytes(absl::string_view v) {
  values_.emplace_back(v);
  formats_.push_back(1);
  return *this;
}

PgCopyRows::PgCopyRows() {
  static constexpr char kHeader[] = "PGCOPY\n\377\r\n";  // 11 bytes with the trailing NUL
  buf_.append(kHeader, 11);
  buf_.append(8, '\0');  // flags, header extension length
}

void PgCopyRows::BeginRow(int16_t fields) {
  const uint16_t n = htobe16(static_cast<uint16_t>(fields));
  buf_.append(reinterpret_cast<const char*>(&n), 2);
}

void PgCopyRows::Int8(int64_t v) {
  const uint32_t len = htobe32(8);
  const uint64_t x = htobe64(static_cast<uint64_t>(v));
  buf_.append(reinterpret_cast<const char*>(&len), 4);
  buf_.append(reinterpret_cast<const char*>(&x), 8);
}

void PgCopyRows::Int4(int32_t v) {
  const uint32_t len = htobe32(4);
  const uint32_t x = htobe32(static_cast<uint32_t>(v));
  buf_.append(reinterpret_cast<const char*>(&len), 4);
  buf_.append(reinterpret_cast<const char*>(&x), 4);
}

void PgCopyRows::Bytes(absl::string_view v) {
  const uint32_t len = htobe32(static_cast<uint32_t>(v.size()));
  buf_.append(reinterpret_cast<const char*>(&len), 4);
  buf_.append(v.data(), v.size());
}

const std::string& PgCopyRows::Finish() {
  buf_.append("\xff\xff", 2);
  return buf_;
}

namespace {

// libpq's messages span lines ("...\n\tIs the server running...?\n"): one line, for logs.
std::string Flatten(absl::string_view message) {
  std::string out;
  for (char c : absl::StripAsciiWhitespace(message)) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  // Bounded waits on a dead or unreachable server: a connection attempt gives up after 5 s, and
  // data unacknowledged for 10 s (a partition) ends the connection instead of the kernel's 15 min.
  // Before `dbname`, so the connection string's own settings win.
  const char* const keys[] = {"connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* const values[] = {"5", "1", "5", "2", "2", "10000", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = Flatten(PQerrorMessage(c));
    PQfinish(c);
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", msg));
  }
  // The server's notices and warnings ("terminating connection due to immediate shutdown"): libpq
  // would print them to stderr as they come, over several lines. What matters reaches the log as
  // the failure it causes (StoreHealth); the notices themselves are debug lines.
  PQsetNoticeProcessor(
      c, [](void*, const char* message) { LogDebug("PostgreSQL: ", Flatten(message)); }, nullptr);
  return std::unique_ptr<PgConn>(new PgConn(c));
}

absl::Status PgConn::Error(absl::string_view what, PGresult* r) const {
  std::string msg = Flatten(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  // A broken connection is worth retrying (elsewhere); a failing statement is not.
  const bool broken = PQstatus(conn_) != CONNECTION_OK;
  const std::string text = absl::StrCat(what, ": ", msg);
  return broken ? absl::UnavailableError(text) : absl::InternalError(text);
}

absl::Status PgConn::Exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  absl::Status out =
      st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? absl::OkStatus() : Error(sql.substr(0, sql.find(' ')), r);
  PQclear(r);
  return out;
}

absl::StatusOr<PgResult> PgConn::Query(const std::string& sql, const PgParams& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  lengths.reserve(params.size());
  for (const std::string& v : params.values_) {
    values.push_back(v.data());
    lengths.push_back(static_cast<int>(v.size()));
  }
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                             lengths.data(), params.formats_.data(), 1);
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    absl::Status err = Error(sql.substr(0, sql.find(' ')), r);
    PQclear(r);
    return err;
  }
  return PgResult(r);
}

absl::Status PgConn::Copy(const std::string& table_and_columns, PgCopyRows& rows) {
  PGresult* r = PQexec(conn_, absl::StrCat("COPY ", table_and_columns, " FROM STDIN (FORMAT binary)").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) {
    absl::Status err = Error("COPY", r);
    PQclear(r);
    return err;
  }
  PQclear(r);
  const std::string& data = rows.Finish();
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
    return Error("COPY");
  }
  absl::Status st;
  while ((r = PQgetResult(conn_)) != nullptr) {
    if (st.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) st = Error("COPY", r);
    PQclear(r);
  }
  return st;
}

}  // namespace paraat
