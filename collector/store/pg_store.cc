#include "collector/store/pg_store.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

// Advisory lock keys ("paraat" in ASCII, then a purpose).
constexpr int64_t kMigrateLock = 0x706172616174'01;
constexpr int64_t kLeaderLock = 0x706172616174'02;

// Schema versions, applied in order; paraat_schema.version holds the last one applied. The
// numbering follows the SQLite store's: version N means the same tables on both back-ends.
const char* const kMigrations[] = {
    // 1: the evidence chain and its indexes.
    R"sql(
    CREATE TABLE evidence (
      seq         BIGINT PRIMARY KEY,
      recorded_ns BIGINT NOT NULL,
      type        INTEGER NOT NULL,
      payload     BYTEA NOT NULL,
      hash        BYTEA NOT NULL
    );
    CREATE TABLE chain (
      id               INTEGER PRIMARY KEY CHECK (id = 1),
      head_seq         BIGINT NOT NULL,
      head_hash        BYTEA NOT NULL,
      head_recorded_ns BIGINT NOT NULL,
      anchor_seq       BIGINT NOT NULL,
      anchor_hash      BYTEA NOT NULL
    );
    CREATE TABLE batches (
      agent_id  TEXT NOT NULL,
      epoch     BIGINT NOT NULL,
      sequence  BIGINT NOT NULL,
      stored_ns BIGINT NOT NULL,
      first_seq BIGINT NOT NULL,
      PRIMARY KEY (agent_id, epoch, sequence)
    );
    CREATE TABLE source_latest (
      source         TEXT PRIMARY KEY,
      latest_seq     BIGINT NOT NULL,
      conclusive_seq BIGINT NOT NULL,
      ok_seq         BIGINT NOT NULL,
      received_ns    BIGINT NOT NULL
    );
    CREATE TABLE checkpoint (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      through_seq  BIGINT NOT NULL
    );
    CREATE TABLE exercises (
      seq     BIGINT PRIMARY KEY,
      plan_id TEXT NOT NULL
    );
    CREATE TABLE plan_state (
      plan_id  TEXT PRIMARY KEY,
      state    INTEGER NOT NULL,
      since_ns BIGINT NOT NULL,
      seq      BIGINT NOT NULL
    );
    CREATE TABLE plan_version (
      plan_id TEXT PRIMARY KEY,
      sha256  TEXT NOT NULL,
      seq     BIGINT NOT NULL
    );
    CREATE TABLE attachments (
      sha256  TEXT PRIMARY KEY,
      size    BIGINT NOT NULL,
      content BYTEA NOT NULL
    );
    CREATE TABLE agents (
      agent_id      TEXT PRIMARY KEY,
      version       TEXT NOT NULL,
      hostname      TEXT NOT NULL,
      first_seen_ns BIGINT NOT NULL,
      last_seen_ns  BIGINT NOT NULL
    );
    )sql",
};

// Rows per read query: bounded memory for scans of any length.
constexpr int kChunk = 5000;
// Groups per statement (PostgreSQL takes at most 65,535 parameters).
constexpr size_t kGroupsPerStatement = 1000;

Digest ToDigest(absl::string_view bytes) {
  Digest d{};
  if (bytes.size() == d.size()) std::memcpy(d.data(), bytes.data(), d.size());
  return d;
}

StoredRecord RecordAt(const PgResult& r, int row) {
  return StoredRecord{static_cast<uint64_t>(r.Int(row, 0)), r.Int(row, 1), static_cast<RecordType>(r.Int(row, 2)),
                      r.Text(row, 3), r.Text(row, 4)};
}

// Runs `body` in a transaction on `conn`; rolls back when it or the commit fails.
absl::Status InTransaction(PgConn& conn, const std::function<absl::Status()>& body) {
  PARAAT_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  absl::Status st = body();
  if (st.ok()) st = conn.Exec("COMMIT");
  if (!st.ok()) (void)conn.Exec("ROLLBACK");
  return st;
}

}  // namespace

