#include "collector/store/sqlite_store.h"

#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

// Schema versions, applied in order; PRAGMA user_version holds the last one applied.
const char* const kMigrations[] = {
    // 1: the evidence chain and its indexes.
    R"sql(
    CREATE TABLE evidence (
      seq         INTEGER PRIMARY KEY,
      recorded_ns INTEGER NOT NULL,
      type        INTEGER NOT NULL,
      payload     BLOB NOT NULL,
      hash        BLOB NOT NULL
    );
    CREATE TABLE chain (
      id               INTEGER PRIMARY KEY CHECK (id = 1),
      head_seq         INTEGER NOT NULL,
      head_hash        BLOB NOT NULL,
      head_recorded_ns INTEGER NOT NULL,
      anchor_seq       INTEGER NOT NULL,
      anchor_hash      BLOB NOT NULL
    );
    CREATE TABLE batches (
      agent_id  TEXT NOT NULL,
      epoch     INTEGER NOT NULL,
      sequence  INTEGER NOT NULL,
      stored_ns INTEGER NOT NULL,
      first_seq INTEGER NOT NULL,
      PRIMARY KEY (agent_id, epoch, sequence)
    ) WITHOUT ROWID;
    CREATE TABLE source_latest (
      source         TEXT PRIMARY KEY,
      latest_seq     INTEGER NOT NULL,
      conclusive_seq INTEGER NOT NULL,
      ok_seq         INTEGER NOT NULL,
      received_ns    INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE checkpoint (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      through_seq  INTEGER NOT NULL
    );
    CREATE TABLE exercises (
      seq     INTEGER PRIMARY KEY,
      plan_id TEXT NOT NULL
    );
    CREATE TABLE plan_state (
      plan_id  TEXT PRIMARY KEY,
      state    INTEGER NOT NULL,
      since_ns INTEGER NOT NULL,
      seq      INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE plan_version (
      plan_id TEXT PRIMARY KEY,
      sha256  TEXT NOT NULL,
      seq     INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE attachments (
      sha256  TEXT PRIMARY KEY,
      size    INTEGER NOT NULL,
      content BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE agents (
      agent_id      TEXT PRIMARY KEY,
      version       TEXT NOT NULL,
      hostname      TEXT NOT NULL,
      first_seen_ns INTEGER NOT NULL,
      last_seen_ns  INTEGER NOT NULL
    ) WITHOUT ROWID;
    )sql",
};

}  // namespace

class SqliteStore::Reader {
 public:
  Reader(SqliteStore* store, std::unique_ptr<SqliteDb> db) : store_(store), db_(std::move(db)) {}
  ~Reader() {
    if (db_) store_->ReleaseReader(std::move(db_));
  }
  SqliteDb& db() { return *db_; }

 private:
  SqliteStore* store_;
  std::unique_ptr<SqliteDb> db_;
};

absl::Status SqliteStore::Open() {
  PARAAT_ASSIGN_OR_RETURN(writer_, SqliteDb::Open(path_, false));
  PARAAT_RETURN_IF_ERROR(writer_->Exec("PRAGMA journal_mode=WAL"));
  PARAAT_RETURN_IF_ERROR(writer_->Exec("PRAGMA synchronous=FULL"));
  PARAAT_RETURN_IF_ERROR(writer_->Exec("PRAGMA cache_size=-262144"));  // 256 MiB
  PARAAT_RETURN_IF_ERROR(writer_->Exec("PRAGMA foreign_keys=OFF"));
  PARAAT_RETURN_IF_ERROR(Migrate());
  PARAAT_RETURN_IF_ERROR(PrepareWriter());

  PARAAT_ASSIGN_OR_RETURN(SqliteStmt head,
                          writer_->Prepare("SELECT head_seq, head_hash, head_recorded_ns FROM chain WHERE id = 1"));
  PARAAT_ASSIGN_OR_RETURN(bool row, head.Step());
  if (row) {
    head_seq_ = static_cast<uint64_t>(head.Int(0));
    absl::string_view h = head.Blob(1);
    if (h.size() != head_hash_.size()) return absl::DataLossError("chain head hash has the wrong size");
    std::memcpy(head_hash_.data(), h.data(), h.size());
    head_recorded_ns_ = head.Int(2);
  } else {
    head_hash_ = GenesisHash();
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt init, writer_->Prepare("INSERT INTO chain VALUES (1, 0, ?1, 0, 0, ?1)"));
    init.BindBlob(1, DigestBytes(head_hash_));
    PARAAT_RETURN_IF_ERROR(init.Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Migrate() {
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt v, writer_->Prepare("PRAGMA user_version"));
  PARAAT_ASSIGN_OR_RETURN(bool row, v.Step());
  int64_t version = row ? v.Int(0) : 0;
  const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
  if (version > latest) {
    return absl::FailedPreconditionError(absl::StrCat(path_, " has schema version ", version,
                                                      ", newer than this collector knows (", latest,
                                                      "); upgrade the collector"));
  }
  for (int64_t i = version; i < latest; ++i) {
    PARAAT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
    absl::Status st = writer_->Exec(kMigrations[i]);
    if (st.ok()) st = writer_->Exec(absl::StrCat("PRAGMA user_version = ", i + 1).c_str());
    if (!st.ok()) {
      (void)writer_->Exec("ROLLBACK");
      return absl::Status(st.code(), absl::StrCat("schema migration ", i + 1, ": ", st.message()));
    }
    PARAAT_RETURN_IF_ERROR(writer_->Exec("COMMIT"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::PrepareWriter() {
  PARAAT_ASSIGN_OR_RETURN(
      ins_batch_,
      writer_->Prepare("INSERT INTO batches (agent_id, epoch, sequence, stored_ns, first_seq) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT DO NOTHING"));
  PARAAT_ASSIGN_OR_RETURN(
      ins_evidence_,
      writer_->Prepare("INSERT INTO evidence (seq, recorded_ns, type, payload, hash) VALUES (?, ?, ?, ?, ?)"));
  PARAAT_ASSIGN_OR_RETURN(ins_exercise_, writer_->Prepare("INSERT INTO exercises (seq, plan_id) VALUES (?, ?)"));
  PARAAT_ASSIGN_OR_RETURN(up_plan_state_,
                          writer_->Prepare("INSERT INTO plan_state (plan_id, state, since_ns, seq) VALUES (?, ?, ?, ?) "
                                           "ON CONFLICT (plan_id) DO UPDATE SET state = excluded.state, since_ns = "
                                           "excluded.since_ns, seq = excluded.seq"));
  PARAAT_ASSIGN_OR_RETURN(
      up_plan_version_,
      writer_->Prepare("INSERT INTO plan_version (plan_id, sha256, seq) VALUES (?, ?, ?) "
                       "ON CONFLICT (plan_id) DO UPDATE SET sha256 = excluded.sha256, seq = excluded.seq"));
  PARAAT_ASSIGN_OR_RETURN(
      up_head_, writer_->Prepare("UPDATE chain SET head_seq = ?, head_hash = ?, head_recorded_ns = ? WHERE id = 1"));
  return absl::OkStatus();
}

absl::Status SqliteStore::AppendLocked(WriteGroup& group, int64_t recorded_ns) {
  group.duplicate = false;
  group.recorded_ns = recorded_ns;
  group.first_seq = head_seq_ + 1;
  if (!group.agent_id.empty()) {
    ins_batch_.BindText(1, group.agent_id);
    ins_batch_.Bind(2, static_cast<int64_t>(group.spool_epoch));
    ins_batch_.Bind(3, static_cast<int64_t>(group.sequence));
    ins_batch_.Bind(4, recorded_ns);
    ins_batch_.Bind(5, static_cast<int64_t>(group.first_seq));
    PARAAT_RETURN_IF_ERROR(ins_batch_.Run());
    if (writer_->Changes() == 0) {
      group.duplicate = true;
      group.first_seq = 0;
      return absl::OkStatus();
    }
  }
  for (PendingRecord& rec : group.records) {
    const uint64_t seq = head_seq_ + 1;
    Digest hash = hasher_.Next(head_hash_, seq, recorded_ns, rec.type, rec.payload);
    ins_evidence_.Bind(1, static_cast<int64_t>(seq));
    ins_evidence_.Bind(2, recorded_ns);
    ins_evidence_.Bind(3, static_cast<int>(rec.type));
    ins_evidence_.BindBlobNoCopy(4, rec.payload);
    ins_evidence_.BindBlobNoCopy(5, DigestBytes(hash));
    PARAAT_RETURN_IF_ERROR(ins_evidence_.Run());
    switch (rec.type) {
      case RecordType::kExercise:
        ins_exercise_.Bind(1, static_cast<int64_t>(seq));
        ins_exercise_.BindText(2, rec.plan_id);
        PARAAT_RETURN_IF_ERROR(ins_exercise_.Run());
        break;
      case RecordType::kTransition:
        up_plan_state_.BindText(1, rec.plan_id);
        up_plan_state_.Bind(2, rec.state);
        up_plan_state_.Bind(3, recorded_ns);
        up_plan_state_.Bind(4, static_cast<int64_t>(seq));
        PARAAT_RETURN_IF_ERROR(up_plan_state_.Run());
        break;
      case RecordType::kPlanChange:
        up_plan_version_.BindText(1, rec.plan_id);
        up_plan_version_.BindText(2, rec.sha256);
        up_plan_version_.Bind(3, static_cast<int64_t>(seq));
        PARAAT_RETURN_IF_ERROR(up_plan_version_.Run());
        break;
      default:
        break;
    }
    head_seq_ = seq;
    head_hash_ = hash;
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::Commit(std::vector<WriteGroup*>& groups, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return CommitLocked(groups, now);
}

absl::Status SqliteStore::CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now) {
  const uint64_t saved_seq = head_seq_;
  const Digest saved_hash = head_hash_;
  const int64_t saved_recorded = head_recorded_ns_;
  const int64_t recorded_ns = std::max(ToUnixNs(now), head_recorded_ns_);

  PARAAT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  absl::Status st;
  for (WriteGroup* g : groups) {
    st = AppendLocked(*g, recorded_ns);
    if (!st.ok()) break;
  }
  if (st.ok() && head_seq_ != saved_seq) {
    up_head_.Bind(1, static_cast<int64_t>(head_seq_));
    up_head_.BindBlobNoCopy(2, DigestBytes(head_hash_));
    up_head_.Bind(3, recorded_ns);
    st = up_head_.Run();
  }
  if (st.ok()) st = writer_->Exec("COMMIT");
  if (!st.ok()) {
    (void)writer_->Exec("ROLLBACK");
    head_seq_ = saved_seq;
    head_hash_ = saved_hash;
    head_recorded_ns_ = saved_recorded;
    for (WriteGroup* g : groups) {
      g->duplicate = false;
      g->first_seq = 0;
    }
    return st;
  }
  head_recorded_ns_ = recorded_ns;
  return absl::OkStatus();
}

absl::Status SqliteStore::SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(
        SqliteStmt up,
        writer_->Prepare(
            "INSERT INTO source_latest (source, latest_seq, conclusive_seq, ok_seq, received_ns) VALUES (?, ?, ?, ?, "
            "?) "
            "ON CONFLICT (source) DO UPDATE SET latest_seq = excluded.latest_seq, "
            "conclusive_seq = excluded.conclusive_seq, ok_seq = excluded.ok_seq, received_ns = excluded.received_ns"));
    for (const SourceCheckpoint& s : sources) {
      up.BindText(1, s.source);
      up.Bind(2, static_cast<int64_t>(s.latest_seq));
      up.Bind(3, static_cast<int64_t>(s.conclusive_seq));
      up.Bind(4, static_cast<int64_t>(s.ok_seq));
      up.Bind(5, s.received_ns);
      PARAAT_RETURN_IF_ERROR(up.Run());
    }
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt cp,
                            writer_->Prepare("INSERT INTO checkpoint (id, through_seq) VALUES (1, ?) "
                                             "ON CONFLICT (id) DO UPDATE SET through_seq = excluded.through_seq"));
    cp.Bind(1, static_cast<int64_t>(through_seq));
    return cp.Run();
  };
  absl::Status st = body();
  if (st.ok()) st = writer_->Exec("COMMIT");
  if (!st.ok()) (void)writer_->Exec("ROLLBACK");
  return st;
}

absl::Status SqliteStore::UpsertAgent(const AgentRow& a) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt up,
      writer_->Prepare(
          "INSERT INTO agents (agent_id, version, hostname, first_seen_ns, last_seen_ns) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (agent_id) DO UPDATE SET version = excluded.version, hostname = excluded.hostname, "
          "last_seen_ns = excluded.last_seen_ns"));
  up.BindText(1, a.agent_id);
  up.BindText(2, a.version);
  up.BindText(3, a.hostname);
  up.Bind(4, a.first_seen_ns);
  up.Bind(5, a.last_seen_ns);
  return up.Run();
}

absl::Status SqliteStore::PutAttachment(const std::string& sha256, const std::string& content) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt put,
      writer_->Prepare("INSERT INTO attachments (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"));
  put.BindText(1, sha256);
  put.Bind(2, static_cast<int64_t>(content.size()));
  put.BindBlobNoCopy(3, content);
  return put.Run();
}

absl::StatusOr<std::string> SqliteStore::GetAttachment(const std::string& sha256) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q, r.db().Prepare("SELECT content FROM attachments WHERE sha256 = ?"));
  q.BindText(1, sha256);
  PARAAT_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no attachment with digest ", sha256));
  return std::string(q.Blob(0));
}

