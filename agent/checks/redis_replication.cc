#include "agent/checks/redis_replication.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/checks/support/client.h"
#include "agent/checks/support/tcp_client.h"
#include "common/text.h"
#include "common/time_util.h"
#include "common/units.h"

namespace paraat {

std::unique_ptr<Check> RedisReplicationCheck::Create(YamlMap& keys, const CheckEnv& env) {
  Options o;
  if (auto v = keys.String("host")) o.host = *v;
  if (auto v = keys.Int("port", 1, 65535)) o.port = static_cast<int>(*v);
  if (auto v = keys.String("user")) o.user = *v;
  o.password = ReadSecretKeys(keys, "password", env, false);
  if (!o.user.empty() && o.password.empty()) keys.Error("user", "needs password_file or password_env");
  if (auto v = keys.Enum("role", {"auto", "replica", "primary"})) {
    o.role = *v == "replica" ? Role::kReplica : *v == "primary" ? Role::kPrimary : Role::kAuto;
  }
  if (auto v = keys.PositiveDuration("max_last_io")) o.max_last_io = *v;
  if (auto v = keys.Int("min_replicas", 0, 1000)) o.min_replicas = static_cast<int>(*v);
  return std::make_unique<RedisReplicationCheck>(std::move(o));
}

namespace {

// One RESP command: an array of bulk strings.
std::string Command(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

struct Reply {
  bool error = false;  // a -ERR reply
  std::string text;    // the simple string, the error's words or the bulk string
};

enum class Parsed { kDone, kIncomplete, kBad };

// The next reply in `buf` from `*pos` (moved past it when done). Only what AUTH and INFO answer:
// simple strings, errors, integers and bulk strings.
Parsed ParseReply(const std::string& buf, size_t* pos, Reply* out) {
  const size_t eol = buf.find("\r\n", *pos);
  if (eol == std::string::npos) return Parsed::kIncomplete;
  const char type = buf[*pos];
  std::string line = buf.substr(*pos + 1, eol - *pos - 1);
  if (type == '+' || type == '-' || type == ':') {
    *out = Reply{type == '-', std::move(line)};
    *pos = eol + 2;
    return Parsed::kDone;
  }
  int64_t len;
  if (type != '$' || !absl::SimpleAtoi(line, &len) || len < -1 || len > (64 << 20)) return Parsed::kBad;
  if (len == -1) {
    *out = Reply{};
    *pos = eol + 2;
    return Parsed::kDone;
  }
  if (buf.size() < eol + 2 + static_cast<size_t>(len) + 2) return Parsed::kIncomplete;
  *out = Reply{false, buf.substr(eol + 2, static_cast<size_t>(len))};
  *pos = eol + 2 + static_cast<size_t>(len) + 2;
  return Parsed::kDone;
}

// INFO's "field:value" lines ("# Section" headers and blank lines left out) into `info`.
void ParseInfo(const std::string& text, RedisReplicationCheck::Info* info) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == absl::string_view::npos) continue;
    (*info)[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
}

std::string Get(const RedisReplicationCheck::Info& info, const std::string& key) {
  auto it = info.find(key);
  return it == info.end() ? "" : it->second;
}

int64_t GetInt(const RedisReplicationCheck::Info& info, const std::string& key, int64_t def = -1) {
  int64_t v;
  return absl::SimpleAtoi(Get(info, key), &v) ? v : def;
}

// "ip=127.0.0.1,port=19402,state=online,offset=50,lag=0" as a map.
std::map<std::string, std::string> ReplicaFields(const std::string& line) {
  std::map<std::string, std::string> out;
  for (absl::string_view kv : absl::StrSplit(line, ',')) {
    const size_t eq = kv.find('=');
    if (eq != absl::string_view::npos) out[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

bool RedisReplicationCheck::ReadInfo(const CheckContext& ctx, Info* info, paraat::v1::Result* r) const {
  const std::string where = absl::StrCat(options_.host, ":", options_.port);
  std::optional<std::string> password = ReadSecret(options_.password, r);
  if (!password) return false;
  TcpConnection c = ConnectTcp(ctx, options_.host, options_.port);
  if (c.ending != TcpConnection::Ending::kConnected) {
    Error(r, absl::StrCat("cannot connect to Redis at ", where, ": ", c.error));
    return false;
  }
  // Pipelined: AUTH (when there is a password), then the three INFO sections. Redis before 7
  // takes one section per INFO.
  std::string request;
  const bool auth = !options_.password.empty();
  if (auth) {
    request += options_.user.empty() ? Command({"AUTH", *password}) : Command({"AUTH", options_.user, *password});
  }
  for (const char* section : {"server", "replication", "persistence"}) request += Command({"INFO", section});
  std::string error;
  if (!SendAll(ctx, c.socket, request, &error)) {
    Error(r, absl::StrCat("sending to Redis at ", where, " failed: ", error));
    return false;
  }
  std::string buf;
  size_t pos = 0;
  for (int i = 0; i < (auth ? 4 : 3);) {
    Reply reply;
    const Parsed p = ParseReply(buf, &pos, &reply);
    if (p == Parsed::kBad) {
      Error(r, absl::StrCat(where, " does not speak the Redis protocol (", TruncateUtf8(OneLine(EscapeUtf8(buf)), 80),
                            ")"));
      return false;
    }
    if (p == Parsed::kIncomplete) {
      if (!ReceiveSome(ctx, c.socket, &buf, &error)) {
        Error(r, absl::StrCat("reading from Redis at ", where, " failed: ", error));
        return false;
      }
      continue;
    }
    if (reply.error) {
      // WRONGPASS from AUTH; NOAUTH from INFO when the server wants a password we did not give.
      const bool refused =
          absl::StartsWith(reply.text, "WRONGPASS") || absl::StartsWith(reply.text, "NOAUTH") || (auth && i == 0);
      Error(r, absl::StrCat("Redis at ", where,
                            refused ? " refused the login: " : " answered an error: ", TruncateUtf8(reply.text, 200),
                            absl::StartsWith(reply.text, "NOAUTH") ? " (set password_file)" : ""));
      return false;
    }
    if (!(auth && i == 0)) ParseInfo(reply.text, info);
    ++i;
  }
  return true;
}

bool RedisReplicationCheck::JudgeReplica(const CheckContext& ctx, const Info& info, paraat::v1::Result* r,
                                         std::string* summary) const {
  auto* facts = r->mutable_facts();
  const std::string primary = absl::StrCat(Get(info, "master_host"), ":", Get(info, "master_port"));
  const std::string link = Get(info, "master_link_status");
  AddDetail(r, "primary", primary);
  AddDetail(r, "master_link_status", link);
  AddDetail(r, "slave_repl_offset", Get(info, "slave_repl_offset"));
  const int64_t offset = GetInt(info, "slave_repl_offset", 0);
  if (offset >= 0) AddValue(r, "repl_offset", static_cast<double>(offset), "B");
  if (link != "up") {
    facts->set_ready(false);
    const int64_t down = GetInt(info, "master_link_down_since_seconds");
    if (down < 0) {
      // -1: the link has never been up since the replica started; its data is of unknown age.
      Fail(r, absl::StrCat("replica of ", primary, ": link down, never up since the replica started"));
      return false;
    }
    facts->set_replication_lag_seconds(static_cast<double>(down));
    facts->set_recovery_point_unix_ns(ToUnixNs(ctx.clock->Now() - absl::Seconds(down)));
    AddValue(r, "link_down", static_cast<double>(down), "s");
    Fail(r, absl::StrCat("replica of ", primary, ": link down for ", HumanDuration(absl::Seconds(down))));
    return false;
  }
  const int64_t last_io = std::max<int64_t>(0, GetInt(info, "master_last_io_seconds_ago", 0));
  AddDetail(r, "master_last_io_seconds_ago", absl::StrCat(last_io));
  AddValue(r, "last_io", static_cast<double>(last_io), "s");
  // Redis pushes every write at once: what the replica may miss is at most what the primary
  // wrote since it last heard from it.
  facts->set_replication_lag_seconds(static_cast<double>(last_io));
  facts->set_recovery_point_unix_ns(ToUnixNs(ctx.clock->Now() - absl::Seconds(last_io)));
  if (Get(info, "master_sync_in_progress") == "1") {
    facts->set_ready(false);
    Warn(r, absl::StrCat("replica of ", primary, ": full sync from the primary in progress"));
    return false;
  }
  if (absl::Seconds(last_io) > options_.max_last_io) {
    // A hung primary keeps the link up until repl-timeout.
    facts->set_ready(false);
    Fail(r, absl::StrCat("replica of ", primary, ": link up, but nothing heard from the primary for ",
                         HumanDuration(absl::Seconds(last_io)), " (max_last_io ", HumanDuration(options_.max_last_io),
                         ")"));
    return false;
  }
  facts->set_ready(true);
  *summary = absl::StrCat("replica of ", primary, ": link up, last I/O ", last_io, "s ago, offset ", offset);
  return true;
}

bool RedisReplicationCheck::JudgePrimary(const Info& info, paraat::v1::Result* r, std::string* summary) const {
  const int64_t master_offset = GetInt(info, "master_repl_offset", 0);
  int online = 0;
  int64_t max_lag = -1;
  std::vector<std::string> states;
  for (int i = 0;; ++i) {
    const std::string line = Get(info, absl::StrCat("slave", i));
    if (line.empty()) break;
    auto f = ReplicaFields(line);
    const std::string name = absl::StrCat(f["ip"], ":", f["port"]);
    states.push_back(absl::StrCat(name, " ", f["state"]));
    int64_t off;
    if (f["state"] == "online" && absl::SimpleAtoi(f["offset"], &off)) {
      ++online;
      max_lag = std::max(max_lag, std::max<int64_t>(0, master_offset - off));
    }
  }
  AddDetail(r, "role", "primary");
  AddDetail(r, "replicas", states.empty() ? "none" : absl::StrJoin(states, ", "));
  AddValue(r, "replicas_online", online);
  if (max_lag >= 0) {
    r->mutable_facts()->set_replication_lag_bytes(static_cast<uint64_t>(max_lag));
    AddValue(r, "max_replica_lag", static_cast<double>(max_lag), "B");
  }
  *summary = absl::StrCat("primary with ", online, " of ", states.size(), " replicas online",
                          max_lag >= 0 ? absl::StrCat(" (at most ", max_lag, " bytes behind)") : "");
  if (online < options_.min_replicas) {
    Fail(r, absl::StrCat(*summary, "; expected at least ", options_.min_replicas));
    return false;
  }
  return true;
}

bool RedisReplicationCheck::JudgePersistence(const CheckContext& ctx, const Info& info, bool replica,
                                             paraat::v1::Result* r, std::string* summary) const {
  const std::string bgsave = Get(info, "rdb_last_bgsave_status");
  const bool aof = Get(info, "aof_enabled") == "1";
  const int64_t saves = GetInt(info, "rdb_saves", 0);
  const int64_t changes = GetInt(info, "rdb_changes_since_last_save", 0);
  const int64_t last_save = GetInt(info, "rdb_last_save_time", 0);
  AddDetail(r, "rdb_last_bgsave_status", bgsave);
  AddValue(r, "rdb_changes_since_last_save", static_cast<double>(changes));
  // Until the first save since start ends, rdb_last_save_time is the start time, not a snapshot
  // (rdb_saves counts a save when it starts).
  const bool snapshot = saves > (Get(info, "rdb_bgsave_in_progress") == "1" ? 1 : 0) && last_save > 0;
  if (snapshot) AddDetail(r, "rdb_last_save_time", FormatTimeUtc(absl::FromUnixSeconds(last_save)));
  AddDetail(r, "aof_enabled", aof ? "yes" : "no");
  std::vector<std::string> problems;
  if (bgsave != "ok") problems.push_back(absl::StrCat("the last BGSAVE failed (rdb_last_bgsave_status:", bgsave, ")"));
  if (aof) {
    for (const char* key : {"aof_last_write_status", "aof_last_bgrewrite_status"}) {
      AddDetail(r, key, Get(info, key));
      if (Get(info, key) != "ok") problems.push_back(absl::StrCat("AOF ", key, ":", Get(info, key)));
    }
  }
  if (!problems.empty()) {
    Fail(r, absl::StrCat(*summary, "; ", absl::StrJoin(problems, "; ")));
    return false;
  }
  const absl::Time now = ctx.clock->Now();
  std::string what;
  std::optional<absl::Time> point;
  if (aof) {
    what = "AOF on";
    point = now;
  } else if (changes == 0) {
    what = snapshot ? absl::StrCat("RDB saved ", FormatTimeUtc(absl::FromUnixSeconds(last_save)), ", no changes since")
                    : "no changes since start";
    point = now;
  } else if (snapshot) {
    what = absl::StrCat("RDB saved ", FormatTimeUtc(absl::FromUnixSeconds(last_save)), ", ", changes, " changes since");
    point = absl::FromUnixSeconds(last_save);
  } else {
    what = absl::StrCat("no RDB snapshot since the server started, ", changes, " changes in none");
  }
  absl::StrAppend(summary, "; ", what);
  // A replica's copy is its replication; a primary's is what is on its disk.
  if (!replica && point) r->mutable_facts()->set_recovery_point_unix_ns(ToUnixNs(*point));
  if (!replica && !point) {
    Warn(r, *summary);
    return false;
  }
  return true;
}

void RedisReplicationCheck::Run(const CheckContext& ctx, paraat::v1::Result* r) {
  AddDetail(r, "server", absl::StrCat(options_.host, ":", options_.port));
  Info info;
  if (!ReadInfo(ctx, &info, r)) return;
  AddDetail(r, "server_version", Get(info, "redis_version"));
  const std::string role = Get(info, "role");
  const bool replica = role == "slave";
  if (role != "slave" && role != "master") {
    Error(r, absl::StrCat("INFO replication gave no role (\"", TruncateUtf8(role, 40), "\")"));
    return;
  }
  if (options_.role == Role::kReplica && !replica) {
    r->mutable_facts()->set_ready(false);
    Fail(r, absl::StrCat(options_.host, ":", options_.port, " is a primary, not a replica"));
    return;
  }
  if (options_.role == Role::kPrimary && replica) {
    Fail(r, absl::StrCat(options_.host, ":", options_.port, " is a replica of ", Get(info, "master_host"), ":",
                         Get(info, "master_port"), ", not a primary"));
    return;
  }
  std::string summary;
  if (replica) {
    AddDetail(r, "role", "replica");
    if (!JudgeReplica(ctx, info, r, &summary)) return;
  } else if (!JudgePrimary(info, r, &summary)) {
    return;
  }
  if (!JudgePersistence(ctx, info, replica, r, &summary)) return;
  Ok(r, summary);
}

}  // namespace paraat