class PgStore::Reader {
 public:
  Reader(PgStore* store, std::unique_ptr<PgConn> conn) : store_(store), conn_(std::move(conn)) {}
  ~Reader() {
    if (conn_ && conn_->ok()) store_->ReleaseReader(std::move(conn_));
  }
  PgConn& conn() { return *conn_; }

 private:
  PgStore* store_;
  std::unique_ptr<PgConn> conn_;
};

std::string PgStore::Describe() const {
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

absl::Status PgStore::Open() {
  PARAAT_ASSIGN_OR_RETURN(writer_, PgConn::Connect(url_));
  return Migrate();
}

absl::Status PgStore::Migrate() {
  PgConn& c = *writer_;
  return InTransaction(c, [&]() -> absl::Status {
    // Collectors starting together migrate one after the other.
    PARAAT_RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock($1)", PgParams().Int(kMigrateLock)).status());
    PARAAT_RETURN_IF_ERROR(c.Exec(
        "CREATE TABLE IF NOT EXISTS paraat_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"));
    PARAAT_ASSIGN_OR_RETURN(PgResult v, c.Query("SELECT version FROM paraat_schema WHERE id = 1"));
    const int64_t version = v.rows() ? v.Int(0, 0) : 0;
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    if (version > latest) {
      return absl::FailedPreconditionError(absl::StrCat(Describe(), " has schema version ", version,
                                                        ", newer than this collector knows (", latest,
                                                        "); upgrade the collector"));
    }
    for (int64_t i = version; i < latest; ++i) {
      absl::Status st = c.Exec(kMigrations[i]);
      if (!st.ok()) return absl::Status(st.code(), absl::StrCat("schema migration ", i + 1, ": ", st.message()));
    }
    PARAAT_RETURN_IF_ERROR(c.Query("INSERT INTO paraat_schema (id, version) VALUES (1, $1) "
                                   "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                                   PgParams().Int(latest))
                               .status());
    const std::string genesis(DigestBytes(GenesisHash()));
    return c.Query("INSERT INTO chain VALUES (1, 0, $1, 0, 0, $1) ON CONFLICT DO NOTHING", PgParams().Bytes(genesis))
        .status();
  });
}

absl::StatusOr<PgConn*> PgStore::Writer() {
  if (!writer_ || !writer_->ok()) {
    PARAAT_ASSIGN_OR_RETURN(writer_, PgConn::Connect(url_));
  }
  return writer_.get();
}

absl::StatusOr<bool> PgStore::TryLead() {
  std::lock_guard<std::mutex> lock(leader_mu_);
  if (leader_ && !leader_->Query("SELECT 1").ok()) {
    leader_.reset();  // the session, and the lock it may have held, is gone
    leading_ = false;
  }
  if (leading_) return true;  // a session-level lock is held until the session ends
  if (!leader_) {
    PARAAT_ASSIGN_OR_RETURN(leader_, PgConn::Connect(url_));
  }
  PARAAT_ASSIGN_OR_RETURN(PgResult got,
                          leader_->Query("SELECT pg_try_advisory_lock($1)::int", PgParams().Int(kLeaderLock)));
  leading_ = got.Int(0, 0) == 1;
  return leading_;
}

absl::Status PgStore::Commit(std::vector<WriteGroup*>& groups, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return CommitLocked(groups, now);
}

absl::Status PgStore::CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now) {
  PARAAT_ASSIGN_OR_RETURN(PgConn * c, Writer());
  for (WriteGroup* g : groups) {
    g->duplicate = false;
    g->first_seq = 0;
  }
  absl::Status st = InTransaction(*c, [&]() -> absl::Status {
    // The head row lock serialises commits from every collector: one chain, seqs in order.
    PARAAT_ASSIGN_OR_RETURN(
        PgResult head, c->Query("SELECT head_seq, head_hash, head_recorded_ns FROM chain WHERE id = 1 FOR UPDATE"));
    if (head.rows() != 1) return absl::DataLossError("the chain table is empty");
    uint64_t seq = static_cast<uint64_t>(head.Int(0, 0));
    Digest hash = ToDigest(head.Bytes(0, 1));
    const int64_t recorded_ns = std::max(ToUnixNs(now), head.Int(0, 2));
    const uint64_t head_before = seq;

    // Deduplication: batches already stored (by any collector) or twice in this commit.
    std::set<std::tuple<std::string, uint64_t, uint64_t>> seen;
    std::vector<WriteGroup*> keyed;
    for (WriteGroup* g : groups) {
      if (!g->agent_id.empty()) keyed.push_back(g);
    }
    for (size_t i = 0; i < keyed.size(); i += kGroupsPerStatement) {
      const size_t n = std::min(kGroupsPerStatement, keyed.size() - i);
      std::vector<std::string> rows;
      PgParams p;
      for (size_t j = 0; j < n; ++j) {
        rows.push_back(absl::StrCat("($", 3 * j + 1, ", $", 3 * j + 2, "::bigint, $", 3 * j + 3, "::bigint)"));
        p.Text(keyed[i + j]->agent_id)
            .Int(static_cast<int64_t>(keyed[i + j]->spool_epoch))
            .Int(static_cast<int64_t>(keyed[i + j]->sequence));
      }
      PARAAT_ASSIGN_OR_RETURN(
          PgResult found,
          c->Query(absl::StrCat("SELECT agent_id, epoch, sequence FROM batches WHERE (agent_id, epoch, sequence) IN (",
                                absl::StrJoin(rows, ", "), ")"),
                   p));
      for (int r = 0; r < found.rows(); ++r) {
        seen.emplace(found.Text(r, 0), static_cast<uint64_t>(found.Int(r, 1)), static_cast<uint64_t>(found.Int(r, 2)));
      }
    }

    PgCopyRows evidence;
    std::vector<WriteGroup*> stored_keyed;
    for (WriteGroup* g : groups) {
      g->recorded_ns = recorded_ns;
      if (!g->agent_id.empty() && !seen.emplace(g->agent_id, g->spool_epoch, g->sequence).second) {
        g->duplicate = true;
        continue;
      }
      if (!g->agent_id.empty()) stored_keyed.push_back(g);
      g->first_seq = seq + 1;
      for (const PendingRecord& rec : g->records) {
        ++seq;
        hash = hasher_.Next(hash, seq, recorded_ns, rec.type, rec.payload);
        evidence.BeginRow(5);
        evidence.Int8(static_cast<int64_t>(seq));
        evidence.Int8(recorded_ns);
        evidence.Int4(static_cast<int32_t>(rec.type));
        evidence.Bytes(rec.payload);
        evidence.Bytes(DigestBytes(hash));
        switch (rec.type) {
          case RecordType::kExercise:
            PARAAT_RETURN_IF_ERROR(c->Query("INSERT INTO exercises (seq, plan_id) VALUES ($1, $2)",
                                            PgParams().Int(static_cast<int64_t>(seq)).Text(rec.plan_id))
                                       .status());
            break;
          case RecordType::kTransition:
            PARAAT_RETURN_IF_ERROR(
                c->Query("INSERT INTO plan_state (plan_id, state, since_ns, seq) VALUES ($1, $2, $3, $4) "
                         "ON CONFLICT (plan_id) DO UPDATE SET state = excluded.state, since_ns = excluded.since_ns, "
                         "seq = excluded.seq",
                         PgParams().Text(rec.plan_id).Int(rec.state).Int(recorded_ns).Int(static_cast<int64_t>(seq)))
                    .status());
            break;
          case RecordType::kPlanChange:
            PARAAT_RETURN_IF_ERROR(
                c->Query("INSERT INTO plan_version (plan_id, sha256, seq) VALUES ($1, $2, $3) "
                         "ON CONFLICT (plan_id) DO UPDATE SET sha256 = excluded.sha256, seq = excluded.seq",
                         PgParams().Text(rec.plan_id).Text(rec.sha256).Int(static_cast<int64_t>(seq)))
                    .status());
            break;
          default:
            break;
        }
      }
    }
    for (size_t i = 0; i < stored_keyed.size(); i += kGroupsPerStatement) {
      const size_t n = std::min(kGroupsPerStatement, stored_keyed.size() - i);
      std::vector<std::string> rows;
      PgParams p;
      for (size_t j = 0; j < n; ++j) {
        const WriteGroup& g = *stored_keyed[i + j];
        rows.push_back(absl::StrCat("($", 5 * j + 1, ", $", 5 * j + 2, "::bigint, $", 5 * j + 3, "::bigint, $",
                                    5 * j + 4, "::bigint, $", 5 * j + 5, "::bigint)"));
        p.Text(g.agent_id)
            .Int(static_cast<int64_t>(g.spool_epoch))
            .Int(static_cast<int64_t>(g.sequence))
            .Int(recorded_ns)
            .Int(static_cast<int64_t>(g.first_seq));
      }
      PARAAT_RETURN_IF_ERROR(
          c->Query(absl::StrCat("INSERT INTO batches (agent_id, epoch, sequence, stored_ns, first_seq) VALUES ",
                                absl::StrJoin(rows, ", ")),
                   p)
              .status());
    }
    if (seq == head_before) return absl::OkStatus();
    PARAAT_RETURN_IF_ERROR(c->Copy("evidence (seq, recorded_ns, type, payload, hash)", evidence));
    return c
        ->Query("UPDATE chain SET head_seq = $1, head_hash = $2, head_recorded_ns = $3 WHERE id = 1",
                PgParams().Int(static_cast<int64_t>(seq)).Bytes(DigestBytes(hash)).Int(recorded_ns))
        .status();
  });
  if (!st.ok()) {
    for (WriteGroup* g : groups) {
      g->duplicate = false;
      g->first_seq = 0;
    }
  }
  return st;
}

absl::Status PgStore::SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(PgConn * c, Writer());
  return InTransaction(*c, [&]() -> absl::Status {
    for (size_t i = 0; i < sources.size(); i += kGroupsPerStatement) {
      const size_t n = std::min(kGroupsPerStatement, sources.size() - i);
      std::vector<std::string> rows;
      PgParams p;
      for (size_t j = 0; j < n; ++j) {
        const SourceCheckpoint& s = sources[i + j];
        rows.push_back(absl::StrCat("($", 5 * j + 1, ", $", 5 * j + 2, "::bigint, $", 5 * j + 3, "::bigint, $",
                                    5 * j + 4, "::bigint, $", 5 * j + 5, "::bigint)"));
        p.Text(s.source)
            .Int(static_cast<int64_t>(s.latest_seq))
            .Int(static_cast<int64_t>(s.conclusive_seq))
            .Int(static_cast<int64_t>(s.ok_seq))
            .Int(s.received_ns);
      }
      PARAAT_RETURN_IF_ERROR(
          c->Query(absl::StrCat("INSERT INTO source_latest (source, latest_seq, conclusive_seq, ok_seq, received_ns) "
                                "VALUES ",
                                absl::StrJoin(rows, ", "),
                                " ON CONFLICT (source) DO UPDATE SET latest_seq = excluded.latest_seq, "
                                "conclusive_seq = excluded.conclusive_seq, ok_seq = excluded.ok_seq, "
                                "received_ns = excluded.received_ns"),
                   p)
              .status());
    }
    return c
        ->Query(
            "INSERT INTO checkpoint (id, through_seq) VALUES (1, $1) "
            "ON CONFLICT (id) DO UPDATE SET through_seq = excluded.through_seq",
            PgParams().Int(static_cast<int64_t>(through_seq)))
        .status();
  });
}