absl::StatusOr<uint64_t> SqliteStore::FirstSeqAtOrAfter(SqliteDb& db, int64_t t_ns) {
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt bounds, db.Prepare("SELECT min(seq), max(seq) FROM evidence"));
  PARAAT_ASSIGN_OR_RETURN(bool row, bounds.Step());
  if (!row || bounds.IsNull(0)) {
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt head, db.Prepare("SELECT head_seq FROM chain WHERE id = 1"));
    PARAAT_ASSIGN_OR_RETURN(bool hrow, head.Step());
    return hrow ? static_cast<uint64_t>(head.Int(0)) + 1 : 1;
  }
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt at,
                          db.Prepare("SELECT recorded_ns FROM evidence WHERE seq >= ? ORDER BY seq LIMIT 1"));
  return SearchFirstSeqAtOrAfter(static_cast<uint64_t>(bounds.Int(0)), static_cast<uint64_t>(bounds.Int(1)), t_ns,
                                 [&](uint64_t seq) -> absl::StatusOr<int64_t> {
                                   at.Bind(1, static_cast<int64_t>(seq));
                                   PARAAT_ASSIGN_OR_RETURN(bool found, at.Step());
                                   const int64_t rec = found ? at.Int(0) : INT64_MAX;
                                   at.Reset();
                                   return rec;
                                 });
}

