// The Merkle tree over the evidence records, kept in SQL beside them (docs/evidence-format.md):
// leaf i is the record with seq first_seq + i, its leaf data the record's canonical bytes
// (CanonicalRecordBytes, what the chain hashes); the perfect nodes (common/merkle.h) are rows of
// merkle_nodes, written once each in the write transaction that commits their records; the
// tree's size is the merkle_tree row, updated in the same transaction, so the tree always holds
// exactly the committed records, on every back-end and with several writers.
//
// first_seq is 1 for a store created with the tree; a store that was pruned before it had one
// starts its tree after the anchor. Start-up (SqlStore::Open) brings a tree that is behind its
// records up to date (a store from before the tree, or written by an older collector) and cuts
// one that is ahead (records deleted behind the collector's back: the auditor's consistency
// check is what shows that; the collector carries on with the records it has).
//
// Thread-safety: none; the functions run on the connection they are given.
#ifndef PARAAT_COLLECTOR_STORE_SQL_TREE_H_
#define PARAAT_COLLECTOR_STORE_SQL_TREE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "collector/store/sql.h"
#include "common/merkle.h"

namespace paraat {

// Reads perfect nodes from merkle_nodes on one connection.
class SqlNodeReader : public NodeReader {
 public:
  explicit SqlNodeReader(SqlConnection& c) : c_(c) {}
  [[nodiscard]] absl::Status ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const override;

 private:
  SqlConnection& c_;
};

struct TreeRow {
  uint64_t first_seq = 1;  // the seq of leaf 0
  uint64_t size = 0;
};

// The merkle_tree row (DataLoss when it is missing).
[[nodiscard]] absl::StatusOr<TreeRow> ReadTreeRow(SqlConnection& c);
// Writes the perfect nodes `nodes` and the new size, in the caller's transaction.
[[nodiscard]] absl::Status WriteTreeNodes(SqlConnection& c, absl::Span<const Node> nodes, uint64_t size);

// The in-memory frontier of the stored tree, for the writer: reloaded from the store whenever
// another writer (or a rolled-back transaction) moved the tree.
class TreeWriter {
 public:
  // Makes the stored tree hold the records first_seq..head_seq: extends it from the records
  // (at most `limit` of them; *done false when more remain) or cuts it. In a write transaction.
  [[nodiscard]] absl::Status Sync(SqlConnection& c, uint64_t head_seq, uint64_t limit = UINT64_MAX,
                                  bool* done = nullptr);
  // The frontier, current with the stored tree (after Sync).
  CompactRange& frontier() { return *frontier_; }
  const TreeRow& row() const { return row_; }
  MerkleHasher& hasher() { return hasher_; }
  // Forgets the frontier: the transaction that moved it was rolled back.
  void Reset() { frontier_.reset(); }

 private:
  [[nodiscard]] absl::Status Cut(SqlConnection& c, uint64_t size);
  [[nodiscard]] absl::Status Extend(SqlConnection& c, uint64_t to_size);

  MerkleHasher hasher_;
  TreeRow row_;
  std::optional<CompactRange> frontier_;
};

// Deletes the perfect nodes a prune of leaves [0, cut) leaves unneeded (NodesToKeepAfterPrune:
// proofs from each of `sizes`, the signed checkpoints' tree sizes, keep working).
[[nodiscard]] absl::Status PruneTreeNodes(SqlConnection& c, uint64_t cut, absl::Span<const uint64_t> sizes);

// Inclusion proofs of `indexes` in the tree of `size`, reading the nodes they need in one go.
[[nodiscard]] absl::StatusOr<std::vector<std::vector<Digest>>> InclusionProofsFrom(SqlConnection& c,
                                                                                   absl::Span<const uint64_t> indexes,
                                                                                   uint64_t size);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_STORE_SQL_TREE_H_