absl::Status PgStore::UpsertAgent(const AgentRow& a) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(PgConn * c, Writer());
  return c
      ->Query(
          "INSERT INTO agents (agent_id, version, hostname, first_seen_ns, last_seen_ns) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (agent_id) DO UPDATE SET version = excluded.version, "
          "hostname = excluded.hostname, last_seen_ns = excluded.last_seen_ns",
          PgParams().Text(a.agent_id).Text(a.version).Text(a.hostname).Int(a.first_seen_ns).Int(a.last_seen_ns))
      .status();
}

absl::Status PgStore::PutAttachment(const std::string& sha256, const std::string& content) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(PgConn * c, Writer());
  return c
      ->Query("INSERT INTO attachments (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
              PgParams().Text(sha256).Int(static_cast<int64_t>(content.size())).Bytes(content))
      .status();
}

absl::StatusOr<std::string> PgStore::GetAttachment(const std::string& sha256) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult q,
                          r.conn().Query("SELECT content FROM attachments WHERE sha256 = $1", PgParams().Text(sha256)));
  if (q.rows() == 0) return absl::NotFoundError(absl::StrCat("no attachment with digest ", sha256));
  return q.Text(0, 0);
}

absl::StatusOr<uint64_t> PgStore::FirstSeqAtOrAfter(PgConn& c, int64_t t_ns) {
  PARAAT_ASSIGN_OR_RETURN(PgResult bounds, c.Query("SELECT min(seq), max(seq) FROM evidence"));
  if (bounds.IsNull(0, 0)) {
    PARAAT_ASSIGN_OR_RETURN(PgResult head, c.Query("SELECT head_seq FROM chain WHERE id = 1"));
    return head.rows() ? static_cast<uint64_t>(head.Int(0, 0)) + 1 : 1;
  }
  return SearchFirstSeqAtOrAfter(static_cast<uint64_t>(bounds.Int(0, 0)), static_cast<uint64_t>(bounds.Int(0, 1)), t_ns,
                                 [&](uint64_t seq) -> absl::StatusOr<int64_t> {
                                   PARAAT_ASSIGN_OR_RETURN(
                                       PgResult at,
                                       c.Query("SELECT recorded_ns FROM evidence WHERE seq >= $1 ORDER BY seq LIMIT 1",
                                               PgParams().Int(static_cast<int64_t>(seq))));
                                   return at.rows() ? at.Int(0, 0) : INT64_MAX;
                                 });
}

