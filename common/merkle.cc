#include "common/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

// A leaf range [begin, end) whose MTH a proof carries.
struct Range {
  uint64_t begin, end;
};

// The largest power of two strictly smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (63 - std::countl_zero(n - 1)); }

// Folds the hashes of RangeNodes(begin, end) into MTH(D[begin:end]): the rightmost node is the
// deepest subtree, so hashing goes right to left.
Digest Fold(const Digest* hashes, size_t count, MerkleHasher& hasher) {
  Digest r = hashes[count - 1];
  for (size_t i = count - 1; i-- > 0;) r = hasher.HashChildren(hashes[i], r);
  return r;
}

// Reads every node the ranges need in one call (a store answers with one query) and returns
// each range's hash, in the ranges' order.
absl::StatusOr<std::vector<Digest>> HashRanges(const std::vector<Range>& ranges, const NodeReader& reader) {
  std::vector<NodeId> ids;
  std::vector<size_t> first;  // ranges[i] uses ids[first[i], first[i + 1])
  for (const Range& r : ranges) {
    first.push_back(ids.size());
    for (const NodeId& id : RangeNodes(r.begin, r.end)) ids.push_back(id);
  }
  first.push_back(ids.size());
  std::vector<Digest> hashes;
  PARAAT_RETURN_IF_ERROR(reader.ReadNodes(ids, &hashes));
  if (hashes.size() != ids.size()) {
    return absl::InternalError(absl::StrCat("node store returned ", hashes.size(), " hashes for ", ids.size()));
  }
  MerkleHasher hasher;
  std::vector<Digest> out;
  out.reserve(ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) out.push_back(Fold(&hashes[first[i]], first[i + 1] - first[i], hasher));
  return out;
}

absl::Status CheckSize(uint64_t size) {
  if (size > kMaxTreeSize) return absl::InvalidArgumentError(absl::StrCat("tree size ", size, " is too large"));
  return absl::OkStatus();
}

absl::Status Mismatch(absl::string_view what) { return absl::DataLossError(what); }

}  // namespace

std::string NodeId::ToString() const { return absl::StrCat("(level ", level, ", index ", index, ")"); }

Digest MerkleHasher::HashLeaf(absl::string_view data) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  sha_->Update(&kLeafPrefix, 1);
  sha_->Update(data);
  return sha_->Finish();
}

Digest MerkleHasher::HashChildren(const Digest& left, const Digest& right) {
  // One 65-byte update costs less than three small ones.
  uint8_t buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  sha_->Update(buf, sizeof(buf));
  return sha_->Finish();
}

Digest MerkleHasher::EmptyRoot() { return Sha256Of(""); }

std::vector<NodeId> MemoryNodeStore::Ids() const {
  std::vector<NodeId> out;
  out.reserve(nodes_.size());
  for (const auto& [key, hash] : nodes_) out.push_back(NodeId{int(key >> 58), key & ((uint64_t{1} << 58) - 1)});
  return out;
}

