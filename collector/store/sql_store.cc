#include "collector/store/sql_store.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "collector/store/sql_schema.h"
#include "collector/store/sql_tree.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

using Type = SqlValue::Type;

// Rows a read statement returns at most: scans of any length in bounded memory.
constexpr int kChunk = 5000;
// From this many records on, a verification checks the chain in two halves at once.
constexpr uint64_t kParallelFrom = 200000;

const std::string kSelectRecords = "SELECT seq, recorded_ns, type, payload, hash FROM evidence";

struct ChainHead {
  uint64_t seq = 0;
  Digest hash{};
  int64_t recorded_ns = 0;
};

// (agent_id, spool_epoch, sequence) of stored batches.
using BatchKeys = std::set<std::tuple<std::string, uint64_t, uint64_t>>;

int64_t ClampSeq(uint64_t seq) { return static_cast<int64_t>(std::min<uint64_t>(seq, INT64_MAX)); }

absl::StatusOr<Digest> ToDigest(absl::string_view bytes, const char* what) {
  Digest d{};
  if (bytes.size() != d.size()) return absl::DataLossError(absl::StrCat(what, " has the wrong size"));
  std::memcpy(d.data(), bytes.data(), d.size());
  return d;
}

void ToRecord(const SqlRow& row, StoredRecord* rec) {
  rec->seq = row.Seq(0);
  rec->recorded_ns = row.Int(1);
  rec->type = static_cast<RecordType>(row.Int(2));
  const absl::string_view payload = row.Bytes(3), hash = row.Bytes(4);
  rec->payload.assign(payload.data(), payload.size());
  rec->hash.assign(hash.data(), hash.size());
}

// The chain head. `lock_row` (SqlDialect) makes a write transaction hold the row every writer
// serialises on.
absl::StatusOr<ChainHead> ReadHead(SqlConnection& c, const char* lock_row) {
  std::optional<absl::StatusOr<ChainHead>> head;
  PARAAT_RETURN_IF_ERROR(
      c.Run(absl::StrCat("SELECT head_seq, head_hash, head_recorded_ns FROM chain WHERE id = 1", lock_row), {},
            [&](const SqlRow& r) {
              absl::StatusOr<Digest> hash = ToDigest(r.Bytes(1), "the chain head hash");
              head = hash.ok() ? absl::StatusOr<ChainHead>(ChainHead{r.Seq(0), *hash, r.Int(2)}) : hash.status();
              return false;
            })
          .status());
  if (!head) return absl::DataLossError("the chain table is empty");
  return *head;
}