absl::StatusOr<uint64_t> PgStore::FirstSeqAtOrAfter(absl::Time t) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  return FirstSeqAtOrAfter(r.conn(), ToUnixNs(t));
}

absl::StatusOr<uint64_t> PgStore::Prune(absl::Time before, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(PgConn * c, Writer());
  uint64_t removed = 0;
  uint64_t last_pruned = 0;
  std::string anchor_hash;
  PARAAT_RETURN_IF_ERROR(InTransaction(*c, [&]() -> absl::Status {
    PARAAT_RETURN_IF_ERROR(c->Query("SELECT 1 FROM chain WHERE id = 1 FOR UPDATE").status());
    PARAAT_ASSIGN_OR_RETURN(uint64_t first_kept, FirstSeqAtOrAfter(*c, ToUnixNs(before)));
    if (first_kept <= 1) return absl::OkStatus();
    last_pruned = first_kept - 1;
    PARAAT_ASSIGN_OR_RETURN(PgResult get, c->Query("SELECT hash FROM evidence WHERE seq = $1",
                                                   PgParams().Int(static_cast<int64_t>(last_pruned))));
    if (get.rows() == 0) {  // already pruned through here
      last_pruned = 0;
      return absl::OkStatus();
    }
    anchor_hash = get.Text(0, 0);
    const PgParams through = PgParams().Int(static_cast<int64_t>(last_pruned));
    PARAAT_ASSIGN_OR_RETURN(PgResult del, c->Query("WITH d AS (DELETE FROM evidence WHERE seq <= $1 RETURNING 1) "
                                                   "SELECT count(*) FROM d",
                                                   through));
    removed = static_cast<uint64_t>(del.Int(0, 0));
    PARAAT_RETURN_IF_ERROR(c->Query("DELETE FROM exercises WHERE seq <= $1", through).status());
    PARAAT_RETURN_IF_ERROR(
        c->Query("DELETE FROM batches WHERE stored_ns < $1", PgParams().Int(ToUnixNs(before))).status());
    return c
        ->Query("UPDATE chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1",
                PgParams().Int(static_cast<int64_t>(last_pruned)).Bytes(anchor_hash))
        .status();
  }));
  if (last_pruned == 0) return 0;
  // The prune itself is evidence.
  WriteGroup group = PruneRecord(last_pruned, anchor_hash, before, removed);
  std::vector<WriteGroup*> groups{&group};
  PARAAT_RETURN_IF_ERROR(CommitLocked(groups, now));
  return removed;
}