absl::Status MemoryNodeStore::ReadNodes(absl::Span<const NodeId> ids, std::vector<Digest>* out) const {
  out->clear();
  out->reserve(ids.size());
  for (const NodeId& id : ids) {
    auto it = nodes_.find(Key(id));
    if (it == nodes_.end()) return absl::NotFoundError(absl::StrCat("Merkle node ", id.ToString(), " is not stored"));
    out->push_back(it->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<CompactRange> CompactRange::Load(uint64_t size, const NodeReader& reader) {
  PARAAT_RETURN_IF_ERROR(CheckSize(size));
  CompactRange cr;
  cr.size_ = size;
  PARAAT_RETURN_IF_ERROR(reader.ReadNodes(RangeNodes(0, size), &cr.hashes_));
  if (cr.hashes_.size() != size_t(std::popcount(size)))
    return absl::InternalError("node store returned too few hashes");
  return cr;
}

void CompactRange::Append(const Digest& leaf_hash, MerkleHasher& hasher, std::vector<Node>* completed) {
  Digest h = leaf_hash;
  uint64_t index = size_;
  completed->push_back(Node{NodeId{0, index}, h});
  // Every trailing one bit of the old size is a frontier node of that level, now complete with
  // a right sibling: merge them, smallest first.
  for (int level = 0; (size_ >> level) & 1; ++level) {
    h = hasher.HashChildren(hashes_.back(), h);
    hashes_.pop_back();
    index >>= 1;
    completed->push_back(Node{NodeId{level + 1, index}, h});
  }
  hashes_.push_back(h);
  ++size_;
}

Digest CompactRange::Root(MerkleHasher& hasher) const {
  if (hashes_.empty()) return MerkleHasher::EmptyRoot();
  return Fold(hashes_.data(), hashes_.size(), hasher);
}

std::vector<Node> CompactRange::Nodes() const {
  std::vector<Node> out;
  std::vector<NodeId> ids = RangeNodes(0, size_);
  for (size_t i = 0; i < ids.size(); ++i) out.push_back(Node{ids[i], hashes_[i]});
  return out;
}

std::vector<NodeId> RangeNodes(uint64_t begin, uint64_t end) {
  std::vector<NodeId> out;
  while (begin < end) {
    // The largest perfect node starting at `begin`: aligned there, and no longer than the rest.
    int level = 63 - std::countl_zero(end - begin);
    if (begin != 0) level = std::min(level, std::countr_zero(begin));
    out.push_back(NodeId{level, begin >> level});
    begin += uint64_t{1} << level;
  }
  return out;
}

absl::StatusOr<Digest> RootAt(uint64_t size, const NodeReader& reader) {
  PARAAT_RETURN_IF_ERROR(CheckSize(size));
  if (size == 0) return MerkleHasher::EmptyRoot();
  PARAAT_ASSIGN_OR_RETURN(std::vector<Digest> h, HashRanges({Range{0, size}}, reader));
  return h[0];
}

absl::StatusOr<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t size, const NodeReader& reader) {
  PARAAT_RETURN_IF_ERROR(CheckSize(size));
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat("leaf ", index, " is not in a tree of ", size, " leaves"));
  }
  // PATH(m, D[a:b]): descend towards the leaf; the other half at each split is a proof node.
  // Collected top-down, the proof lists them bottom-up.
  std::vector<Range> ranges;
  uint64_t a = 0, b = size;
  while (b - a > 1) {
    const uint64_t k = SplitPoint(b - a);
    if (index < a + k) {
      ranges.push_back(Range{a + k, b});
      b = a + k;
    } else {
      ranges.push_back(Range{a, a + k});
      a += k;
    }
  }
  std::reverse(ranges.begin(), ranges.end());
  return HashRanges(ranges, reader);
}

