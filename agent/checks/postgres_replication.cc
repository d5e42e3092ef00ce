#include "agent/checks/postgres_replication.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "agent/checks/support/client.h"
#include "agent/dynamic_library.h"
#include "agent/secrets.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

namespace {

// libpq, loaded when a postgres_replication check first needs it.
// clang-format off
#define PARAAT_LIBPQ(X)                         \
  X(conninfo_parse, PQconninfoParse)            \
  X(freemem, PQfreemem)                         \
  X(conninfo_free, PQconninfoFree)              \
  X(finish, PQfinish)                           \
  X(clear, PQclear)                             \
  X(connectdb, PQconnectdb)                     \
  X(status, PQstatus)                           \
  X(error_message, PQerrorMessage)              \
  X(exec, PQexec)                               \
  X(result_status, PQresultStatus)              \
  X(result_error_message, PQresultErrorMessage) \
  X(getisnull, PQgetisnull)                     \
  X(getvalue, PQgetvalue)                       \
  X(server_version, PQserverVersion)            \
  X(ntuples, PQntuples)
// clang-format on
struct LibPq {
  PARAAT_LIBPQ(PARAAT_DECLARE_FUNCTION)
};
const absl::StatusOr<LibPq>& LoadLibPq() {
  return LoadLibraryOnce<LibPq>("libpq.so.5", "libpq5",
                                [](DynamicLibrary& lib, LibPq& api) { PARAAT_LIBPQ(PARAAT_BIND_FUNCTION) });
}
// Only after LoadLibPq() succeeded.
const LibPq& Pq() { return *LoadLibPq(); }

}  // namespace

std::string CheckDsn(const std::string& dsn) {
  if (!LoadLibPq().ok()) return "";  // the check itself will say what is missing
  char* err = nullptr;
  PQconninfoOption* opts = Pq().conninfo_parse(dsn.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err ? std::string(absl::StripAsciiWhitespace(err)) : "cannot parse it";
    Pq().freemem(err);
    return msg;
  }
  std::string problem;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "password" && o->val != nullptr && *o->val) {
      problem = "contains a password; use a passfile (passfile=... or ~/.pgpass) or PGPASSWORD instead";
    }
  }
  Pq().conninfo_free(opts);
  return problem;
}

std::string RedactDsn(const std::string& dsn) { return Redact(dsn, {}); }

std::unique_ptr<Check> PostgresReplicationCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("dsn", kRequired)) {
    if (std::string why = CheckDsn(*v); !why.empty()) {
      keys.Error("dsn", why);
    } else {
      o.dsn = *v;
    }
  }
  if (auto v = keys.String("primary_dsn")) {
    if (std::string why = CheckDsn(*v); !why.empty()) {
      keys.Error("primary_dsn", why);
    } else {
      o.primary_dsn = *v;
    }
  }
  if (auto v = keys.Enum("role", {"auto", "standby", "primary"})) {
    o.role = *v == "standby" ? Role::kStandby : *v == "primary" ? Role::kPrimary : Role::kAuto;
  }
  if (auto v = keys.Int("min_standbys", 0, 100)) o.min_standbys = static_cast<int>(*v);
  if (o.dsn.empty()) return nullptr;
  return std::make_unique<PostgresReplicationCheck>(std::move(o));
}

namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { Pq().finish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { Pq().clear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Rows = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trim(const char* s) { return std::string(absl::StripAsciiWhitespace(s ? s : "")); }

// Connects within the check's deadline; on failure, a message without secrets.
Conn Connect(const CheckContext& ctx, const std::string& dsn, std::string* error) {
  const int64_t left = absl::ToInt64Seconds(ClientTimeout(ctx, absl::Seconds(30), absl::Seconds(2)));
  const std::string full = absl::StrCat(
      dsn, " connect_timeout=", std::min<int64_t>(left, 30),
      " application_name=paraat-agent options='-c statement_timeout=", std::min<int64_t>(left, 60) * 1000, "'");
  Conn c(Pq().connectdb(full.c_str()));
  if (c == nullptr || Pq().status(c.get()) != CONNECTION_OK) {
    *error = Redact(Trim(c ? Pq().error_message(c.get()) : "out of memory"), {});
    return nullptr;
  }
  return c;
}

// One query; nullptr (and *error) on failure.
Rows Query(PGconn* c, const char* sql, std::string* error) {
  Rows r(Pq().exec(c, sql));
  if (r == nullptr || Pq().result_status(r.get()) != PGRES_TUPLES_OK) {
    *error = Trim(r ? Pq().result_error_message(r.get()) : Pq().error_message(c));
    return nullptr;
  }
  return r;
}

std::string Value(const Rows& r, int row, int col) {
  return Pq().getisnull(r.get(), row, col) ? std::string() : std::string(Pq().getvalue(r.get(), row, col));
}
double Number(const Rows& r, int row, int col, double def = NAN) {
  double v;
  return absl::SimpleAtod(Value(r, row, col), &v) ? v : def;
}

// What a standby says about itself.
struct StandbyView {
  std::string receive_lsn, replay_lsn;
  double last_replay = NAN;  // epoch seconds of the last replayed transaction (or restartpoint)
  bool paused = false;
  double lag_bytes = 0;
  bool streaming = false;
  std::string receiver_state;  // "" when there is no WAL receiver
};

// Reads the standby's replay position, pause state and WAL receiver; false (and *error) when a
// query fails. Adds the details it finds.
bool ReadStandby(PGconn* conn, paraat::v1::Result* r, StandbyView* v, std::string* error) {
  // Pause state: PostgreSQL 14 and later report "pause requested" separately.
  const char* sql = Pq().server_version(conn) >= 140000
                        ? "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), "
                          "extract(epoch FROM greatest(pg_last_xact_replay_timestamp(), "
                          "(pg_control_checkpoint()).checkpoint_time)), "
                          "pg_get_wal_replay_pause_state() <> 'not paused', "
                          "coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)"
                        : "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), "
                          "extract(epoch FROM greatest(pg_last_xact_replay_timestamp(), "
                          "(pg_control_checkpoint()).checkpoint_time)), "
                          "pg_is_wal_replay_paused(), "
                          "coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)";
  Rows s = Query(conn, sql, error);
  Rows w = s ? Query(conn,
                     "SELECT status, sender_host, sender_port, extract(epoch FROM last_msg_receipt_time) "
                     "FROM pg_stat_wal_receiver",
                     error)
             : nullptr;
  if (!s || !w) return false;
  v->receive_lsn = Value(s, 0, 0);
  v->replay_lsn = Value(s, 0, 1);
  v->last_replay = Number(s, 0, 2);
  v->paused = Value(s, 0, 3) == "t";
  v->lag_bytes = Number(s, 0, 4, 0);
  const bool receiver = Pq().ntuples(w.get()) > 0;
  v->receiver_state = receiver ? Value(w, 0, 0) : "";
  v->streaming = v->receiver_state == "streaming";
  AddDetail(r, "wal_receiver",
            receiver ? absl::StrCat(Value(w, 0, 0), " from ", Value(w, 0, 1), ":", Value(w, 0, 2)) : "none");
  AddDetail(r, "receive_lsn", v->receive_lsn);
  AddDetail(r, "replay_lsn", v->replay_lsn);
  // The last replayed transaction's time, or (before any was replayed, e.g. right after
  // pg_basebackup) the last restartpoint's: the replayed data is at least that recent.
  if (!std::isnan(v->last_replay)) {
    AddDetail(r, "replayed_up_to", FormatTimeUtc(absl::FromUnixSeconds(static_cast<int64_t>(v->last_replay))));
  }
  return true;
}

// Against the primary, when it can be asked: the exact distance in bytes. False when it was
// not asked or could not answer (the detail "primary" says why).
bool LagAgainstPrimary(const CheckContext& ctx, const std::string& primary_dsn, paraat::v1::Result* r, StandbyView* v) {
  if (primary_dsn.empty()) return false;
  std::string error;
  if (Conn primary = Connect(ctx, primary_dsn, &error)) {
    const std::string q = absl::StrCat("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '",
                                       v->replay_lsn.empty() ? "0/0" : v->replay_lsn, "'::pg_lsn)");
    if (Rows p = Query(primary.get(), q.c_str(), &error)) {
      v->lag_bytes = std::max(0.0, Number(p, 0, 0, 0));
      return true;
    }
  }
  AddDetail(r, "primary", absl::StrCat("not reachable: ", error));
  return false;
}

// The standby's lag, recovery point and verdict.
void JudgeStandby(const StandbyView& v, bool primary_known, double now, paraat::v1::Result* r) {
  auto* facts = r->mutable_facts();
  const bool caught_up = primary_known ? v.lag_bytes == 0 : (v.streaming && v.receive_lsn == v.replay_lsn);
  double lag_seconds = NAN, recovery_point = NAN;
  if (caught_up && !v.paused) {
    // Everything written has been replayed: current as of now, however old the last
    // transaction (an idle primary writes none).
    lag_seconds = 0;
    recovery_point = now;
  } else if (!std::isnan(v.last_replay)) {
    // Behind (paused, receiver broken, or replay slower than writes): the age of the last
    // replayed transaction, which keeps growing while the primary takes writes.
    lag_seconds = std::max(0.0, now - v.last_replay);
    recovery_point = v.last_replay;
  }
  if (!std::isnan(lag_seconds)) facts->set_replication_lag_seconds(lag_seconds);
  facts->set_replication_lag_bytes(static_cast<uint64_t>(std::max(0.0, v.lag_bytes)));
  if (!std::isnan(recovery_point)) facts->set_recovery_point_unix_ns(static_cast<int64_t>(recovery_point * 1e9));
  AddValue(r, "lag", std::isnan(lag_seconds) ? 0 : lag_seconds, "s");
  AddValue(r, "lag_bytes", v.lag_bytes, "B");
  const std::string lag_text = std::isnan(lag_seconds) ? "lag unknown (nothing replayed yet)"
                                                       : absl::StrFormat("lag %.1fs, %s", lag_seconds,
                                                                         HumanSize(static_cast<uint64_t>(v.lag_bytes)));
  facts->set_ready(v.streaming && !v.paused);
  if (!v.streaming) {
    Fail(r, absl::StrCat("standby's WAL receiver is not streaming (",
                         v.receiver_state.empty() ? "not running" : v.receiver_state, "); ", lag_text));
  } else if (v.paused) {
    Warn(r, absl::StrCat("standby replay is paused; ", lag_text));
  } else {
    Ok(r, absl::StrCat("standby streaming, ", caught_up ? "caught up" : "replaying", "; ", lag_text));
  }
}

// A primary's standbys, from pg_stat_replication.
struct StandbySummary {
  int total = 0, streaming = 0;
  double best_lag = INFINITY, worst_lag = 0, worst_bytes = 0;
};

StandbySummary ReportStandbys(const Rows& reps, paraat::v1::Result* r) {
  StandbySummary s;
  s.total = Pq().ntuples(reps.get());
  for (int i = 0; i < s.total; ++i) {
    const std::string state = Value(reps, i, 2);
    const double bytes = Number(reps, i, 7, 0);
    // replay_lag is NULL once a standby has caught up on an idle primary: no lag then.
    double lag = Number(reps, i, 6, 0);
    if (bytes == 0) lag = 0;
    AddDetail(r, absl::StrCat("standby.", Value(reps, i, 0)),
              absl::StrFormat("%s from %s, %s, replay lag %.1fs, %s behind", state, Value(reps, i, 1),
                              Value(reps, i, 3), lag, HumanSize(static_cast<uint64_t>(bytes))));
    if (state == "streaming") {
      ++s.streaming;
      s.best_lag = std::min(s.best_lag, lag);
    }
    s.worst_lag = std::max(s.worst_lag, lag);
    s.worst_bytes = std::max(s.worst_bytes, bytes);
  }
  return s;
}

// A primary's replication slots: those that lost WAL their standby needs (problems) and those
// about to (warnings).
void ReportSlots(const Rows& slots, paraat::v1::Result* r, std::vector<std::string>* problems,
                 std::vector<std::string>* warnings) {
  for (int i = 0; i < Pq().ntuples(slots.get()); ++i) {
    const std::string name = Value(slots, i, 0), wal_status = Value(slots, i, 3);
    const double safe = Number(slots, i, 4, -1);
    AddDetail(r, absl::StrCat("slot.", name),
              absl::StrCat(Value(slots, i, 1), Value(slots, i, 2) == "t" ? ", active" : ", inactive",
                           wal_status.empty() ? "" : ", wal_status " + wal_status,
                           safe >= 0 ? ", safe_wal_size " + HumanSize(static_cast<uint64_t>(safe)) : ""));
    // "lost": the standby behind this slot can never catch up; "unreserved": it is about to.
    if (wal_status == "lost") problems->push_back(absl::StrCat("slot ", name, " has lost required WAL"));
    if (wal_status == "unreserved") {
      warnings->push_back(absl::StrCat("slot ", name, " is beyond max_slot_wal_keep_size"));
    }
  }
}

}  // namespace

void PostgresReplicationCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  if (const auto& pq = LoadLibPq(); !pq.ok()) {
    Error(r, std::string(pq.status().message()));
    return;
  }
  std::string error;
  Conn conn = Connect(ctx, options_.dsn, &error);
  if (!conn) {
    Error(r, absl::StrCat("cannot connect to PostgreSQL (", RedactDsn(options_.dsn), "): ", error));
    return;
  }
  AddDetail(r, "server_version", absl::StrCat(Pq().server_version(conn.get())));
  Rows info = Query(conn.get(), "SELECT pg_is_in_recovery(), extract(epoch FROM now())", &error);
  if (!info) {
    Error(r, absl::StrCat("query failed: ", error));
    return;
  }
  const bool in_recovery = Value(info, 0, 0) == "t";
  const double now = Number(info, 0, 1, absl::ToDoubleSeconds(ctx.clock->Now() - absl::UnixEpoch()));
  if (options_.role == Role::kPrimary && in_recovery) {
    Fail(r, "expected a primary, but the server is in recovery (a standby)");
    r->mutable_facts()->set_ready(false);
    return;
  }
  if (options_.role == Role::kStandby && !in_recovery) {
    Fail(r, "expected a standby, but the server is not in recovery (it is a primary: was it promoted?)");
    r->mutable_facts()->set_ready(false);
    return;
  }
  if (in_recovery) {
    RunOnStandby(ctx, conn.get(), now, r);
  } else {
    RunOnPrimary(conn.get(), now, r);
  }
}