absl::StatusOr<uint64_t> SqliteStore::Prune(absl::Time before, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(uint64_t first_kept, FirstSeqAtOrAfter(*writer_, ToUnixNs(before)));
  if (first_kept <= 1) return 0;
  const uint64_t last_pruned = first_kept - 1;
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt get, writer_->Prepare("SELECT hash FROM evidence WHERE seq = ?"));
  get.Bind(1, static_cast<int64_t>(last_pruned));
  PARAAT_ASSIGN_OR_RETURN(bool row, get.Step());
  if (!row) return 0;  // already pruned through here
  const std::string anchor_hash(get.Blob(0));
  get.Reset();

  PARAAT_RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE"));
  uint64_t removed = 0;
  auto body = [&]() -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt del, writer_->Prepare("DELETE FROM evidence WHERE seq <= ?"));
    del.Bind(1, static_cast<int64_t>(last_pruned));
    PARAAT_RETURN_IF_ERROR(del.Run());
    removed = static_cast<uint64_t>(writer_->Changes());
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt dex, writer_->Prepare("DELETE FROM exercises WHERE seq <= ?"));
    dex.Bind(1, static_cast<int64_t>(last_pruned));
    PARAAT_RETURN_IF_ERROR(dex.Run());
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt dba, writer_->Prepare("DELETE FROM batches WHERE stored_ns < ?"));
    dba.Bind(1, ToUnixNs(before));
    PARAAT_RETURN_IF_ERROR(dba.Run());
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt anchor,
                            writer_->Prepare("UPDATE chain SET anchor_seq = ?, anchor_hash = ? WHERE id = 1"));
    anchor.Bind(1, static_cast<int64_t>(last_pruned));
    anchor.BindBlob(2, anchor_hash);
    return anchor.Run();
  };
  absl::Status st = body();
  if (st.ok()) st = writer_->Exec("COMMIT");
  if (!st.ok()) {
    (void)writer_->Exec("ROLLBACK");
    return st;
  }
  // The prune itself is evidence.
  WriteGroup group = PruneRecord(last_pruned, anchor_hash, before, removed);
  std::vector<WriteGroup*> groups{&group};
  PARAAT_RETURN_IF_ERROR(CommitLocked(groups, now));
  return removed;
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return db;
    }
  }
  PARAAT_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path_, true));
  PARAAT_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-65536"));
  return db;
}