absl::StatusOr<std::vector<Digest>> ConsistencyProof(uint64_t size1, uint64_t size2, const NodeReader& reader) {
  PARAAT_RETURN_IF_ERROR(CheckSize(size2));
  if (size1 > size2) {
    return absl::InvalidArgumentError(absl::StrCat("no consistency proof from ", size1, " leaves to fewer, ", size2));
  }
  if (size1 == 0 || size1 == size2) return std::vector<Digest>{};
  // SUBPROOF(m, D[a:b], whole), iteratively: `whole` is false once the walk has gone right.
  std::vector<Range> ranges;
  uint64_t a = 0, b = size2;
  bool whole = true;
  while (size1 != b) {
    const uint64_t k = SplitPoint(b - a);
    if (size1 <= a + k) {
      ranges.push_back(Range{a + k, b});
      b = a + k;
    } else {
      ranges.push_back(Range{a, a + k});
      a += k;
      whole = false;
    }
  }
  if (!whole) ranges.push_back(Range{a, b});
  std::reverse(ranges.begin(), ranges.end());
  return HashRanges(ranges, reader);
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Digest& leaf_hash, absl::Span<const Digest> proof,
                             const Digest& root) {
  // RFC 9162 §2.1.3.2, numbered as there.
  // 1.
  if (index >= size) return Mismatch(absl::StrCat("leaf index ", index, " is not in a tree of ", size, " leaves"));
  // 2., 3.
  uint64_t fn = index, sn = size - 1;
  MerkleHasher hasher;
  Digest r = leaf_hash;
  // 4.
  for (const Digest& p : proof) {
    if (sn == 0)
      return Mismatch(absl::StrCat("inclusion proof has more hashes (", proof.size(), ") than the tree needs"));
    if ((fn & 1) || fn == sn) {
      r = hasher.HashChildren(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = hasher.HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // 5.
  if (sn != 0) return Mismatch(absl::StrCat("inclusion proof has too few hashes (", proof.size(), ")"));
  if (r != root) return Mismatch("inclusion proof leads to another root hash than the tree head's");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Digest& root1, const Digest& root2,
                               absl::Span<const Digest> proof) {
  if (size1 > size2) return Mismatch(absl::StrCat("tree shrank from ", size1, " to ", size2, " leaves"));
  if (size1 == size2 || size1 == 0) {
    if (!proof.empty()) return Mismatch("consistency proof should be empty");
    if (size1 == size2 && root1 != root2) {
      return Mismatch(absl::StrCat("two different root hashes for the same tree size ", size1));
    }
    return absl::OkStatus();
  }
  // RFC 9162 §2.1.4.2, numbered as there. 1.
  if (proof.empty()) return Mismatch("consistency proof is empty");
  // 2.
  std::vector<Digest> path;
  path.reserve(proof.size() + 1);
  if ((size1 & (size1 - 1)) == 0) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  // 3., 4.
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // 5.
  Digest fr = path[0], sr = path[0];
  MerkleHasher hasher;
  // 6.
  for (size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return Mismatch(absl::StrCat("consistency proof has more hashes (", proof.size(), ") than needed"));
    if ((fn & 1) || fn == sn) {
      fr = hasher.HashChildren(c, fr);
      sr = hasher.HashChildren(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = hasher.HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // 7.
  if (sn != 0) return Mismatch(absl::StrCat("consistency proof has too few hashes (", proof.size(), ")"));
  if (fr != root1) return Mismatch(absl::StrCat("consistency proof does not lead to the root of the tree of ", size1));
  if (sr != root2) return Mismatch(absl::StrCat("consistency proof does not lead to the root of the tree of ", size2));
  return absl::OkStatus();
}

absl::Status BatchInclusionVerifier::Verify(uint64_t index, const Digest& leaf_hash, absl::Span<const Digest> proof) {
  // VerifyInclusion's steps; each hash goes through the memo of the node it produces.
  if (index >= size_) return Mismatch(absl::StrCat("leaf index ", index, " is not in a tree of ", size_, " leaves"));
  uint64_t fn = index, sn = size_ - 1;
  int level = 0;  // how far fn has been shifted: the produced node is (level, fn)
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0)
      return Mismatch(absl::StrCat("inclusion proof has more hashes (", proof.size(), ") than the tree needs"));
    const bool p_left = (fn & 1) || fn == sn;
    if (p_left && !(fn & 1)) {
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
        ++level;
      }
    }
    fn >>= 1;
    sn >>= 1;
    ++level;
    const Digest& left = p_left ? p : r;
    const Digest& right = p_left ? r : p;
    Memo& m = memo_[level & 63];
    if (m.valid && m.fn == fn && m.left == left && m.right == right) {
      r = m.out;
      ++reused_;
    } else {
      const Digest out = hasher_.HashChildren(left, right);
      m.left = left;
      m.right = right;
      m.out = out;
      m.fn = fn;
      m.valid = true;
      r = out;
      ++hashes_;
    }
  }
  if (sn != 0) return Mismatch(absl::StrCat("inclusion proof has too few hashes (", proof.size(), ")"));
  if (r != root_) return Mismatch("inclusion proof leads to another root hash than the tree head's");
  return absl::OkStatus();
}

absl::Status BatchInclusionVerifier::VerifyData(uint64_t index, absl::string_view leaf_data,
                                                absl::Span<const Digest> proof) {
  ++hashes_;
  return Verify(index, hasher_.HashLeaf(leaf_data), proof);
}

std::vector<NodeId> NodesToKeepAfterPrune(uint64_t cut, absl::Span<const uint64_t> sizes) {
  std::vector<NodeId> keep = RangeNodes(0, cut);
  for (uint64_t m : sizes) {
    if (m == 0 || m >= cut) continue;
    // A consistency proof from m: the nodes covering [0, m), and the right siblings of the
    // path above leaf m - 1 (from the level of m's smallest subtree up).
    for (const NodeId& id : RangeNodes(0, m)) keep.push_back(id);
    for (int k = std::countr_zero(m); k < 62; ++k) {
      const uint64_t a = (m - 1) >> k;
      if (a & 1) continue;
      const NodeId sibling{k, a + 1};
      if (sibling.end() > cut) break;  // not deletable, and neither are the higher ones
      keep.push_back(sibling);
    }
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  return keep;
}

bool MayDeleteAfterPrune(const NodeId& id, uint64_t cut, absl::Span<const NodeId> keep) {
  return id.end() <= cut && !std::binary_search(keep.begin(), keep.end(), id);
}

}  // namespace paraat