// recorded_ns never decreases along seq, so the first seq in [lo, hi] recorded at or after t_ns
// is found by binary search, without an index on time. `recorded(seq)` gives the recorded_ns
// of the first record at or after seq (INT64_MAX past the end). hi + 1 when there is none.
absl::StatusOr<uint64_t> SearchFirstSeqAtOrAfter(uint64_t lo, uint64_t hi, int64_t t_ns,
                                                 const std::function<absl::StatusOr<int64_t>(uint64_t)>& recorded) {
  ++hi;  // the answer lies in [lo, hi + 1]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    PARAAT_ASSIGN_OR_RETURN(int64_t rec, recorded(mid));
    if (rec >= t_ns) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The first seq recorded at or after t_ns (head + 1 when none).
absl::StatusOr<uint64_t> FirstSeqRecordedAtOrAfter(SqlConnection& c, int64_t t_ns) {
  std::optional<std::pair<uint64_t, uint64_t>> bounds;
  PARAAT_RETURN_IF_ERROR(c.Run("SELECT min(seq), max(seq) FROM evidence", {}, [&](const SqlRow& r) {
                            if (!r.IsNull(0)) bounds.emplace(r.Seq(0), r.Seq(1));
                            return false;
                          }).status());
  if (!bounds) {
    PARAAT_ASSIGN_OR_RETURN(std::optional<int64_t> head, QueryInt(c, "SELECT head_seq FROM chain WHERE id = 1"));
    return head ? static_cast<uint64_t>(*head) + 1 : 1;
  }
  return SearchFirstSeqAtOrAfter(bounds->first, bounds->second, t_ns, [&](uint64_t seq) -> absl::StatusOr<int64_t> {
    PARAAT_ASSIGN_OR_RETURN(
        std::optional<int64_t> rec,
        QueryInt(c, "SELECT recorded_ns FROM evidence WHERE seq >= $1 ORDER BY seq LIMIT 1", {SqlValue::Seq(seq)}));
    return rec ? *rec : INT64_MAX;
  });
}

// The keys of `groups` already in the batches table, stored by any collector.
absl::StatusOr<BatchKeys> StoredBatches(SqlConnection& c, const std::vector<WriteGroup*>& groups) {
  std::vector<const WriteGroup*> keyed;
  for (const WriteGroup* g : groups) {
    if (!g->agent_id.empty()) keyed.push_back(g);
  }
  BatchKeys found;
  SqlParams params;
  for (size_t i = 0; i < keyed.size(); i += kRowsPerStatement) {
    const size_t n = std::min(kRowsPerStatement, keyed.size() - i);
    params.clear();
    for (size_t j = i; j < i + n; ++j) {
      params.insert(params.end(), {SqlValue::Text(keyed[j]->agent_id), SqlValue::Seq(keyed[j]->spool_epoch),
                                   SqlValue::Seq(keyed[j]->sequence)});
    }
    // A join, not IN (VALUES ...): SQLite then looks each key up by the primary key.
    const std::string sql = absl::StrCat(
        "SELECT b.agent_id, b.epoch, b.sequence FROM (VALUES ",
        ValuesList(n, {Type::kText, Type::kInt64, Type::kInt64}),
        ") AS v JOIN batches b ON b.agent_id = v.column1 AND b.epoch = v.column2 AND b.sequence = v.column3");
    PARAAT_RETURN_IF_ERROR(c.Run(sql, params, [&](const SqlRow& r) {
                              found.emplace(r.Text(0), r.Seq(1), r.Seq(2));
                              return true;
                            }).status());
  }
  return found;
}

// Feeds the records from_seq < seq <= to_seq to `v` in seq order, on `c` (in its snapshot).
absl::Status VerifyRange(SqlConnection& c, ChainVerifier& v, uint64_t from_seq, uint64_t to_seq,
                         const std::function<void(uint64_t)>& progress) {
  const std::string sql = absl::StrCat(kSelectRecords, " WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ", kChunk);
  uint64_t next = from_seq, n = 0;
  bool broken = false;
  while (!broken && next < to_seq) {
    int rows = 0;
    PARAAT_RETURN_IF_ERROR(
        c.Run(sql, {SqlValue::Int(ClampSeq(next)), SqlValue::Int(ClampSeq(to_seq))}, [&](const SqlRow& r) {
           ++rows;
           next = r.Seq(0);
           broken = !v.Feed(r.Seq(0), r.Int(1), static_cast<int>(r.Int(2)), r.Bytes(3), r.Bytes(4));
           if (progress && (++n % 1000000) == 0) progress(n);
           return !broken;
         }).status());
    if (rows < kChunk) break;
  }
  return absl::OkStatus();
}

// The group holding the record a prune leaves behind as evidence.
WriteGroup PruneRecord(uint64_t pruned_through_seq, const std::string& hash_at_pruned, absl::Time older_than,
                       uint64_t pruned_records) {
  paraat::v1::EvidenceRecord rec;
  auto* p = rec.mutable_prune();
  p->set_pruned_through_seq(pruned_through_seq);
  p->set_hash_at_pruned(hash_at_pruned);
  p->set_older_than_unix_ns(ToUnixNs(older_than));
  p->set_pruned_records(pruned_records);
  PendingRecord pr;
  pr.type = RecordType::kPrune;
  rec.SerializeToString(&pr.payload);
  WriteGroup group;
  group.records.push_back(std::move(pr));
  return group;
}

}  // namespace

class SqlStore::Lease {
 public:
  Lease(SqlStore* store, std::unique_ptr<SqlConnection> c) : store_(store), c_(std::move(c)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (c_) store_->Release(std::move(c_));
  }
  SqlConnection& conn() { return *c_; }

 private:
  SqlStore* store_;
  std::unique_ptr<SqlConnection> c_;
};

SqlStore::SqlStore(std::unique_ptr<SqlBackend> backend) : backend_(std::move(backend)) {}

SqlStore::~SqlStore() = default;

absl::StatusOr<SqlStore::Lease> SqlStore::Reader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<SqlConnection> c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  PARAAT_ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> c, backend_->OpenReader());
  return Lease(this, std::move(c));
}

void SqlStore::Release(std::unique_ptr<SqlConnection> c) {
  if (!c->ok()) return;  // broken: the next lease opens a new one
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (idle_readers_.size() < 8) idle_readers_.push_back(std::move(c));
}

