#include "collector/store/sql_tree.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "collector/store/evidence_chain.h"
#include "collector/store/sql_schema.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

using Type = SqlValue::Type;

// Records read at a time when the tree is extended from the records.
constexpr int kExtendChunk = 5000;
constexpr int kMaxLevel = 63;

const std::vector<std::string> kNodeColumns = {"level", "idx", "hash"};

// Collects the ids a proof asks for and answers with zeros: the first pass of a batch of proofs.
class RecordingReader : public NodeReader {
 public:
  absl::Status ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const override {
    ids_.insert(ids.begin(), ids.end());
    out->assign(ids.size(), Digest{});
    return absl::OkStatus();
  }
  const std::set<NodeId>& ids() const { return ids_; }

 private:
  mutable std::set<NodeId> ids_;
};

}  // namespace

absl::Status SqlNodeReader::ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const {
  std::map<NodeId, Digest> found;
  SqlParams params;
  for (size_t i = 0; i < ids.size(); i += kRowsPerStatement) {
    const size_t n = std::min(kRowsPerStatement, ids.size() - i);
    params.clear();
    for (size_t j = i; j < i + n; ++j) {
      params.insert(params.end(), {SqlValue::Int32(ids[j].level), SqlValue::Seq(ids[j].index)});
    }
    const std::string sql =
        absl::StrCat("SELECT n.level, n.idx, n.hash FROM (VALUES ", ValuesList(n, {Type::kInt32, Type::kInt64}),
                     ") AS v JOIN merkle_nodes n ON n.level = v.column1 AND n.idx = v.column2");
    absl::Status bad;
    PARAAT_RETURN_IF_ERROR(c_.Run(sql, params, [&](const SqlRow& r) {
                               const absl::string_view h = r.Bytes(2);
                               Digest d{};
                               if (h.size() != d.size()) {
                                 bad = absl::DataLossError("a Merkle node hash has the wrong size");
                                 return false;
                               }
                               std::memcpy(d.data(), h.data(), d.size());
                               found[NodeId{static_cast<int>(r.Int(0)), r.Seq(1)}] = d;
                               return true;
                             }).status());
    PARAAT_RETURN_IF_ERROR(bad);
  }
  out->clear();
  out->reserve(ids.size());
  for (const NodeId& id : ids) {
    auto it = found.find(id);
    if (it == found.end()) return absl::NotFoundError(absl::StrCat("Merkle node ", id.ToString(), " is not stored"));
    out->push_back(it->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<TreeRow> ReadTreeRow(SqlConnection& c) {
  std::optional<TreeRow> row;
  PARAAT_RETURN_IF_ERROR(c.Run("SELECT first_seq, size FROM merkle_tree WHERE id = 1", {}, [&](const SqlRow& r) {
                            row = TreeRow{r.Seq(0), r.Seq(1)};
                            return false;
                          }).status());
  if (!row) return absl::DataLossError("the merkle_tree table is empty");
  return *row;
}

absl::Status WriteTreeNodes(SqlConnection& c, absl::Span<const Node> nodes, uint64_t size) {
  if (!nodes.empty()) {
    SqlParams params;
    params.reserve(nodes.size() * 3);
    for (const Node& n : nodes) {
      params.insert(params.end(),
                    {SqlValue::Int32(n.id.level), SqlValue::Seq(n.id.index), SqlValue::Bytes(DigestBytes(n.hash))});
    }
    PARAAT_RETURN_IF_ERROR(c.Append("merkle_nodes", kNodeColumns, params));
  }
  return c.Run("UPDATE merkle_tree SET size = $1 WHERE id = 1", {SqlValue::Seq(size)}).status();
}

absl::Status TreeWriter::Sync(SqlConnection& c, uint64_t head_seq, uint64_t limit, bool* done) {
  PARAAT_ASSIGN_OR_RETURN(row_, ReadTreeRow(c));
  const uint64_t want = head_seq + 1 >= row_.first_seq ? head_seq + 1 - row_.first_seq : 0;
  if (row_.size > want) {
    LogError("the evidence store's Merkle tree holds ", row_.size, " records but the store only ", want,
             ": records were deleted behind the collector's back; an auditor's consistency check "
             "(paraatctl evidence verify --against) shows which");
    PARAAT_RETURN_IF_ERROR(Cut(c, want));
  }
  if (!frontier_ || frontier_->size() != row_.size) {
    PARAAT_ASSIGN_OR_RETURN(CompactRange loaded, CompactRange::Load(row_.size, SqlNodeReader(c)));
    frontier_ = std::move(loaded);
  }
  const uint64_t to = row_.size + std::min(limit, want - row_.size);
  if (row_.size < to) PARAAT_RETURN_IF_ERROR(Extend(c, to));
  if (done != nullptr) *done = row_.size == want;
  return absl::OkStatus();
}

absl::Status TreeWriter::Cut(SqlConnection& c, uint64_t size) {
  // Node (level, idx) covers leaves below `size` when idx < size >> level.
  for (int level = 0; level <= kMaxLevel; ++level) {
    PARAAT_RETURN_IF_ERROR(c.Run("DELETE FROM merkle_nodes WHERE level = $1 AND idx >= $2",
                                 {SqlValue::Int32(level), SqlValue::Seq(size >> level)})
                               .status());
  }
  frontier_.reset();
  row_.size = size;
  return WriteTreeNodes(c, {}, size);
}

absl::Status TreeWriter::Extend(SqlConnection& c, uint64_t to_size) {
  const std::string sql =
      "SELECT seq, recorded_ns, type, payload FROM evidence WHERE seq >= $1 AND seq < $2 ORDER BY seq";
  std::vector<Node> nodes;
  while (row_.size < to_size) {
    const uint64_t from_seq = row_.first_seq + row_.size;
    const uint64_t end_seq = std::min(row_.first_seq + to_size, from_seq + kExtendChunk);
    uint64_t next = from_seq;
    // A record that is missing (deleted) gets empty leaf data: the tree keeps its shape, and the
    // auditor's check names the record.
    auto missing_until = [&](uint64_t seq) {
      for (; next < seq; ++next) frontier_->Append(hasher_.HashLeaf(""), hasher_, &nodes);
    };
    nodes.clear();
    PARAAT_RETURN_IF_ERROR(c.Run(sql, {SqlValue::Seq(from_seq), SqlValue::Seq(end_seq)}, [&](const SqlRow& r) {
                              missing_until(r.Seq(0));
                              const std::string leaf = CanonicalRecordBytes(
                                  r.Seq(0), r.Int(1), static_cast<RecordType>(r.Int(2)), r.Bytes(3));
                              frontier_->Append(hasher_.HashLeaf(leaf), hasher_, &nodes);
                              ++next;
                              return true;
                            }).status());
    missing_until(end_seq);
    row_.size = end_seq - row_.first_seq;
    PARAAT_RETURN_IF_ERROR(WriteTreeNodes(c, nodes, row_.size));
  }
  return absl::OkStatus();
}

absl::Status PruneTreeNodes(SqlConnection& c, uint64_t cut, absl::Span<const uint64_t> sizes) {
  const std::vector<NodeId> keep = NodesToKeepAfterPrune(cut, sizes);
  std::map<int, std::vector<uint64_t>> kept_at;
  for (const NodeId& id : keep) kept_at[id.level].push_back(id.index);
  for (int level = 0; level <= kMaxLevel && (cut >> level) > 0; ++level) {
    // Nodes entirely left of the cut: idx < cut >> level. Deleted in the ranges between kept ones.
    std::vector<uint64_t>& kept = kept_at[level];
    std::sort(kept.begin(), kept.end());
    uint64_t from = 0;
    kept.push_back(cut >> level);
    for (uint64_t k : kept) {
      if (k > from) {
        PARAAT_RETURN_IF_ERROR(c.Run("DELETE FROM merkle_nodes WHERE level = $1 AND idx >= $2 AND idx < $3",
                                     {SqlValue::Int32(level), SqlValue::Seq(from), SqlValue::Seq(k)})
                                   .status());
      }
      from = k + 1;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<Digest>>> InclusionProofsFrom(SqlConnection& c,
                                                                     absl::Span<const uint64_t> indexes,
                                                                     uint64_t size) {
  RecordingReader recording;
  for (uint64_t i : indexes) PARAAT_RETURN_IF_ERROR(InclusionProof(i, size, recording).status());
  const std::vector<NodeId> ids(recording.ids().begin(), recording.ids().end());
  std::vector<Digest> hashes;
  PARAAT_RETURN_IF_ERROR(SqlNodeReader(c).ReadNodes(ids, &hashes));
  MemoryNodeStore nodes;
  for (size_t i = 0; i < ids.size(); ++i) nodes.Put(Node{ids[i], hashes[i]});
  std::vector<std::vector<Digest>> out;
  out.reserve(indexes.size());
  for (uint64_t i : indexes) {
    PARAAT_ASSIGN_OR_RETURN(std::vector<Digest> proof, InclusionProof(i, size, nodes));
    out.push_back(std::move(proof));
  }
  return out;
}

}  // namespace paraat
