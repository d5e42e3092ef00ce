#include "collector/store/pg_store.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/store/pg_db.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

// Advisory lock keys ("paraat" in ASCII, then a purpose).
constexpr int64_t kMigrateLock = 0x706172616174'01;
constexpr int64_t kLeaderLock = 0x706172616174'02;

// The leader's session ends when it has been idle this long: a leader that froze (SIGSTOP, a
// stalled VM) or lost the network stops sending its heartbeats (TryLead, every second), the
// server ends the session and with it the advisory lock, and another collector takes over.
constexpr absl::Duration kLeaderLease = absl::Seconds(5);

class PgRow : public SqlRow {
 public:
  explicit PgRow(const PgResult& result) : result_(result) {}
  void set_row(int row) { row_ = row; }
  bool IsNull(int col) const override { return result_.IsNull(row_, col); }
  int64_t Int(int col) const override { return result_.Int(row_, col); }
  absl::string_view Bytes(int col) const override { return result_.Bytes(row_, col); }

 private:
  const PgResult& result_;
  int row_ = 0;
};

class PgConnection : public SqlConnection {
 public:
  explicit PgConnection(std::unique_ptr<PgConn> conn) : conn_(std::move(conn)) {}

  absl::Status Exec(const std::string& sql) override { return conn_->Exec(sql); }

  absl::StatusOr<int64_t> Run(const std::string& sql, const SqlParams& params, const SqlRowFn& row) override {
    PgParams p;
    for (const SqlValue& v : params) {
      if (v.type == SqlValue::Type::kText) {
        p.Text(v.s);
      } else if (v.type == SqlValue::Type::kBytes) {
        p.Bytes(v.s);
      } else {
        p.Int(v.i);
      }
    }
    PARAAT_ASSIGN_OR_RETURN(PgResult result, conn_->Query(sql, p));
    PgRow view(result);
    for (int i = 0; row && i < result.rows(); ++i) {
      view.set_row(i);
      if (!row(view)) break;
    }
    return result.affected();
  }

  // COPY in binary: the commit's evidence rows in one round trip.
  absl::Status Append(const std::string& table, const std::vector<std::string>& columns,
                      const SqlParams& values) override {
    PgCopyRows rows;
    for (size_t i = 0; i < values.size(); i += columns.size()) {
      rows.BeginRow(static_cast<int16_t>(columns.size()));
      for (size_t j = i; j < i + columns.size(); ++j) {
        const SqlValue& v = values[j];
        if (v.type == SqlValue::Type::kInt64) {
          rows.Int8(v.i);
        } else if (v.type == SqlValue::Type::kInt32) {
          rows.Int4(static_cast<int32_t>(v.i));
        } else {
          rows.Bytes(v.s);
        }
      }
    }
    return conn_->Copy(absl::StrCat(table, " (", absl::StrJoin(columns, ", "), ")"), rows);
  }

  bool ok() const override { return conn_->ok(); }

 private:
  std::unique_ptr<PgConn> conn_;
};

const SqlDialect kPostgresDialect = {
    .int64 = "BIGINT",
    .bytes = "BYTEA",
    .keyed = "",
    .lock_row = " FOR UPDATE",  // commits of every collector take turns on the head row
    .begin_write = "BEGIN",
};