absl::Status SqlStore::InWriteTransaction(SqlConnection& c, const std::function<absl::Status()>& body) {
  PARAAT_RETURN_IF_ERROR(c.Exec(backend_->dialect().begin_write));
  absl::Status st = body();
  if (st.ok()) st = c.Exec("COMMIT");
  if (!st.ok()) (void)c.Exec("ROLLBACK");
  return st;
}

absl::Status SqlStore::Open() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  PARAAT_RETURN_IF_ERROR(Migrate(*c));
  return SyncTree(*c);
}

absl::Status SqlStore::Migrate(SqlConnection& c) {
  const std::vector<std::string> migrations = Migrations(backend_->dialect());
  return InWriteTransaction(c, [&]() -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(const int64_t version, backend_->LockSchema(c));
    const int64_t latest = static_cast<int64_t>(migrations.size());
    if (version > latest) {
      return absl::FailedPreconditionError(absl::StrCat(Describe(), " has schema version ", version,
                                                        ", newer than this collector knows (", latest,
                                                        "); upgrade the collector"));
    }
    for (int64_t i = version; i < latest; ++i) {
      absl::Status st = c.Exec(migrations[static_cast<size_t>(i)]);
      if (!st.ok()) return absl::Status(st.code(), absl::StrCat("schema migration ", i + 1, ": ", st.message()));
    }
    if (version != latest) PARAAT_RETURN_IF_ERROR(backend_->SetSchemaVersion(c, latest));
    const absl::string_view genesis = DigestBytes(GenesisHash());
    PARAAT_RETURN_IF_ERROR(
        c.Run("INSERT INTO chain (id, head_seq, head_hash, head_recorded_ns, anchor_seq, anchor_hash) "
              "VALUES (1, 0, $1, 0, 0, $1) ON CONFLICT DO NOTHING",
              {SqlValue::Bytes(genesis)})
            .status());
    // A store from before the tree starts it after its anchor (Open builds it from the records).
    return c
        .Run(
            "INSERT INTO merkle_tree (id, first_seq, size) SELECT 1, anchor_seq + 1, 0 FROM chain WHERE id = 1 "
            "ON CONFLICT DO NOTHING")
        .status();
  });
}

absl::Status SqlStore::Commit(std::vector<WriteGroup*>& groups, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  return CommitLocked(groups, now);
}

absl::Status SqlStore::CommitLocked(std::vector<WriteGroup*>& groups, absl::Time now) {
  for (WriteGroup* g : groups) {
    g->duplicate = false;
    g->first_seq = 0;
  }
  absl::StatusOr<SqlConnection*> c = backend_->Writer();
  absl::Status st = c.ok() ? InWriteTransaction(**c, [&] { return AppendGroups(**c, groups, now); }) : c.status();
  if (!st.ok()) {
    for (WriteGroup* g : groups) {
      g->duplicate = false;
      g->first_seq = 0;
    }
    tree_.Reset();  // the frontier moved with the rolled-back records
  }
  return st;
}

