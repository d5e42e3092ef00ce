#include "collector/store/sql_schema.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

using Type = SqlValue::Type;

// Never edit a migration once released: databases out there are at its version. Change the
// schema with a new one at the end.
const char* const kMigrations[] = {
    // 1: the evidence chain and its indexes.
    R"sql(
    CREATE TABLE evidence (
      seq         {i64} PRIMARY KEY,
      recorded_ns {i64} NOT NULL,
      type        INTEGER NOT NULL,
      payload     {bytes} NOT NULL,
      hash        {bytes} NOT NULL
    );
    CREATE TABLE chain (
      id               INTEGER PRIMARY KEY CHECK (id = 1),
      head_seq         {i64} NOT NULL,
      head_hash        {bytes} NOT NULL,
      head_recorded_ns {i64} NOT NULL,
      anchor_seq       {i64} NOT NULL,
      anchor_hash      {bytes} NOT NULL
    );
    CREATE TABLE batches (
      agent_id  TEXT NOT NULL,
      epoch     {i64} NOT NULL,
      sequence  {i64} NOT NULL,
      stored_ns {i64} NOT NULL,
      first_seq {i64} NOT NULL,
      PRIMARY KEY (agent_id, epoch, sequence)
    ){keyed};
    CREATE TABLE source_latest (
      source         TEXT PRIMARY KEY,
      latest_seq     {i64} NOT NULL,
      conclusive_seq {i64} NOT NULL,
      ok_seq         {i64} NOT NULL,
      received_ns    {i64} NOT NULL
    ){keyed};
    CREATE TABLE checkpoint (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      through_seq  {i64} NOT NULL
    );
    CREATE TABLE exercises (
      seq     {i64} PRIMARY KEY,
      plan_id TEXT NOT NULL
    );
    CREATE TABLE plan_state (
      plan_id  TEXT PRIMARY KEY,
      state    INTEGER NOT NULL,
      since_ns {i64} NOT NULL,
      seq      {i64} NOT NULL
    ){keyed};
    CREATE TABLE plan_version (
      plan_id TEXT PRIMARY KEY,
      sha256  TEXT NOT NULL,
      seq     {i64} NOT NULL
    ){keyed};
    CREATE TABLE attachments (
      sha256  TEXT PRIMARY KEY,
      size    {i64} NOT NULL,
      content {bytes} NOT NULL
    ){keyed};
    CREATE TABLE agents (
      agent_id      TEXT PRIMARY KEY,
      version       TEXT NOT NULL,
      hostname      TEXT NOT NULL,
      first_seen_ns {i64} NOT NULL,
      last_seen_ns  {i64} NOT NULL
    ){keyed};
    )sql",
    // 2: each plan's and each source's history, for the web console's plan page without a scan
    // of the chain: a plan's own records (transitions, exercises, plan changes) and the results
    // of a source that changed what it says (collector/ingest/history_marker.h), with the
    // recovery point the source reported before (0: none). Kept from this version on.
    R"sql(
    CREATE TABLE history (
      subject           TEXT NOT NULL,
      seq               {i64} NOT NULL,
      previous_point_ns {i64} NOT NULL,
      PRIMARY KEY (subject, seq)
    ){keyed};
    CREATE INDEX history_seq ON history (seq);
    )sql",
    // 3: the Merkle tree over the records (sql_tree.h): its size, its perfect nodes, and the
    // signed checkpoints of it (also records of their own) with their RFC 3161 time stamps. The
    // tree of an existing store is built from its records at start-up, after its anchor.
    R"sql(
    CREATE TABLE merkle_tree (
      id        INTEGER PRIMARY KEY CHECK (id = 1),
      first_seq {i64} NOT NULL,
      size      {i64} NOT NULL
    );
    CREATE TABLE merkle_nodes (
      level INTEGER NOT NULL,
      idx   {i64} NOT NULL,
      hash  {bytes} NOT NULL,
      PRIMARY KEY (level, idx)
    ){keyed};
    CREATE TABLE tree_checkpoints (
      seq             {i64} PRIMARY KEY,
      tree_size       {i64} NOT NULL,
      signed_ns       {i64} NOT NULL,
      note            TEXT NOT NULL,
      signature       {bytes} NOT NULL,
      key_id          TEXT NOT NULL,
      timestamp_token {bytes}
    );
    )sql",
};