constexpr char kReadSnapshot[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

class PgBackend : public SqlBackend {
 public:
  explicit PgBackend(std::string url) : url_(std::move(url)) {}

  const SqlDialect& dialect() const override { return kPostgresDialect; }
  bool Shared() const override { return true; }

  std::string Describe() const override {
    // Never the password: "postgresql://paraat:secret@db/paraat" -> "postgresql://paraat@db/paraat".
    std::string out = url_;
    const size_t scheme = out.find("://");
    const size_t at = out.find('@');
    if (scheme != std::string::npos && at != std::string::npos) {
      const size_t colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
    const size_t pw = out.find("password=");
    if (pw != std::string::npos) out = out.substr(0, pw) + "password=...";
    return out;
  }

  absl::StatusOr<SqlConnection*> Writer() override {
    if (!writer_ || !writer_->ok()) {
      PARAAT_ASSIGN_OR_RETURN(std::unique_ptr<PgConn> conn, PgConn::Connect(url_));
      writer_ = std::make_unique<PgConnection>(std::move(conn));
    }
    return writer_.get();
  }

  absl::StatusOr<std::unique_ptr<SqlConnection>> OpenReader() override {
    PARAAT_ASSIGN_OR_RETURN(std::unique_ptr<PgConn> conn, PgConn::Connect(url_));
    return std::unique_ptr<SqlConnection>(new PgConnection(std::move(conn)));
  }

  absl::Status BeginSnapshot(SqlConnection& c) override { return c.Exec(kReadSnapshot); }

  absl::StatusOr<std::string> ExportSnapshot(SqlConnection& c) override {
    PARAAT_ASSIGN_OR_RETURN(std::optional<std::string> token, QueryText(c, "SELECT pg_export_snapshot()"));
    return token.value_or("");
  }

  absl::Status JoinSnapshot(SqlConnection& c, const std::string& token) override {
    PARAAT_RETURN_IF_ERROR(c.Exec(kReadSnapshot));
    // The server's own token ("00000003-0000001B-1"); checked all the same before it is quoted.
    if (token.empty() || token.find_first_not_of("0123456789ABCDEFabcdef-") != std::string::npos) {
      return absl::InternalError(absl::StrCat("unexpected snapshot id \"", token, "\""));
    }
    return c.Exec(absl::StrCat("SET TRANSACTION SNAPSHOT '", token, "'"));
  }

  absl::StatusOr<int64_t> LockSchema(SqlConnection& c) override {
    // Collectors starting together migrate one after the other.
    PARAAT_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_xact_lock($1)", {SqlValue::Int(kMigrateLock)}).status());
    PARAAT_RETURN_IF_ERROR(c.Exec(
        "CREATE TABLE IF NOT EXISTS paraat_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"));
    PARAAT_ASSIGN_OR_RETURN(std::optional<int64_t> version,
                            QueryInt(c, "SELECT version FROM paraat_schema WHERE id = 1"));
    return version.value_or(0);
  }

  absl::Status SetSchemaVersion(SqlConnection& c, int64_t version) override {
    return c
        .Run(
            "INSERT INTO paraat_schema (id, version) VALUES (1, $1) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            {SqlValue::Int(version)})
        .status();
  }

  absl::Duration LeaderLease() const override { return kLeaderLease; }

  absl::StatusOr<bool> TryLead() override {
    std::lock_guard<std::mutex> lock(leader_mu_);
    if (leader_ && !leader_->Query("SELECT 1").ok()) {
      leader_.reset();  // the session, and the lock it may have held, is gone
      leading_ = false;
    }
    if (leading_) return true;  // a session-level lock is held until the session ends
    if (!leader_) {
      PARAAT_ASSIGN_OR_RETURN(leader_, PgConn::Connect(url_));
      // The heartbeat is this session's queries; PostgreSQL 14 and later end it after the lease
      // without one (older servers refuse the setting: then only TCP keepalives end it).
      (void)leader_->Exec(absl::StrCat("SET idle_session_timeout = ", absl::ToInt64Milliseconds(kLeaderLease)));
    }
    PARAAT_ASSIGN_OR_RETURN(PgResult got,
                            leader_->Query("SELECT pg_try_advisory_lock($1)::int", PgParams().Int(kLeaderLock)));
    leading_ = got.Int(0, 0) == 1;
    return leading_;
  }

 private:
  const std::string url_;
  std::unique_ptr<PgConnection> writer_;
  std::mutex leader_mu_;
  std::unique_ptr<PgConn> leader_;  // holds the advisory lock while this collector leads
  bool leading_ = false;
};

}  // namespace

PgStore::PgStore(std::string url) : SqlStore(std::make_unique<PgBackend>(std::move(url))) {}

}  // namespace paraat
