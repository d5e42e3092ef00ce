#include "agent/checks/mysql_replication.h"

#include <mysql.h>

#include <cmath>
#include <map>
#include <memory>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/checks/support/client.h"
#include "agent/dynamic_library.h"
#include "common/time_util.h"

namespace paraat {

namespace {

// libmariadb, loaded when a mysql_replication check first needs it.
// clang-format off
#define PARAAT_LIBMARIADB(X)                \
  X(close, mysql_close)                     \
  X(errno_, mysql_errno)                    \
  X(error, mysql_error)                     \
  X(fetch_fields, mysql_fetch_fields)       \
  X(fetch_row, mysql_fetch_row)             \
  X(free_result, mysql_free_result)         \
  X(get_server_info, mysql_get_server_info) \
  X(init, mysql_init)                       \
  X(num_fields, mysql_num_fields)           \
  X(options, mysql_options)                 \
  X(query, mysql_query)                     \
  X(real_connect, mysql_real_connect)       \
  X(store_result, mysql_store_result)
// clang-format on
struct LibMariadb {
  PARAAT_LIBMARIADB(PARAAT_DECLARE_FUNCTION)
};
const absl::StatusOr<LibMariadb>& LoadLibMariadb() {
  return LoadLibraryOnce<LibMariadb>("libmariadb.so.3", "libmariadb3", [](DynamicLibrary& lib, LibMariadb& api) {
    PARAAT_LIBMARIADB(PARAAT_BIND_FUNCTION)
  });
}
// Only after LoadLibMariadb() succeeded.
const LibMariadb& Mysql() { return *LoadLibMariadb(); }

}  // namespace

std::unique_ptr<Check> MysqlReplicationCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("host")) o.host = *v;
  if (auto v = keys.Int("port", 1, 65535)) o.port = static_cast<int>(*v);
  if (auto v = keys.String("socket")) o.socket = *v;
  if (auto v = keys.String("user")) o.user = *v;
  o.password = ReadSecretKeys(keys, "password", env, false);
  if (auto v = keys.String("connection_name")) o.connection_name = *v;
  if (auto hb = keys.Map("heartbeat")) {
    static const std::regex kIdent(R"([A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)?)");
    if (auto t = hb->String("table", kRequired)) {
      if (!std::regex_match(*t, kIdent)) {
        hb->Error("table", "must be table or schema.table (letters, digits, _ and $)");
      } else {
        o.heartbeat_table = *t;
      }
    }
    if (auto c = hb->String("column")) {
      if (!std::regex_match(*c, std::regex(R"([A-Za-z0-9_$]+)"))) {
        hb->Error("column", "must be a column name (letters, digits, _ and $)");
      } else {
        o.heartbeat_column = *c;
      }
    }
    hb->Finish();
  }
  if (!o.connection_name.empty() && !std::regex_match(o.connection_name, std::regex(R"([A-Za-z0-9_-]+)"))) {
    keys.Error("connection_name", "must be letters, digits, _ or -");
  }
  return std::make_unique<MysqlReplicationCheck>(std::move(o));
}

void MysqlDeleter::operator()(MYSQL* m) const { Mysql().close(m); }

namespace {
struct ResDeleter {
  void operator()(MYSQL_RES* r) const { Mysql().free_result(r); }
};

// The first row of a query as column name -> value ("" for NULL; `nulls` lists NULL columns).
bool FirstRow(MYSQL* db, const std::string& sql, std::map<std::string, std::string>* row, std::string* error,
              std::map<std::string, bool>* nulls = nullptr) {
  if (Mysql().query(db, sql.c_str()) != 0) {
    *error = Mysql().error(db);
    return false;
  }
  std::unique_ptr<MYSQL_RES, ResDeleter> res(Mysql().store_result(db));
  if (!res) {
    *error = Mysql().errno_(db) ? Mysql().error(db) : "no result";
    return false;
  }
  MYSQL_ROW r = Mysql().fetch_row(res.get());
  if (r == nullptr) return true;  // no rows: an empty map
  unsigned n = Mysql().num_fields(res.get());
  MYSQL_FIELD* fields = Mysql().fetch_fields(res.get());
  for (unsigned i = 0; i < n; ++i) {
    (*row)[fields[i].name] = r[i] ? r[i] : "";
    if (nulls) (*nulls)[fields[i].name] = r[i] == nullptr;
  }
  return true;
}

// MariaDB and MySQL name the columns Slave_* or Replica_*, Master_* or Source_*.
std::string Col(const std::map<std::string, std::string>& row, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    auto it = row.find(n);
    if (it != row.end()) return it->second;
  }
  return "";
}
}  // namespace