void SqliteStore::ReleaseReader(std::unique_ptr<SqliteDb> db) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (idle_readers_.size() < 8) idle_readers_.push_back(std::move(db));
}

absl::StatusOr<std::vector<SourceCheckpoint>> SqliteStore::LoadCheckpoint(uint64_t* through_seq) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt cp, r.db().Prepare("SELECT through_seq FROM checkpoint WHERE id = 1"));
  PARAAT_ASSIGN_OR_RETURN(bool row, cp.Step());
  *through_seq = row ? static_cast<uint64_t>(cp.Int(0)) : 0;
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt q,
      r.db().Prepare("SELECT source, latest_seq, conclusive_seq, ok_seq, received_ns FROM source_latest"));
  std::vector<SourceCheckpoint> out;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back(SourceCheckpoint{q.Text(0), static_cast<uint64_t>(q.Int(1)), static_cast<uint64_t>(q.Int(2)),
                                   static_cast<uint64_t>(q.Int(3)), q.Int(4)});
  }
  return out;
}

absl::StatusOr<std::vector<PlanStateRow>> SqliteStore::LoadPlanStates() {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q, r.db().Prepare("SELECT plan_id, state, since_ns, seq FROM plan_state"));
  std::vector<PlanStateRow> out;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back(PlanStateRow{q.Text(0), static_cast<int>(q.Int(1)), q.Int(2), static_cast<uint64_t>(q.Int(3))});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqliteStore::LoadPlanVersions() {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q, r.db().Prepare("SELECT plan_id, sha256 FROM plan_version"));
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.emplace_back(q.Text(0), q.Text(1));
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> SqliteStore::ExerciseSeqs() {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q, r.db().Prepare("SELECT seq FROM exercises ORDER BY seq"));
  std::vector<uint64_t> out;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back(static_cast<uint64_t>(q.Int(0)));
  }
  return out;
}