absl::Status SqlStore::AppendGroups(SqlConnection& c, std::vector<WriteGroup*>& groups, absl::Time now) {
  PARAAT_ASSIGN_OR_RETURN(const ChainHead head, ReadHead(c, backend_->dialect().lock_row));
  PARAAT_RETURN_IF_ERROR(tree_.Sync(c, head.seq));
  const int64_t recorded_ns = std::max(ToUnixNs(now), head.recorded_ns);
  // Deduplication: batches already stored (by any collector) or twice in this commit.
  PARAAT_ASSIGN_OR_RETURN(BatchKeys seen, StoredBatches(c, groups));

  size_t total = 0;
  for (const WriteGroup* g : groups) total += g->records.size();
  std::vector<Digest> hashes;
  hashes.reserve(total);  // `evidence` holds views into it: it must not reallocate
  SqlParams evidence;
  evidence.reserve(total * tables::kEvidence.columns.size());
  TableRows batches(tables::kBatches);
  const std::vector<SideTable>& side_tables = SideTables();
  std::vector<TableRows> side;
  for (const SideTable& t : side_tables) side.emplace_back(*t.table);

  std::vector<Node> nodes;  // the tree's new perfect nodes
  nodes.reserve(2 * total + 64);
  uint64_t seq = head.seq;
  Digest hash = head.hash;
  for (WriteGroup* g : groups) {
    g->recorded_ns = recorded_ns;
    const bool keyed = !g->agent_id.empty();
    if (keyed && !seen.emplace(g->agent_id, g->spool_epoch, g->sequence).second) {
      g->duplicate = true;
      continue;
    }
    g->first_seq = seq + 1;
    if (keyed) {
      batches.Add({SqlValue::Text(g->agent_id), SqlValue::Seq(g->spool_epoch), SqlValue::Seq(g->sequence),
                   SqlValue::Int(recorded_ns), SqlValue::Seq(g->first_seq)});
    }
    for (const PendingRecord& rec : g->records) {
      ++seq;
      hash = hasher_.Next(hash, seq, recorded_ns, rec.type, rec.payload);
      hashes.push_back(hash);
      tree_.frontier().Append(tree_.hasher().HashLeaf(CanonicalRecordBytes(seq, recorded_ns, rec.type, rec.payload)),
                              tree_.hasher(), &nodes);
      evidence.insert(evidence.end(),
                      {SqlValue::Seq(seq), SqlValue::Int(recorded_ns), SqlValue::Int32(static_cast<int32_t>(rec.type)),
                       SqlValue::Bytes(rec.payload), SqlValue::Bytes(DigestBytes(hashes.back()))});
      for (size_t i = 0; i < side_tables.size(); ++i) {
        if (side_tables[i].type != rec.type) continue;
        if (SqlParams row = side_tables[i].row(rec, seq, recorded_ns); !row.empty()) side[i].Add(std::move(row));
      }
    }
  }
  PARAAT_RETURN_IF_ERROR(batches.Write(c));
  for (const TableRows& rows : side) PARAAT_RETURN_IF_ERROR(rows.Write(c));
  if (seq == head.seq) return absl::OkStatus();
  std::vector<std::string> columns;
  for (const SqlColumn& col : tables::kEvidence.columns) columns.push_back(col.name);
  PARAAT_RETURN_IF_ERROR(c.Append(tables::kEvidence.table, columns, evidence));
  PARAAT_RETURN_IF_ERROR(WriteTreeNodes(c, nodes, tree_.frontier().size()));
  return c
      .Run("UPDATE chain SET head_seq = $1, head_hash = $2, head_recorded_ns = $3 WHERE id = 1",
           {SqlValue::Seq(seq), SqlValue::Bytes(DigestBytes(hash)), SqlValue::Int(recorded_ns)})
      .status();
}

absl::Status SqlStore::SaveCheckpoint(const std::vector<SourceCheckpoint>& sources, uint64_t through_seq) {
  TableRows rows(tables::kSourceLatest);
  for (const SourceCheckpoint& s : sources) {
    rows.Add({SqlValue::Text(s.source), SqlValue::Seq(s.latest_seq), SqlValue::Seq(s.conclusive_seq),
              SqlValue::Seq(s.ok_seq), SqlValue::Int(s.received_ns)});
  }
  TableRows checkpoint(tables::kCheckpoint);
  checkpoint.Add({SqlValue::Int32(1), SqlValue::Seq(through_seq)});
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  return InWriteTransaction(*c, [&]() -> absl::Status {
    PARAAT_RETURN_IF_ERROR(rows.Write(*c));
    return checkpoint.Write(*c);
  });
}

absl::Status SqlStore::UpsertAgent(const AgentRow& a) {
  TableRows row(tables::kAgents);
  row.Add({SqlValue::Text(a.agent_id), SqlValue::Text(a.version), SqlValue::Text(a.hostname),
           SqlValue::Int(a.first_seen_ns), SqlValue::Int(a.last_seen_ns)});
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  return row.Write(*c);
}

absl::Status SqlStore::PutAttachment(const std::string& sha256, const std::string& content) {
  TableRows row(tables::kAttachments);
  row.Add({SqlValue::Text(sha256), SqlValue::Seq(content.size()), SqlValue::Bytes(content)});
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  return row.Write(*c);
}