absl::StatusOr<std::unique_ptr<PgConn>> PgStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return c;
    }
  }
  return PgConn::Connect(url_);
}

void PgStore::ReleaseReader(std::unique_ptr<PgConn> conn) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (idle_readers_.size() < 8) idle_readers_.push_back(std::move(conn));
}

absl::StatusOr<std::vector<SourceCheckpoint>> PgStore::LoadCheckpoint(uint64_t* through_seq) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult cp, r.conn().Query("SELECT through_seq FROM checkpoint WHERE id = 1"));
  *through_seq = cp.rows() ? static_cast<uint64_t>(cp.Int(0, 0)) : 0;
  PARAAT_ASSIGN_OR_RETURN(
      PgResult q, r.conn().Query("SELECT source, latest_seq, conclusive_seq, ok_seq, received_ns FROM source_latest"));
  std::vector<SourceCheckpoint> out;
  for (int i = 0; i < q.rows(); ++i) {
    out.push_back(SourceCheckpoint{q.Text(i, 0), static_cast<uint64_t>(q.Int(i, 1)), static_cast<uint64_t>(q.Int(i, 2)),
                                   static_cast<uint64_t>(q.Int(i, 3)), q.Int(i, 4)});
  }
  return out;
}

absl::StatusOr<std::vector<PlanStateRow>> PgStore::LoadPlanStates() {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult q, r.conn().Query("SELECT plan_id, state, since_ns, seq FROM plan_state"));
  std::vector<PlanStateRow> out;
  for (int i = 0; i < q.rows(); ++i) {
    out.push_back(
        PlanStateRow{q.Text(i, 0), static_cast<int>(q.Int(i, 1)), q.Int(i, 2), static_cast<uint64_t>(q.Int(i, 3))});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PgStore::LoadPlanVersions() {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult q, r.conn().Query("SELECT plan_id, sha256 FROM plan_version"));
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < q.rows(); ++i) out.emplace_back(q.Text(i, 0), q.Text(i, 1));
  return out;
}