absl::StatusOr<std::vector<AgentRow>> SqliteStore::LoadAgents() {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt q, r.db().Prepare("SELECT agent_id, version, hostname, first_seen_ns, last_seen_ns FROM agents"));
  std::vector<AgentRow> out;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back(AgentRow{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4)});
  }
  return out;
}

absl::StatusOr<std::vector<StoredRecord>> SqliteStore::Read(const std::vector<uint64_t>& seqs) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q,
                          r.db().Prepare("SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq = ?"));
  std::vector<StoredRecord> out;
  out.reserve(seqs.size());
  for (uint64_t seq : seqs) {
    q.Bind(1, static_cast<int64_t>(seq));
    PARAAT_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      out.push_back(StoredRecord{static_cast<uint64_t>(q.Int(0)), q.Int(1), static_cast<RecordType>(q.Int(2)),
                                 std::string(q.Blob(3)), std::string(q.Blob(4))});
    }
    q.Reset();
  }
  return out;
}

absl::Status SqliteStore::Scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(const StoredRecord&)>& fn) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt q,
      r.db().Prepare(
          "SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq >= ? AND seq <= ? ORDER BY seq"));
  q.Bind(1, static_cast<int64_t>(from_seq));
  q.Bind(2, static_cast<int64_t>(std::min<uint64_t>(to_seq, INT64_MAX)));
  StoredRecord rec;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    rec.seq = static_cast<uint64_t>(q.Int(0));
    rec.recorded_ns = q.Int(1);
    rec.type = static_cast<RecordType>(q.Int(2));
    rec.payload.assign(q.Blob(3).data(), q.Blob(3).size());
    rec.hash.assign(q.Blob(4).data(), q.Blob(4).size());
    if (!fn(rec)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteStore::FirstSeqAtOrAfter(absl::Time t) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  return FirstSeqAtOrAfter(r.db(), ToUnixNs(t));
}

absl::StatusOr<StoreStats> SqliteStore::Stats() {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  PARAAT_ASSIGN_OR_RETURN(SqliteStmt q,
                          r.db().Prepare("SELECT head_seq, head_seq - anchor_seq FROM chain WHERE id = 1"));
  PARAAT_ASSIGN_OR_RETURN(bool row, q.Step());
  StoreStats s;
  if (row) {
    s.head_seq = static_cast<uint64_t>(q.Int(0));
    s.records = static_cast<uint64_t>(q.Int(1));
  }
  return s;
}

namespace {

// Feeds records from_seq < seq <= to_seq to `v`, in one read transaction of `db`.
absl::Status VerifyRange(SqliteDb& db, ChainVerifier& v, uint64_t from_seq, uint64_t to_seq,
                         const std::function<void(uint64_t)>& progress) {
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt q,
      db.Prepare("SELECT seq, recorded_ns, type, payload, hash FROM evidence WHERE seq > ? AND seq <= ? ORDER BY seq"));
  q.Bind(1, static_cast<int64_t>(from_seq));
  q.Bind(2, static_cast<int64_t>(std::min<uint64_t>(to_seq, INT64_MAX)));
  uint64_t n = 0;
  while (true) {
    PARAAT_ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    if (!v.Feed(static_cast<uint64_t>(q.Int(0)), q.Int(1), static_cast<int>(q.Int(2)), q.Blob(3), q.Blob(4))) break;
    if (progress && (++n % 1000000) == 0) progress(n);
  }
  return absl::OkStatus();
}