absl::StatusOr<uint64_t> SqlStore::Prune(absl::Time before, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  uint64_t removed = 0;
  uint64_t last_pruned = 0;
  std::string anchor_hash;
  PARAAT_RETURN_IF_ERROR(InWriteTransaction(*c, [&]() -> absl::Status {
    PARAAT_RETURN_IF_ERROR(ReadHead(*c, backend_->dialect().lock_row).status());  // no commit in between
    PARAAT_ASSIGN_OR_RETURN(uint64_t first_kept, FirstSeqRecordedAtOrAfter(*c, ToUnixNs(before)));
    if (first_kept <= 1) return absl::OkStatus();
    const SqlParams through = {SqlValue::Seq(first_kept - 1)};
    PARAAT_ASSIGN_OR_RETURN(std::optional<std::string> hash,
                            QueryText(*c, "SELECT hash FROM evidence WHERE seq = $1", through));
    if (!hash) return absl::OkStatus();  // already pruned through here
    last_pruned = first_kept - 1;
    anchor_hash = *std::move(hash);
    PARAAT_ASSIGN_OR_RETURN(int64_t deleted, c->Run("DELETE FROM evidence WHERE seq <= $1", through));
    removed = static_cast<uint64_t>(deleted);
    PARAAT_RETURN_IF_ERROR(c->Run("DELETE FROM exercises WHERE seq <= $1", through).status());
    PARAAT_RETURN_IF_ERROR(c->Run("DELETE FROM history WHERE seq <= $1", through).status());
    PARAAT_RETURN_IF_ERROR(PruneTree(*c, last_pruned));
    PARAAT_RETURN_IF_ERROR(
        c->Run("DELETE FROM batches WHERE stored_ns < $1", {SqlValue::Int(ToUnixNs(before))}).status());
    return c
        ->Run("UPDATE chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1",
              {SqlValue::Seq(last_pruned), SqlValue::Bytes(anchor_hash)})
        .status();
  }));
  if (last_pruned == 0) return 0;
  // The prune itself is evidence.
  WriteGroup group = PruneRecord(last_pruned, anchor_hash, before, removed);
  std::vector<WriteGroup*> groups{&group};
  PARAAT_RETURN_IF_ERROR(CommitLocked(groups, now));
  return removed;
}

absl::Status SqlStore::Ping() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  return c->Exec("SELECT 1");
}

absl::Status SqlStore::ForEachRow(const std::string& sql, const SqlParams& params, const SqlRowFn& row) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  return r.conn().Run(sql, params, row).status();
}

absl::Status SqlStore::WithReader(const std::function<absl::Status(SqlConnection&)>& fn) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  return fn(r.conn());
}

absl::StatusOr<uint64_t> SqlStore::LockHead(SqlConnection& c) {
  PARAAT_ASSIGN_OR_RETURN(const ChainHead head, ReadHead(c, backend_->dialect().lock_row));
  return head.seq;
}

absl::StatusOr<std::vector<SourceCheckpoint>> SqlStore::LoadCheckpoint(uint64_t* through_seq) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  PARAAT_ASSIGN_OR_RETURN(std::optional<int64_t> through,
                          QueryInt(r.conn(), "SELECT through_seq FROM checkpoint WHERE id = 1"));
  *through_seq = through ? static_cast<uint64_t>(*through) : 0;
  std::vector<SourceCheckpoint> out;
  PARAAT_RETURN_IF_ERROR(r.conn()
                             .Run("SELECT source, latest_seq, conclusive_seq, ok_seq, received_ns FROM source_latest",
                                  {},
                                  [&](const SqlRow& q) {
                                    out.push_back(SourceCheckpoint{q.Text(0), q.Seq(1), q.Seq(2), q.Seq(3), q.Int(4)});
                                    return true;
                                  })
                             .status());
  return out;
}