void PostgresReplicationCheck::RunOnStandby(const CheckContext& ctx, PGconn* conn, double now,
                                            paraat::v1::Result* r) const {
  AddDetail(r, "role", "standby");
  StandbyView view;
  std::string error;
  if (!ReadStandby(conn, r, &view, &error)) {
    Error(r, absl::StrCat("query failed: ", error));
    return;
  }
  const bool primary_known = LagAgainstPrimary(ctx, options_.primary_dsn, r, &view);
  JudgeStandby(view, primary_known, now, r);
}

void PostgresReplicationCheck::RunOnPrimary(PGconn* conn, double now, paraat::v1::Result* r) const {
  AddDetail(r, "role", "primary");
  std::string error;
  Rows reps = Query(conn,
                    "SELECT application_name, coalesce(client_addr::text, 'local'), state, sync_state, "
                    "extract(epoch FROM write_lag), extract(epoch FROM flush_lag), extract(epoch FROM replay_lag), "
                    "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0) "
                    "FROM pg_stat_replication ORDER BY application_name",
                    &error);
  Rows slots = reps ? Query(conn,
                            "SELECT slot_name, slot_type, active, coalesce(wal_status, ''), "
                            "coalesce(safe_wal_size, -1) FROM pg_replication_slots ORDER BY slot_name",
                            &error)
                    : nullptr;
  if (!reps || !slots) {
    Error(r, absl::StrCat("query failed: ", error));
    return;
  }
  const StandbySummary s = ReportStandbys(reps, r);
  std::vector<std::string> slot_problems, slot_warnings;
  ReportSlots(slots, r, &slot_problems, &slot_warnings);
  auto* facts = r->mutable_facts();
  AddValue(r, "streaming_standbys", s.streaming);
  facts->set_replication_lag_seconds(s.worst_lag);
  facts->set_replication_lag_bytes(static_cast<uint64_t>(s.worst_bytes));
  if (s.streaming > 0) facts->set_recovery_point_unix_ns(static_cast<int64_t>((now - s.best_lag) * 1e9));
  facts->set_ready(s.streaming >= options_.min_standbys && slot_problems.empty());
  const std::string summary = absl::StrFormat("%d of %d standbys streaming, worst replay lag %.1fs (%s)", s.streaming,
                                              s.total, s.worst_lag, HumanSize(static_cast<uint64_t>(s.worst_bytes)));
  if (s.streaming < options_.min_standbys) {
    Fail(r, absl::StrCat(summary, "; ", options_.min_standbys, " required"));
  } else if (!slot_problems.empty()) {
    Fail(r, absl::StrCat(summary, "; ", absl::StrJoin(slot_problems, ", ")));
  } else if (!slot_warnings.empty()) {
    Warn(r, absl::StrCat(summary, "; ", absl::StrJoin(slot_warnings, ", ")));
  } else {
    Ok(r, summary);
  }
}

}  // namespace paraat