const TableWrite kExercises{"exercises", {{"seq", Type::kInt64}, {"plan_id", Type::kText}}, {}, {}};
const TableWrite kPlanState{
    "plan_state",
    {{"plan_id", Type::kText}, {"state", Type::kInt32}, {"since_ns", Type::kInt64}, {"seq", Type::kInt64}},
    {"plan_id"},
    {"state", "since_ns", "seq"}};
const TableWrite kHistory{
    "history", {{"subject", Type::kText}, {"seq", Type::kInt64}, {"previous_point_ns", Type::kInt64}}, {}, {}};
const TableWrite kPlanVersion{"plan_version",
                              {{"plan_id", Type::kText}, {"sha256", Type::kText}, {"seq", Type::kInt64}},
                              {"plan_id"},
                              {"sha256", "seq"}};

SqlParams HistoryRow(const PendingRecord& r, uint64_t seq, int64_t) {
  const std::string& subject = r.type == RecordType::kResult ? r.history : r.plan_id;
  if (subject.empty()) return {};
  return {SqlValue::Text(subject), SqlValue::Seq(seq), SqlValue::Int(r.history_previous_point_ns)};
}

SqlParams SampleRow(const PendingRecord& r, uint64_t seq, int64_t) {
  if (r.samples.empty()) return {};
  return {SqlValue::Text(r.samples), SqlValue::Seq(seq), SqlValue::Int(0)};
}

SqlParams PlanRecordRow(const PendingRecord& r, uint64_t seq, int64_t) {
  return {SqlValue::Seq(seq), SqlValue::Text(r.plan_id)};
}

// Appends a value's key form: rows with equal keys have equal key strings.
void AppendKey(std::string* key, const SqlValue& v) {
  if (v.type == Type::kText || v.type == Type::kBytes) {
    absl::StrAppend(key, v.s.size(), ":", v.s);
  } else {
    absl::StrAppend(key, v.i, ";");
  }
}

}  // namespace

namespace tables {
const TableWrite kEvidence{"evidence",
                           {{"seq", Type::kInt64},
                            {"recorded_ns", Type::kInt64},
                            {"type", Type::kInt32},
                            {"payload", Type::kBytes},
                            {"hash", Type::kBytes}},
                           {},
                           {}};
const TableWrite kBatches{"batches",
                          {{"agent_id", Type::kText},
                           {"epoch", Type::kInt64},
                           {"sequence", Type::kInt64},
                           {"stored_ns", Type::kInt64},
                           {"first_seq", Type::kInt64}},
                          {},
                          {}};
const TableWrite kSourceLatest{"source_latest",
                               {{"source", Type::kText},
                                {"latest_seq", Type::kInt64},
                                {"conclusive_seq", Type::kInt64},
                                {"ok_seq", Type::kInt64},
                                {"received_ns", Type::kInt64}},
                               {"source"},
                               {"latest_seq", "conclusive_seq", "ok_seq", "received_ns"}};
const TableWrite kCheckpoint{
    "checkpoint", {{"id", Type::kInt32}, {"through_seq", Type::kInt64}}, {"id"}, {"through_seq"}};
const TableWrite kAgents{"agents",
                         {{"agent_id", Type::kText},
                          {"version", Type::kText},
                          {"hostname", Type::kText},
                          {"first_seen_ns", Type::kInt64},
                          {"last_seen_ns", Type::kInt64}},
                         {"agent_id"},
                         {"version", "hostname", "last_seen_ns"}};  // first seen stays
const TableWrite kAttachments{"attachments",
                              {{"sha256", Type::kText}, {"size", Type::kInt64}, {"content", Type::kBytes}},
                              {"sha256"},
                              {}};  // the same digest is the same bytes
}  // namespace tables

std::vector<std::string> Migrations(const SqlDialect& d) {
  std::vector<std::string> out;
  for (const char* m : kMigrations) {
    out.push_back(absl::StrReplaceAll(m, {{"{i64}", d.int64}, {"{bytes}", d.bytes}, {"{keyed}", d.keyed}}));
  }
  return out;
}