absl::StatusOr<std::vector<PlanStateRow>> SqlStore::LoadPlanStates() {
  std::vector<PlanStateRow> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow("SELECT plan_id, state, since_ns, seq FROM plan_state", {}, [&](const SqlRow& q) {
    out.push_back(PlanStateRow{q.Text(0), static_cast<int>(q.Int(1)), q.Int(2), q.Seq(3)});
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqlStore::LoadPlanVersions() {
  std::vector<std::pair<std::string, std::string>> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow("SELECT plan_id, sha256 FROM plan_version", {}, [&](const SqlRow& q) {
    out.emplace_back(q.Text(0), q.Text(1));
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<uint64_t>> SqlStore::ExerciseSeqs() {
  std::vector<uint64_t> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow("SELECT seq FROM exercises ORDER BY seq", {}, [&](const SqlRow& q) {
    out.push_back(q.Seq(0));
    return true;
  }));
  return out;
}

absl::StatusOr<std::vector<HistoryEntry>> SqlStore::History(const std::string& subject, uint64_t from_seq,
                                                            size_t limit) {
  std::vector<HistoryEntry> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow(
      "SELECT seq, previous_point_ns FROM history WHERE subject = $1 AND seq >= $2 ORDER BY seq DESC LIMIT $3",
      {SqlValue::Text(subject), SqlValue::Seq(from_seq), SqlValue::Seq(limit)}, [&](const SqlRow& q) {
        out.push_back(HistoryEntry{q.Seq(0), q.Int(1)});
        return true;
      }));
  std::reverse(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<AgentRow>> SqlStore::LoadAgents() {
  std::vector<AgentRow> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow("SELECT agent_id, version, hostname, first_seen_ns, last_seen_ns FROM agents", {},
                                    [&](const SqlRow& q) {
                                      out.push_back(AgentRow{q.Text(0), q.Text(1), q.Text(2), q.Int(3), q.Int(4)});
                                      return true;
                                    }));
  return out;
}

absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> SqlStore::StoredBatchesIn(
    const std::string& agent_id, uint64_t spool_epoch, const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  for (const auto& [first, last] : ranges) {
    PARAAT_RETURN_IF_ERROR(
        r.conn()
            .Run("SELECT sequence, first_seq FROM batches WHERE agent_id = $1 AND epoch = $2 AND "
                 "sequence >= $3 AND sequence <= $4 ORDER BY sequence",
                 {SqlValue::Text(agent_id), SqlValue::Seq(spool_epoch), SqlValue::Seq(first), SqlValue::Seq(last)},
                 [&](const SqlRow& q) {
                   out.emplace_back(q.Seq(0), q.Seq(1));
                   return true;
                 })
            .status());
  }
  return out;
}

absl::StatusOr<std::vector<StoredRecord>> SqlStore::Read(const std::vector<uint64_t>& seqs) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  std::map<uint64_t, StoredRecord> found;
  SqlParams params;
  for (size_t i = 0; i < seqs.size(); i += kRowsPerStatement) {
    const size_t n = std::min(kRowsPerStatement, seqs.size() - i);
    std::string sql = kSelectRecords + " WHERE seq IN (";
    params.clear();
    for (size_t j = 0; j < n; ++j) {
      absl::StrAppend(&sql, j ? ", $" : "$", j + 1);
      params.push_back(SqlValue::Int(ClampSeq(seqs[i + j])));
    }
    sql.push_back(')');
    PARAAT_RETURN_IF_ERROR(r.conn()
                               .Run(sql, params,
                                    [&](const SqlRow& q) {
                                      ToRecord(q, &found[q.Seq(0)]);
                                      return true;
                                    })
                               .status());
  }
  std::vector<StoredRecord> out;  // in the order asked for
  out.reserve(seqs.size());
  for (uint64_t seq : seqs) {
    if (auto it = found.find(seq); it != found.end()) out.push_back(it->second);
  }
  return out;
}

absl::Status SqlStore::Scan(uint64_t from_seq, uint64_t to_seq, const std::function<bool(const StoredRecord&)>& fn) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  const std::string sql = absl::StrCat(kSelectRecords, " WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT ", kChunk);
  const int64_t last = ClampSeq(to_seq);
  int64_t next = ClampSeq(from_seq);
  // A chunk is read, then handed out: `fn` may take its time (a slow export client) without
  // holding a statement, a result or a read transaction open.
  std::vector<StoredRecord> chunk(kChunk);
  while (next <= last) {
    size_t rows = 0;
    PARAAT_RETURN_IF_ERROR(r.conn()
                               .Run(sql, {SqlValue::Int(next), SqlValue::Int(last)},
                                    [&](const SqlRow& q) {
                                      ToRecord(q, &chunk[rows++]);
                                      return true;
                                    })
                               .status());
    for (size_t i = 0; i < rows; ++i) {
      if (!fn(chunk[i])) return absl::OkStatus();
    }
    if (rows < static_cast<size_t>(kChunk)) break;
    next = static_cast<int64_t>(chunk[rows - 1].seq) + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqlStore::FirstSeqAtOrAfter(absl::Time t) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  return FirstSeqRecordedAtOrAfter(r.conn(), ToUnixNs(t));
}

absl::StatusOr<StoreStats> SqlStore::Stats() {
  StoreStats s;
  PARAAT_RETURN_IF_ERROR(
      ForEachRow("SELECT head_seq, head_seq - anchor_seq FROM chain WHERE id = 1", {}, [&](const SqlRow& q) {
        s.head_seq = q.Seq(0);
        s.records = q.Seq(1);
        return false;
      }));
  return s;
}

absl::StatusOr<std::string> SqlStore::GetAttachment(const std::string& sha256) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  PARAAT_ASSIGN_OR_RETURN(
      std::optional<std::string> content,
      QueryText(r.conn(), "SELECT content FROM attachments WHERE sha256 = $1", {SqlValue::Text(sha256)}));
  if (!content) return absl::NotFoundError(absl::StrCat("no attachment with digest ", sha256));
  return *std::move(content);
}

absl::StatusOr<paraat::v1::ChainVerification> SqlStore::Verify(const std::function<void(uint64_t)>& progress) {
  PARAAT_ASSIGN_OR_RETURN(Lease r, Reader());
  SqlConnection& c = r.conn();
  // One snapshot: the chain table and the records are seen at the same moment.
  PARAAT_RETURN_IF_ERROR(backend_->BeginSnapshot(c));
  absl::StatusOr<paraat::v1::ChainVerification> out = [&]() -> absl::StatusOr<paraat::v1::ChainVerification> {
    uint64_t head_seq = 0, anchor_seq = 0;
    std::string head_hash, anchor_hash;
    bool found = false;
    PARAAT_RETURN_IF_ERROR(
        c.Run("SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM chain WHERE id = 1", {}, [&](const SqlRow& q) {
           found = true;
           head_seq = q.Seq(0);
           head_hash = q.Text(1);
           anchor_seq = q.Seq(2);
           anchor_hash = q.Text(3);
           return false;
         }).status());
    if (!found) return absl::DataLossError("the chain table is empty");
    PARAAT_ASSIGN_OR_RETURN(const Digest anchor, ToDigest(anchor_hash, "the chain anchor"));
    return VerifyChain(c, anchor_seq, anchor, head_seq, head_hash, progress);
  }();
  (void)c.Exec("COMMIT");  // ends the read transaction
  return out;
}

absl::StatusOr<paraat::v1::ChainVerification> SqlStore::VerifyChain(SqlConnection& c, uint64_t anchor_seq,
                                                                    const Digest& anchor, uint64_t head_seq,
                                                                    const std::string& head_hash,
                                                                    const std::function<void(uint64_t)>& progress) {
  // Each record's hash covers the stored hash of the one before, so the chain can be checked in
  // two halves at once: the second starts from the stored hash at the middle, which the first
  // must end on. Halves the time on two cores (bench/RESULTS.md).
  const uint64_t mid = anchor_seq + (head_seq - anchor_seq) / 2;
  std::optional<ChainVerifier> second;
  std::string mid_hash;
  if (head_seq - anchor_seq >= kParallelFrom) {
    PARAAT_RETURN_IF_ERROR(
        c.Run("SELECT hash, recorded_ns FROM evidence WHERE seq = $1", {SqlValue::Seq(mid)}, [&](const SqlRow& q) {
           absl::StatusOr<Digest> d = ToDigest(q.Bytes(0), "a record's hash");
           if (d.ok()) {
             mid_hash = q.Text(0);
             second.emplace(mid, *d, q.Int(1));
           }
           return false;
         }).status());
  }
  paraat::v1::ChainVerification out;
  if (!second) {
    ChainVerifier v(anchor_seq, anchor);
    PARAAT_RETURN_IF_ERROR(VerifyRange(c, v, anchor_seq, head_seq, progress));
    v.ExpectHead(head_seq, head_hash);
    v.Report(&out);
    return out;
  }
  // The second half reads in the same snapshot where the back-end can share it.
  PARAAT_ASSIGN_OR_RETURN(const std::string snapshot, backend_->ExportSnapshot(c));
  absl::Status second_status;
  std::thread worker([&] {
    absl::StatusOr<Lease> r2 = Reader();
    second_status = r2.ok() ? backend_->JoinSnapshot(r2->conn(), snapshot) : r2.status();
    if (second_status.ok()) {
      second_status = VerifyRange(r2->conn(), *second, mid, head_seq, nullptr);
      (void)r2->conn().Exec("COMMIT");
    }
    second->ExpectHead(head_seq, head_hash);
  });
  ChainVerifier first(anchor_seq, anchor);
  absl::Status first_status = VerifyRange(c, first, anchor_seq, mid, progress);
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