absl::StatusOr<std::vector<uint64_t>> PgStore::ExerciseSeqs() {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult q, r.conn().Query("SELECT seq FROM exercises ORDER BY seq"));
  std::vector<uint64_t> out;
  for (int i = 0; i < q.rows(); ++i) out.push_back(static_cast<uint64_t>(q.Int(i, 0)));
  return out;
}

absl::StatusOr<std::vector<AgentRow>> PgStore::LoadAgents() {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(
      PgResult q, r.conn().Query("SELECT agent_id, version, hostname, first_seen_ns, last_seen_ns FROM agents"));
  std::vector<AgentRow> out;
  for (int i = 0; i < q.rows(); ++i) {
    out.push_back(AgentRow{q.Text(i, 0), q.Text(i, 1), q.Text(i, 2), q.Int(i, 3), q.Int(i, 4)});
  }
  return out;
}

absl::StatusOr<std::vector<StoredRecord>> PgStore::Read(const std::vector<uint64_t>& seqs) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  std::map<uint64_t, StoredRecord> found;
  for (size_t i = 0; i < seqs.size(); i += kChunk) {
    std::vector<uint64_t> part(seqs.begin() + static_cast<std::ptrdiff_t>(i),
                               seqs.begin() + static_cast<std::ptrdiff_t>(std::min(seqs.size(), i + kChunk)));
    PARAAT_ASSIGN_OR_RETURN(
        PgResult q,
        r.conn().Query("SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq = ANY($1::bigint[])",
                       PgParams().Text(absl::StrCat("{", absl::StrJoin(part, ","), "}"))));
    for (int row = 0; row < q.rows(); ++row) {
      StoredRecord rec = RecordAt(q, row);
      found.emplace(rec.seq, std::move(rec));
    }
  }
  std::vector<StoredRecord> out;  // in the order asked for, as the SQLite store returns them
  out.reserve(found.size());
  for (uint64_t seq : seqs) {
    if (auto it = found.find(seq); it != found.end()) out.push_back(it->second);
  }
  return out;
}