const std::vector<SideTable>& SideTables() {
  static const std::vector<SideTable>* side = new std::vector<SideTable>{
      // Start-up folds every exercise back in, and every review and incident record (the table
      // holds the seqs of what people recorded about a plan).
      {RecordType::kExercise, &kExercises, &PlanRecordRow},
      {RecordType::kReview, &kExercises, &PlanRecordRow},
      {RecordType::kIncident, &kExercises, &PlanRecordRow},
      // Each plan's last state, so a restart records no false transitions.
      {RecordType::kTransition, &kPlanState,
       [](const PendingRecord& r, uint64_t seq, int64_t recorded_ns) -> SqlParams {
         return {SqlValue::Text(r.plan_id), SqlValue::Int32(r.state), SqlValue::Int(recorded_ns), SqlValue::Seq(seq)};
       }},
      // Each plan file's last recorded digest, so a restart records only real changes.
      {RecordType::kPlanChange, &kPlanVersion,
       [](const PendingRecord& r, uint64_t seq, int64_t) -> SqlParams {
         return {SqlValue::Text(r.plan_id), SqlValue::Text(r.sha256), SqlValue::Seq(seq)};
       }},
      // A plan's own records, and the results that changed what their source says.
      {RecordType::kTransition, &kHistory, &HistoryRow},
      {RecordType::kExercise, &kHistory, &HistoryRow},
      {RecordType::kReview, &kHistory, &HistoryRow},
      {RecordType::kIncident, &kHistory, &HistoryRow},
      {RecordType::kPlanChange, &kHistory, &HistoryRow},
      {RecordType::kResult, &kHistory, &HistoryRow},
      // The results that added a backup or restore sample to their source's history.
      {RecordType::kResult, &kHistory, &SampleRow},
  };
  return *side;
}

std::string ValuesList(size_t rows, const std::vector<SqlValue::Type>& types, int first) {
  std::string out;
  int n = first;
  for (size_t r = 0; r < rows; ++r) {
    out.append(r == 0 ? "(" : ", (");
    for (size_t c = 0; c < types.size(); ++c) {
      if (c > 0) out.append(", ");
      switch (types[c]) {
        case Type::kInt64:
          absl::StrAppend(&out, "CAST($", n++, " AS BIGINT)");
          break;
        case Type::kInt32:
          absl::StrAppend(&out, "CAST($", n++, " AS INTEGER)");
          break;
        case Type::kText:
          absl::StrAppend(&out, "CAST($", n++, " AS TEXT)");
          break;
        case Type::kBytes:
          absl::StrAppend(&out, "$", n++);
          break;
      }
    }
    out.push_back(')');
  }
  return out;
}

std::string InsertSql(const TableWrite& t, size_t rows) {
  std::vector<std::string> names;
  std::vector<SqlValue::Type> types;
  for (const SqlColumn& c : t.columns) {
    names.push_back(c.name);
    types.push_back(c.type);
  }
  std::string sql =
      absl::StrCat("INSERT INTO ", t.table, " (", absl::StrJoin(names, ", "), ") VALUES ", ValuesList(rows, types));
  if (t.key.empty()) return sql;
  absl::StrAppend(&sql, " ON CONFLICT (", absl::StrJoin(t.key, ", "), ") DO ");
  if (t.update.empty()) return sql + "NOTHING";
  std::vector<std::string> sets;
  for (const char* u : t.update) sets.push_back(absl::StrCat(u, " = excluded.", u));
  return absl::StrCat(sql, "UPDATE SET ", absl::StrJoin(sets, ", "));
}

TableRows::TableRows(const TableWrite& table) : table_(table) {
  for (const char* k : table_.key) {
    for (size_t i = 0; i < table_.columns.size(); ++i) {
      if (std::strcmp(table_.columns[i].name, k) == 0) key_columns_.push_back(i);
    }
  }
}

void TableRows::Add(SqlParams row) {
  if (key_columns_.empty()) {
    rows_.push_back(std::move(row));
    return;
  }
  std::string key;
  for (size_t i : key_columns_) AppendKey(&key, row[i]);
  auto [it, inserted] = by_key_.try_emplace(std::move(key), rows_.size());
  if (inserted) {
    rows_.push_back(std::move(row));
  } else {
    rows_[it->second] = std::move(row);
  }
}

absl::Status TableRows::Write(SqlConnection& c) const {
  SqlParams params;
  for (size_t i = 0; i < rows_.size(); i += kRowsPerStatement) {
    const size_t n = std::min(kRowsPerStatement, rows_.size() - i);
    params.clear();
    for (size_t j = i; j < i + n; ++j) params.insert(params.end(), rows_[j].begin(), rows_[j].end());
    PARAAT_RETURN_IF_ERROR(c.Run(InsertSql(table_, n), params).status());
  }
  return absl::OkStatus();
}

}  // namespace paraat