std::unique_ptr<MYSQL, MysqlDeleter> MysqlReplicationCheck::Connect(const CheckContext& ctx,
                                                                    paraat::v1::Result* r) const {
  std::unique_ptr<MYSQL, MysqlDeleter> db(Mysql().init(nullptr));
  if (!db) {
    Error(r, "cannot initialise the MySQL client");
    return nullptr;
  }
  const unsigned timeout = static_cast<unsigned>(
      absl::ToInt64Seconds(ClientTimeout(ctx, absl::Seconds(30), absl::Seconds(2), absl::Seconds(60))));
  Mysql().options(db.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  Mysql().options(db.get(), MYSQL_OPT_READ_TIMEOUT, &timeout);
  Mysql().options(db.get(), MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  std::optional<std::string> password = ReadSecret(options_.password, r);
  if (!password) return nullptr;
  const bool tcp = options_.socket.empty();
  if (!Mysql().real_connect(db.get(), tcp ? options_.host.c_str() : nullptr,
                            options_.user.empty() ? nullptr : options_.user.c_str(),
                            password->empty() ? nullptr : password->c_str(), nullptr,
                            static_cast<unsigned>(options_.port), tcp ? nullptr : options_.socket.c_str(), 0)) {
    Error(r, absl::StrCat("cannot connect to ", Where(), ": ", Mysql().error(db.get())));
    return nullptr;
  }
  return db;
}

std::string MysqlReplicationCheck::Where() const {
  return options_.socket.empty() ? absl::StrCat(options_.host, ":", options_.port) : options_.socket;
}

namespace {

// The replica's own threads and positions, as details.
void ReportReplica(const std::map<std::string, std::string>& row, paraat::v1::Result* r) {
  AddDetail(r, "primary",
            absl::StrCat(Col(row, {"Master_Host", "Source_Host"}), ":", Col(row, {"Master_Port", "Source_Port"})));
  AddDetail(r, "io_thread", Col(row, {"Slave_IO_Running", "Replica_IO_Running"}));
  AddDetail(r, "sql_thread", Col(row, {"Slave_SQL_Running", "Replica_SQL_Running"}));
  AddDetail(r, "read_position",
            absl::StrCat(Col(row, {"Master_Log_File", "Source_Log_File"}), ":",
                         Col(row, {"Read_Master_Log_Pos", "Read_Source_Log_Pos"})));
  AddDetail(r, "exec_position",
            absl::StrCat(Col(row, {"Relay_Master_Log_File", "Relay_Source_Log_File"}), ":",
                         Col(row, {"Exec_Master_Log_Pos", "Exec_Source_Log_Pos"})));
  if (!Col(row, {"Gtid_IO_Pos"}).empty()) AddDetail(r, "gtid_io_pos", Col(row, {"Gtid_IO_Pos"}));
  if (!Col(row, {"Last_IO_Error"}).empty()) AddDetail(r, "last_io_error", Col(row, {"Last_IO_Error"}));
  if (!Col(row, {"Last_SQL_Error"}).empty()) AddDetail(r, "last_sql_error", Col(row, {"Last_SQL_Error"}));
}

// The lag the replica reports itself: Seconds_Behind_Master, unless the IO thread is down.
double ReportedLag(const std::map<std::string, std::string>& row, std::map<std::string, bool>& nulls,
                   const std::string& io, std::string* source) {
  const std::string name = row.count("Seconds_Behind_Master") ? "Seconds_Behind_Master" : "Seconds_Behind_Source";
  double sbm;
  if (nulls[name] || !absl::SimpleAtod(Col(row, {name.c_str()}), &sbm)) return NAN;
  if (io != "Yes") {
    // With the IO thread down, the replica does not know what it is missing: its own lag figure
    // reads 0 as soon as it has applied what it had. Not a recovery point.
    *source = absl::StrCat("none (", name, " is meaningless while the IO thread is not running)");
    return NAN;
  }
  *source = name;
  return sbm;
}

}  // namespace

bool MysqlReplicationCheck::HeartbeatLag(MYSQL* db, double* lag, std::string* source, paraat::v1::Result* r) const {
  std::map<std::string, std::string> hb;
  std::map<std::string, bool> nulls;
  std::string error;
  const std::string q = absl::StrCat("SELECT TIMESTAMPDIFF(MICROSECOND, MAX(", options_.heartbeat_column,
                                     "), UTC_TIMESTAMP(6)) / 1e6 AS lag FROM ", options_.heartbeat_table);
  if (!FirstRow(db, q, &hb, &error, &nulls)) {
    Error(r, absl::StrCat("reading the heartbeat table ", options_.heartbeat_table, " failed: ", error));
    return false;
  }
  double v;
  if (!nulls["lag"] && absl::SimpleAtod(hb["lag"], &v)) {
    *lag = std::max(0.0, v);
    *source = "heartbeat";
  } else {
    *lag = NAN;
    *source = "heartbeat (empty)";
  }
  return true;
}

void MysqlReplicationCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  if (const auto& api = LoadLibMariadb(); !api.ok()) {
    Error(r, std::string(api.status().message()));
    return;
  }
  std::unique_ptr<MYSQL, MysqlDeleter> db = Connect(ctx, r);
  if (!db) return;
  AddDetail(r, "server_version", Mysql().get_server_info(db.get()));
  std::map<std::string, std::string> row;
  std::map<std::string, bool> nulls;
  std::string error;
  const std::string show = options_.connection_name.empty()
                               ? "SHOW SLAVE STATUS"
                               : absl::StrCat("SHOW SLAVE '", options_.connection_name, "' STATUS");
  if (!FirstRow(db.get(), show, &row, &error, &nulls)) {
    Error(r, absl::StrCat(show, " failed: ", error));
    return;
  }
  auto* facts = r->mutable_facts();
  if (row.empty()) {
    facts->set_ready(false);
    Fail(r, absl::StrCat(Where(), " is not a replica (SHOW SLAVE STATUS is empty)"));
    return;
  }
  const std::string io = Col(row, {"Slave_IO_Running", "Replica_IO_Running"});
  const std::string sql = Col(row, {"Slave_SQL_Running", "Replica_SQL_Running"});
  const std::string io_error = Col(row, {"Last_IO_Error"}), sql_error = Col(row, {"Last_SQL_Error"});
  ReportReplica(row, r);
  std::string lag_source;
  double lag = ReportedLag(row, nulls, io, &lag_source);
  if (!options_.heartbeat_table.empty() && !HeartbeatLag(db.get(), &lag, &lag_source, r)) return;
  AddDetail(r, "lag_source", lag_source.empty() ? "none" : lag_source);
  if (!std::isnan(lag)) {
    facts->set_replication_lag_seconds(lag);
    facts->set_recovery_point_unix_ns(ToUnixNs(ctx.clock->Now() - absl::Seconds(lag)));
    AddValue(r, "lag", lag, "s");
  }
  facts->set_ready(io == "Yes" && sql == "Yes");
  const std::string lag_text = std::isnan(lag) ? "lag unknown" : absl::StrFormat("lag %.1fs (%s)", lag, lag_source);
  if (sql != "Yes") {
    Fail(r, absl::StrCat("replica SQL thread is ", sql.empty() ? "not running" : sql,
                         sql_error.empty() ? "" : ": " + sql_error, "; ", lag_text));
  } else if (io == "Connecting") {
    Warn(r, absl::StrCat("replica IO thread is connecting to the primary", io_error.empty() ? "" : ": " + io_error,
                         "; ", lag_text));
  } else if (io != "Yes") {
    Fail(r, absl::StrCat("replica IO thread is ", io.empty() ? "not running" : io,
                         io_error.empty() ? "" : ": " + io_error, "; ", lag_text));
  } else {
    Ok(r, absl::StrCat("replica threads running; ", lag_text));
  }
}

}  // namespace paraat
