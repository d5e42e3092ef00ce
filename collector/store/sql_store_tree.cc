// SqlStore's Merkle tree and signed checkpoints (sql_tree.h has the tree's storage).
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "collector/store/sql_store.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {
namespace {

// Records added to the tree in one write transaction when start-up builds it from the records.
constexpr uint64_t kSyncChunk = 50000;

constexpr char kSelectCheckpoints[] =
    "SELECT seq, tree_size, signed_ns, note, signature, key_id, timestamp_token FROM tree_checkpoints";

TreeCheckpoint ToCheckpoint(const SqlRow& r) {
  TreeCheckpoint c;
  c.seq = r.Seq(0);
  c.tree_size = r.Seq(1);
  c.signed_ns = r.Int(2);
  c.note = r.Text(3);
  c.signature = r.Text(4);
  c.key_id = r.Text(5);
  if (!r.IsNull(6)) c.timestamp_token = r.Text(6);
  return c;
}

}  // namespace

absl::Status SqlStore::SyncTree(SqlConnection& c) {
  bool done = false;
  uint64_t rounds = 0;
  while (!done) {
    PARAAT_RETURN_IF_ERROR(InWriteTransaction(c, [&]() -> absl::Status {
      PARAAT_ASSIGN_OR_RETURN(const uint64_t head, LockHead(c));
      return tree_.Sync(c, head, kSyncChunk, &done);
    }));
    if (!done && ++rounds == 1) LogInfo(Describe(), ": building the Merkle tree over the stored records");
  }
  if (rounds > 0) LogInfo(Describe(), ": the Merkle tree holds ", tree_.row().size, " records");
  return absl::OkStatus();
}

absl::Status SqlStore::PruneTree(SqlConnection& c, uint64_t last_pruned) {
  PARAAT_ASSIGN_OR_RETURN(const TreeRow row, ReadTreeRow(c));
  if (last_pruned < row.first_seq) return absl::OkStatus();
  const uint64_t cut = std::min(last_pruned + 1 - row.first_seq, row.size);
  std::vector<uint64_t> sizes;
  PARAAT_RETURN_IF_ERROR(c.Run("SELECT DISTINCT tree_size FROM tree_checkpoints", {}, [&](const SqlRow& r) {
                            sizes.push_back(r.Seq(0));
                            return true;
                          }).status());
  std::sort(sizes.begin(), sizes.end());
  return PruneTreeNodes(c, cut, sizes);
}

absl::StatusOr<TreeHead> SqlStore::Tree() {
  TreeHead head;
  PARAAT_RETURN_IF_ERROR(WithReader([&](SqlConnection& c) -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(const TreeRow row, ReadTreeRow(c));
    PARAAT_ASSIGN_OR_RETURN(head.root, RootAt(row.size, SqlNodeReader(c)));
    head.first_seq = row.first_seq;
    head.size = row.size;
    return absl::OkStatus();
  }));
  return head;
}

absl::StatusOr<TreeCheckpoint> SqlStore::AppendTreeCheckpoint(const TreeSigner& sign, absl::Time now) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  TreeCheckpoint out;
  absl::Status st = InWriteTransaction(*c, [&]() -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(const uint64_t head, LockHead(*c));
    PARAAT_RETURN_IF_ERROR(tree_.Sync(*c, head));
    const uint64_t size = tree_.frontier().size();
    PARAAT_ASSIGN_OR_RETURN(paraat::v1::CheckpointRecord signed_cp,
                            sign(size, tree_.frontier().Root(tree_.hasher()), now));
    paraat::v1::EvidenceRecord rec;
    *rec.mutable_checkpoint() = signed_cp;
    PendingRecord pr;
    pr.type = RecordType::kCheckpoint;
    rec.SerializeToString(&pr.payload);
    WriteGroup group;
    group.records.push_back(std::move(pr));
    std::vector<WriteGroup*> groups{&group};
    PARAAT_RETURN_IF_ERROR(AppendGroups(*c, groups, now));
    out.seq = group.first_seq;
    out.tree_size = size;
    out.signed_ns = ToUnixNs(now);
    out.note = signed_cp.note();
    out.signature = signed_cp.signature();
    out.key_id = signed_cp.key_id();
    return c
        ->Run(
            "INSERT INTO tree_checkpoints (seq, tree_size, signed_ns, note, signature, key_id) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            {SqlValue::Seq(out.seq), SqlValue::Seq(size), SqlValue::Int(out.signed_ns), SqlValue::Text(out.note),
             SqlValue::Bytes(out.signature), SqlValue::Text(out.key_id)})
        .status();
  });
  if (!st.ok()) {
    tree_.Reset();
    return st;
  }
  return out;
}

absl::StatusOr<std::vector<TreeCheckpoint>> SqlStore::TreeCheckpoints() {
  std::vector<TreeCheckpoint> out;
  PARAAT_RETURN_IF_ERROR(ForEachRow(absl::StrCat(kSelectCheckpoints, " ORDER BY seq"), {}, [&](const SqlRow& r) {
    out.push_back(ToCheckpoint(r));
    return true;
  }));
  return out;
}

absl::Status SqlStore::SetTimestampToken(uint64_t seq, const std::string& token) {
  std::lock_guard<std::mutex> lock(writer_mu_);
  PARAAT_ASSIGN_OR_RETURN(SqlConnection * c, backend_->Writer());
  return c
      ->Run("UPDATE tree_checkpoints SET timestamp_token = $1 WHERE seq = $2",
            {SqlValue::Bytes(token), SqlValue::Seq(seq)})
      .status();
}

absl::StatusOr<std::vector<std::vector<Digest>>> SqlStore::InclusionProofs(const std::vector<uint64_t>& indexes,
                                                                           uint64_t size) {
  std::vector<std::vector<Digest>> out;
  PARAAT_RETURN_IF_ERROR(WithReader([&](SqlConnection& c) -> absl::Status {
    PARAAT_ASSIGN_OR_RETURN(out, InclusionProofsFrom(c, indexes, size));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<Digest>> SqlStore::TreeConsistency(uint64_t size1, uint64_t size2, Digest* root1) {
  std::vector<Digest> out;
  PARAAT_RETURN_IF_ERROR(WithReader([&](SqlConnection& c) -> absl::Status {
    const SqlNodeReader nodes(c);
    PARAAT_ASSIGN_OR_RETURN(*root1, RootAt(size1, nodes));
    PARAAT_ASSIGN_OR_RETURN(out, ConsistencyProof(size1, size2, nodes));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace paraat
