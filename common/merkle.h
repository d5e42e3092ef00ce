// A Merkle tree over evidence records, hashed as RFC 9162 (Certificate Transparency 2.0) §2.1
// defines it:
//
//   leaf hash   HashLeaf(d)        = SHA-256(0x00 || d)
//   node hash   HashChildren(l, r) = SHA-256(0x01 || l || r)
//   MTH({})     = SHA-256()        (the empty tree)
//   MTH(D[n])   = HashChildren(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// Storage. A tree of n leaves is kept as the hashes of its *perfect* subtrees: node (level L,
// index i) covers leaves [i * 2^L, (i + 1) * 2^L), level 0 being the leaf hashes themselves.
// Perfect nodes never change once complete, so a store writes each one once, as Append reports
// it, and reads them back through NodeReader. Every other hash (the root at any size, the
// "ephemeral" nodes on the right border of a tree whose size is no power of two) is computed
// from perfect nodes. CompactRange is the in-memory right frontier: the O(log n) perfect nodes
// that cover [0, n), enough to append the next leaf in O(log n) and to compute the root.
//
// Proofs. InclusionProof and ConsistencyProof (RFC 9162 §2.1.3.1, §2.1.4.1) for any tree size up
// to the current one read only the perfect nodes they need, in one ReadNodes call each.
// VerifyInclusion and VerifyConsistency are the algorithms of §2.1.3.2 and §2.1.4.2, step by
// step. BatchInclusionVerifier verifies many inclusion proofs against one tree head with the
// same result as VerifyInclusion on each, hashing each distinct interior node once.
//
// Pruning. When a store deletes the leaves [0, cut), it may delete the perfect nodes entirely
// left of the cut ((i + 1) * 2^L <= cut) except those NodesToKeepAfterPrune(cut, sizes) lists:
// the compact range of [0, cut) (at most 64 nodes), and, for each earlier tree size an auditor
// may hold a checkpoint of (sizes < cut), the nodes a consistency proof from that size needs (at
// most 128 per size). Afterwards, every proof whose leaves and sizes are >= cut, RootAt(size) for
// size >= cut or in `sizes`, and ConsistencyProof(m, n) for m in `sizes` or >= cut and n >= cut
// work as before (merkle_test.cc deletes the rest and checks this).
//
// Errors: proof generation returns the reader's status (NotFound for a node the store does not
// have: pruned, or beyond the tree's size) and InvalidArgument for impossible requests (an index
// >= size, size1 > size2). Verification returns DataLoss for every proof that does not verify,
// malformed or not, with a message saying why.
//
// Thread-safety: the free functions are thread-safe; CompactRange, MerkleHasher,
// MemoryNodeStore and BatchInclusionVerifier are not (use one per thread). A const
// MemoryNodeStore may be read from several threads.
#ifndef PARAAT_COMMON_MERKLE_H_
#define PARAAT_COMMON_MERKLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/sha256.h"

namespace paraat {

// The largest tree this code handles (leaf indexes and sizes are below it).
inline constexpr uint64_t kMaxTreeSize = uint64_t{1} << 62;

// A perfect subtree: covers leaves [index << level, (index + 1) << level).
struct NodeId {
  int level = 0;
  uint64_t index = 0;
  uint64_t begin() const { return index << level; }
  uint64_t end() const { return (index + 1) << level; }
  bool operator==(const NodeId& o) const { return level == o.level && index == o.index; }
  bool operator<(const NodeId& o) const { return level != o.level ? level < o.level : index < o.index; }
  std::string ToString() const;  // "(level 3, index 5)"
};

struct Node {
  NodeId id;
  Digest hash;
};

// SHA-256 with the RFC 9162 prefixes, reusing one OpenSSL context (several times faster than a
// fresh one per hash for inputs this small). Movable.
class MerkleHasher {
 public:
  MerkleHasher() : sha_(std::make_unique<Sha256>()) {}
  Digest HashLeaf(absl::string_view data);
  Digest HashChildren(const Digest& left, const Digest& right);
  static Digest EmptyRoot();  // SHA-256 of nothing: MTH of the empty tree

 private:
  std::unique_ptr<Sha256> sha_;
};

// Reads perfect-node hashes from wherever a store keeps them.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // Replaces *out with the hashes of `ids`, in the same order. NotFound (naming the node) when
  // one is not stored; other errors as the storage reports them.
  [[nodiscard]] virtual absl::Status ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const = 0;
};

// NodeReader over a hash map: for tests, and for building trees in memory.
class MemoryNodeStore : public NodeReader {
 public:
  void Put(const Node& node) { nodes_[Key(node.id)] = node.hash; }
  void PutAll(absl::Span<const Node> nodes) {
    for (const Node& n : nodes) Put(n);
  }
  bool Erase(const NodeId& id) { return nodes_.erase(Key(id)) > 0; }
  bool Has(const NodeId& id) const { return nodes_.count(Key(id)) > 0; }
  size_t size() const { return nodes_.size(); }
  // Every stored node, in no particular order.
  std::vector<NodeId> Ids() const;
  [[nodiscard]] absl::Status ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const override;