// Read transactions that end (COMMIT) with their scope.
struct ReadTransaction {
  explicit ReadTransaction(SqliteDb& db) : db(db) { status = db.Exec("BEGIN"); }
  ~ReadTransaction() {
    if (status.ok()) (void)db.Exec("COMMIT");
  }
  SqliteDb& db;
  absl::Status status;
};

}  // namespace

absl::StatusOr<paraat::v1::ChainVerification> SqliteStore::Verify(const std::function<void(uint64_t)>& progress) {
  PARAAT_ASSIGN_OR_RETURN(auto db, AcquireReader());
  Reader r(this, std::move(db));
  // One read transaction: the chain table and the records are seen at the same moment.
  ReadTransaction txn(r.db());
  PARAAT_RETURN_IF_ERROR(txn.status);
  PARAAT_ASSIGN_OR_RETURN(
      SqliteStmt c, r.db().Prepare("SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM chain WHERE id = 1"));
  PARAAT_ASSIGN_OR_RETURN(bool row, c.Step());
  if (!row) return absl::DataLossError("the chain table is empty");
  const uint64_t head_seq = static_cast<uint64_t>(c.Int(0));
  const std::string head_hash(c.Blob(1));
  const uint64_t anchor_seq = static_cast<uint64_t>(c.Int(2));
  Digest anchor{};
  absl::string_view ah = c.Blob(3);
  if (ah.size() != anchor.size()) return absl::DataLossError("the chain anchor has the wrong size");
  std::memcpy(anchor.data(), ah.data(), ah.size());

  // Each record's hash covers the stored hash of the one before, so the chain can be checked in
  // two halves at once: the second starts from the stored hash at the middle, which the first
  // must end on. Halves the time on two cores (bench/RESULTS.md).
  constexpr uint64_t kParallelFrom = 200000;
  const uint64_t mid = anchor_seq + (head_seq - anchor_seq) / 2;
  std::optional<ChainVerifier> second;
  std::string mid_hash;
  if (head_seq - anchor_seq >= kParallelFrom) {
    PARAAT_ASSIGN_OR_RETURN(SqliteStmt m, r.db().Prepare("SELECT hash, recorded_ns FROM evidence WHERE seq = ?"));
    m.Bind(1, static_cast<int64_t>(mid));
    PARAAT_ASSIGN_OR_RETURN(bool found, m.Step());
    if (found && m.Blob(0).size() == Digest().size()) {
      mid_hash = std::string(m.Blob(0));
      Digest d;
      std::memcpy(d.data(), mid_hash.data(), d.size());
      second.emplace(mid, d, m.Int(1));
    }
  }
  paraat::v1::ChainVerification out;
  if (!second) {
    ChainVerifier v(anchor_seq, anchor);
    PARAAT_RETURN_IF_ERROR(VerifyRange(r.db(), v, anchor_seq, head_seq, progress));
    v.ExpectHead(head_seq, head_hash);
    v.Report(&out);
    return out;
  }
  absl::Status second_status;
  std::thread worker([&] {
    auto db2 = AcquireReader();
    if (!db2.ok()) {
      second_status = db2.status();
      return;
    }
    Reader r2(this, *std::move(db2));
    ReadTransaction txn2(r2.db());
    second_status = txn2.status.ok() ? VerifyRange(r2.db(), *second, mid, head_seq, nullptr) : txn2.status;
    second->ExpectHead(head_seq, head_hash);
  });
  ChainVerifier first(anchor_seq, anchor);
  absl::Status first_status = VerifyRange(r.db(), first, anchor_seq, mid, progress);
  first.ExpectHead(mid, mid_hash);
  worker.join();
  PARAAT_RETURN_IF_ERROR(first_status);
  PARAAT_RETURN_IF_ERROR(second_status);
  paraat::v1::ChainVerification tail;
  first.Report(&out);
  second->Report(&tail);
  if (!out.ok()) return out;  // the first broken record is in the first half
  tail.set_records_checked(out.records_checked() + tail.records_checked());
  tail.set_first_seq(out.records_checked() ? out.first_seq() : tail.first_seq());
  return tail;
}

}  // namespace paraat