absl::Status PgStore::Scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(const StoredRecord&)>& fn) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  const int64_t last = static_cast<int64_t>(std::min<uint64_t>(to_seq, INT64_MAX));
  int64_t next = static_cast<int64_t>(std::min<uint64_t>(from_seq, INT64_MAX));
  while (next <= last) {
    PARAAT_ASSIGN_OR_RETURN(
        PgResult q,
        r.conn().Query(
            "SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq >= $1 AND seq <= $2 ORDER BY seq "
            "LIMIT 5000",
            PgParams().Int(next).Int(last)));
    for (int row = 0; row < q.rows(); ++row) {
      if (!fn(RecordAt(q, row))) return absl::OkStatus();
    }
    if (q.rows() < kChunk) break;
    next = q.Int(q.rows() - 1, 0) + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreStats> PgStore::Stats() {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PARAAT_ASSIGN_OR_RETURN(PgResult q, r.conn().Query("SELECT head_seq, head_seq - anchor_seq FROM chain WHERE id = 1"));
  StoreStats s;
  if (q.rows()) {
    s.head_seq = static_cast<uint64_t>(q.Int(0, 0));
    s.records = static_cast<uint64_t>(q.Int(0, 1));
  }
  return s;
}

absl::StatusOr<paraat::v1::ChainVerification> PgStore::Verify(const std::function<void(uint64_t)>& progress) {
  PARAAT_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Reader r(this, std::move(conn));
  PgConn& c = r.conn();
  paraat::v1::ChainVerification out;
  // One snapshot: the chain table and the records are seen at the same moment.
  PARAAT_RETURN_IF_ERROR(InTransaction(c, [&]() -> absl::Status {
    PARAAT_RETURN_IF_ERROR(c.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
    PARAAT_ASSIGN_OR_RETURN(PgResult head,
                            c.Query("SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM chain WHERE id = 1"));
    if (head.rows() != 1) return absl::DataLossError("the chain table is empty");
    const uint64_t head_seq = static_cast<uint64_t>(head.Int(0, 0));
    const std::string head_hash = head.Text(0, 1);
    const uint64_t anchor_seq = static_cast<uint64_t>(head.Int(0, 2));
    if (head.Bytes(0, 3).size() != Digest().size()) return absl::DataLossError("the chain anchor has the wrong size");
    ChainVerifier v(anchor_seq, ToDigest(head.Bytes(0, 3)));
    int64_t next = static_cast<int64_t>(anchor_seq) + 1;
    uint64_t n = 0;
    bool broken = false;
    while (!broken) {
      PARAAT_ASSIGN_OR_RETURN(
          PgResult q,
          c.Query("SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq >= $1 ORDER BY seq LIMIT 5000",
                  PgParams().Int(next)));
      for (int row = 0; row < q.rows() && !broken; ++row) {
        broken = !v.Feed(static_cast<uint64_t>(q.Int(row, 0)), q.Int(row, 1), static_cast<int>(q.Int(row, 2)),
                         q.Bytes(row, 3), q.Bytes(row, 4));
        if (progress && (++n % 1000000) == 0) progress(n);
      }
      if (q.rows() < kChunk) break;
      next = q.Int(q.rows() - 1, 0) + 1;
    }
    v.ExpectHead(head_seq, head_hash);
    v.Report(&out);
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace paraat