 private:
  static uint64_t Key(const NodeId& id) { return (uint64_t(id.level) << 58) ^ id.index; }
  std::unordered_map<uint64_t, Digest> nodes_;
};

// The right frontier of a tree: the perfect nodes covering [0, size), largest first.
class CompactRange {
 public:
  CompactRange() = default;
  // The frontier of a tree of `size` leaves, read from a store (after a restart).
  [[nodiscard]] static absl::StatusOr<CompactRange> Load(uint64_t size, const NodeReader& reader);

  // Appends a leaf hash. Appends to *completed the perfect nodes this completes, the leaf itself
  // (level 0) first and then each new parent: what a store must persist for this leaf.
  void Append(const Digest& leaf_hash, MerkleHasher& hasher, std::vector<Node>* completed);
  uint64_t size() const { return size_; }
  // MTH of the tree so far.
  Digest Root(MerkleHasher& hasher) const;
  // The frontier's nodes, largest (leftmost) first.
  std::vector<Node> Nodes() const;

 private:
  uint64_t size_ = 0;
  std::vector<Digest> hashes_;  // one per set bit of size_, highest bit first
};

// The perfect nodes whose hashes, folded right to left with HashChildren, give MTH of leaves
// [begin, end). Requires begin to be a multiple of the smallest power of two >= end - begin
// (true of every subtree RFC 9162 hashes, and of [0, n)).
std::vector<NodeId> RangeNodes(uint64_t begin, uint64_t end);

// MTH of the tree at `size` (<= the stored tree's size).
[[nodiscard]] absl::StatusOr<Digest> RootAt(uint64_t size, const NodeReader& reader);
// RFC 9162 §2.1.3.1: PATH(index, D[size]), lowest sibling first.
[[nodiscard]] absl::StatusOr<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t size,
                                                                 const NodeReader& reader);
// RFC 9162 §2.1.4.1: PROOF(size1, D[size2]). Empty when size1 == size2 or size1 == 0.
[[nodiscard]] absl::StatusOr<std::vector<Digest>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                                   const NodeReader& reader);

// RFC 9162 §2.1.3.2.
[[nodiscard]] absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Digest& leaf_hash,
                                           absl::Span<const Digest> proof, const Digest& root);
// RFC 9162 §2.1.4.2, with the two cases its algorithm leaves out: size1 == size2 (consistent
// when the roots are equal and the proof is empty) and size1 == 0 (the empty tree is consistent
// with every tree; the proof must be empty).
[[nodiscard]] absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Digest& root1, const Digest& root2,
                                             absl::Span<const Digest> proof);

// Verifies many inclusion proofs against one tree head. Each Verify gives exactly the result
// VerifyInclusion would (it runs the same steps), but remembers, per level, the last interior
// node it computed with both children: a proof whose step combines the same two hashes at the
// same node takes the remembered result instead of hashing again. Proofs fed in leaf order
// (as exports list their records) then cost one leaf hash each plus one hash per distinct
// interior node, about two hashes per record instead of some twenty.
class BatchInclusionVerifier {
 public:
  BatchInclusionVerifier(uint64_t size, const Digest& root) : size_(size), root_(root) {}
  [[nodiscard]] absl::Status Verify(uint64_t index, const Digest& leaf_hash, absl::Span<const Digest> proof);
  // Hashes the record's data as a leaf, then Verify.
  [[nodiscard]] absl::Status VerifyData(uint64_t index, absl::string_view leaf_data, absl::Span<const Digest> proof);
  uint64_t hashes_computed() const { return hashes_; }
  uint64_t hashes_reused() const { return reused_; }

 private:
  struct Memo {
    bool valid = false;
    uint64_t fn = 0;
    Digest left, right, out;
  };
  uint64_t size_;
  Digest root_;
  MerkleHasher hasher_;
  Memo memo_[64];
  uint64_t hashes_ = 0, reused_ = 0;
};

// The perfect nodes left of `cut` a store must keep when it deletes leaves [0, cut): see the
// header comment. `sizes` are earlier tree sizes that consistency proofs must still start from
// (those >= cut need nothing and are ignored). Sorted, without duplicates.
std::vector<NodeId> NodesToKeepAfterPrune(uint64_t cut, absl::Span<const uint64_t> sizes);
// Whether a store may delete `id` after pruning leaves [0, cut); `keep` as returned above.
bool MayDeleteAfterPrune(const NodeId& id, uint64_t cut, absl::Span<const NodeId> keep);

}  // namespace paraat

#endif  // PARAAT_COMMON_MERKLE_H_
