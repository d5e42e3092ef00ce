#include "common/merkle.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

Digest D(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  Digest d{};
  EXPECT_EQ(bytes.size(), 32u) << hex;
  std::copy(bytes.begin(), bytes.end(), d.begin());
  return d;
}

// The RFC 6962 reference tree of eight leaves, with the roots and proofs from
// transparency-dev/merkle's and certificate-transparency-go's tests.
const std::vector<std::string>& ReferenceLeaves() {
  static const auto* leaves = new std::vector<std::string>{"",
                                                           absl::HexStringToBytes("00"),
                                                           absl::HexStringToBytes("10"),
                                                           absl::HexStringToBytes("2021"),
                                                           absl::HexStringToBytes("3031"),
                                                           absl::HexStringToBytes("40414243"),
                                                           absl::HexStringToBytes("5051525354555657"),
                                                           absl::HexStringToBytes("606162636465666768696a6b6c6d6e6f")};
  return *leaves;
}

const std::vector<Digest>& ReferenceRoots() {  // roots[i]: tree of i + 1 leaves
  static const auto* roots =
      new std::vector<Digest>{D("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                              D("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
                              D("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
                              D("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                              D("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
                              D("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
                              D("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
                              D("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")};
  return *roots;
}

struct InclusionVector {
  uint64_t index, size;
  std::vector<Digest> proof;
};
const std::vector<InclusionVector>& ReferenceInclusion() {
  static const auto* v = new std::vector<InclusionVector>{
      {0, 1, {}},
      {0,
       8,
       {D("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        D("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        D("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
      {5,
       8,
       {D("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        D("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        D("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
      {2, 3, {D("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
      {1,
       5,
       {D("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        D("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        D("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
  };
  return *v;
}

struct ConsistencyVector {
  uint64_t size1, size2;
  std::vector<Digest> proof;
};
const std::vector<ConsistencyVector>& ReferenceConsistency() {
  static const auto* v = new std::vector<ConsistencyVector>{
      {1, 1, {}},
      {1,
       8,
       {D("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        D("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        D("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
      {6,
       8,
       {D("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        D("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        D("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
      {2,
       5,
       {D("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        D("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
      {6,
       7,
       {D("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        D("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        D("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
  };
  return *v;
}

// An independent implementation: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 as recursive
// definitions over the list of leaf hashes, with plain SHA-256 over concatenated strings.
namespace naive {

std::string Bytes(const Digest& d) { return std::string(DigestBytes(d)); }
Digest Leaf(const std::string& data) { return Sha256Of(std::string(1, '\0') + data); }
Digest Node(const Digest& l, const Digest& r) { return Sha256Of("\x01" + Bytes(l) + Bytes(r)); }

uint64_t K(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Digest Mth(const std::vector<Digest>& d, uint64_t a, uint64_t b) {
  if (b == a) return Sha256Of("");
  if (b - a == 1) return d[a];
  const uint64_t k = K(b - a);
  return Node(Mth(d, a, a + k), Mth(d, a + k, b));
}

std::vector<Digest> Path(uint64_t m, const std::vector<Digest>& d, uint64_t a, uint64_t b) {
  if (b - a <= 1) return {};
  const uint64_t k = K(b - a);
  std::vector<Digest> out;
  if (m < k) {
    out = Path(m, d, a, a + k);
    out.push_back(Mth(d, a + k, b));
  } else {
    out = Path(m - k, d, a + k, b);
    out.push_back(Mth(d, a, a + k));
  }
  return out;
}

std::vector<Digest> SubProof(uint64_t m, const std::vector<Digest>& d, uint64_t a, uint64_t b, bool whole) {
  const uint64_t n = b - a;
  if (m == n) return whole ? std::vector<Digest>{} : std::vector<Digest>{Mth(d, a, b)};
  const uint64_t k = K(n);
  std::vector<Digest> out;
  if (m <= k) {
    out = SubProof(m, d, a, a + k, whole);
    out.push_back(Mth(d, a + k, b));
  } else {
    out = SubProof(m - k, d, a + k, b, false);
    out.push_back(Mth(d, a, a + k));
  }
  return out;
}

}  // namespace naive

MerkleHasher& H() {
  static MerkleHasher* h = new MerkleHasher;
  return *h;
}

// A tree built leaf by leaf as a store would: every completed node persisted.
struct Tree {
  CompactRange range;
  MemoryNodeStore store;
  std::vector<Digest> leaves;
  void Add(const std::string& data) {
    const Digest leaf = H().HashLeaf(data);
    EXPECT_EQ(leaf, naive::Leaf(data));
    leaves.push_back(leaf);
    std::vector<Node> completed;
    range.Append(leaf, H(), &completed);
    store.PutAll(completed);
  }
};

Tree TreeOf(uint64_t n) {
  Tree t;
  for (uint64_t i = 0; i < n; ++i) t.Add("record " + std::to_string(i));
  return t;
}

Tree ReferenceTree() {
  Tree t;
  for (const std::string& leaf : ReferenceLeaves()) t.Add(leaf);
  return t;
}

TEST(MerkleHashing, MatchesTheRfc6962ReferenceRoots) {
  EXPECT_EQ(ToHex(MerkleHasher::EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(MerkleHasher().HashLeaf("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  Tree t;
  for (size_t i = 0; i < ReferenceLeaves().size(); ++i) {
    t.Add(ReferenceLeaves()[i]);
    EXPECT_EQ(t.range.Root(H()), ReferenceRoots()[i]) << "incremental root at size " << i + 1;
  }
  for (uint64_t size = 1; size <= 8; ++size) {
    auto root = RootAt(size, t.store);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(*root, ReferenceRoots()[size - 1]) << "stored root at size " << size;
  }
  EXPECT_EQ(*RootAt(0, t.store), MerkleHasher::EmptyRoot());
}

TEST(MerkleHashing, ReferenceLeafAndNodePrefixesDiffer) {
  // Second-preimage resistance rests on the prefixes: a leaf whose data is 0x01 || l || r must
  // not hash like the node over l and r.
  MerkleHasher h;
  const Digest l = h.HashLeaf("a"), r = h.HashLeaf("b");
  const std::string as_leaf = "\x01" + std::string(DigestBytes(l)) + std::string(DigestBytes(r));
  EXPECT_NE(h.HashLeaf(as_leaf), h.HashChildren(l, r));
  EXPECT_EQ(h.HashChildren(l, r), naive::Node(l, r));
}

// Ways to damage a valid inclusion proof (after transparency-dev/merkle's verifier tests).
std::vector<std::pair<std::string, InclusionVector>> Corruptions(const InclusionVector& v) {
  std::vector<std::pair<std::string, InclusionVector>> out;
  auto with = [&](std::string what, auto change) {
    InclusionVector c = v;
    change(c);
    out.emplace_back(std::move(what), std::move(c));
  };
  with("index - 1", [](auto& c) { c.index -= 1; });
  with("index + 1", [](auto& c) { c.index += 1; });
  with("index ^ 2", [](auto& c) { c.index ^= 2; });
  with("size * 2", [](auto& c) { c.size *= 2; });
  with("size / 2", [](auto& c) { c.size /= 2; });
  with("trailing hash", [](auto& c) { c.proof.push_back(Digest{}); });
  with("preceding hash", [](auto& c) { c.proof.insert(c.proof.begin(), Digest{}); });
  for (size_t i = 0; i < v.proof.size(); ++i) {
    with("bit flipped in hash " + std::to_string(i), [i](auto& c) { c.proof[i][0] ^= 8; });
  }
  if (!v.proof.empty()) with("last hash removed", [](auto& c) { c.proof.pop_back(); });
  if (v.proof.size() > 1) with("two hashes swapped", [](auto& c) { std::swap(c.proof[0], c.proof[1]); });
  return out;
}

TEST(InclusionProof, MatchesTheReferenceVectorsAndVerifies) {
  Tree t = ReferenceTree();
  for (const InclusionVector& v : ReferenceInclusion()) {
    SCOPED_TRACE("leaf " + std::to_string(v.index) + " of " + std::to_string(v.size));
    auto proof = InclusionProof(v.index, v.size, t.store);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, v.proof);
    const Digest& root = ReferenceRoots()[v.size - 1];
    const Digest& leaf = t.leaves[v.index];
    EXPECT_TRUE(VerifyInclusion(v.index, v.size, leaf, v.proof, root).ok());
    EXPECT_EQ(VerifyInclusion(v.index, v.size, H().HashLeaf("forged"), v.proof, root).code(),
              absl::StatusCode::kDataLoss);
    EXPECT_FALSE(VerifyInclusion(v.index, v.size, leaf, v.proof, MerkleHasher::EmptyRoot()).ok());
    for (const auto& [what, c] : Corruptions(v)) {
      EXPECT_FALSE(VerifyInclusion(c.index, c.size, leaf, c.proof, root).ok()) << what << " verified";
    }
  }
}

TEST(InclusionProof, RejectsImpossibleRequests) {
  Tree t = ReferenceTree();
  EXPECT_EQ(InclusionProof(8, 8, t.store).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 9, t.store).status().code(), absl::StatusCode::kNotFound);  // beyond the tree
  EXPECT_EQ(VerifyInclusion(0, 0, t.leaves[0], {}, MerkleHasher::EmptyRoot()).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(VerifyInclusion(1, 1, t.leaves[0], {}, t.leaves[0]).ok());
  EXPECT_TRUE(VerifyInclusion(0, 1, t.leaves[0], {}, t.leaves[0]).ok());
  EXPECT_EQ(VerifyInclusion(0, 8, t.leaves[0], {}, ReferenceRoots()[7]).message(),
            "inclusion proof has too few hashes (0)");
}

TEST(ConsistencyProof, MatchesTheReferenceVectorsAndVerifies) {
  Tree t = ReferenceTree();
  for (const ConsistencyVector& v : ReferenceConsistency()) {
    SCOPED_TRACE(std::to_string(v.size1) + " -> " + std::to_string(v.size2));
    auto proof = ConsistencyProof(v.size1, v.size2, t.store);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(*proof, v.proof);
    const Digest& r1 = ReferenceRoots()[v.size1 - 1];
    const Digest& r2 = ReferenceRoots()[v.size2 - 1];
    EXPECT_TRUE(VerifyConsistency(v.size1, v.size2, r1, r2, v.proof).ok());
    if (v.proof.empty()) continue;
    std::vector<std::pair<std::string, ConsistencyVector>> bad;
    auto with = [&](std::string what, auto change) {
      ConsistencyVector c = v;
      change(c);
      bad.emplace_back(std::move(what), std::move(c));
    };
    with("size1 - 1", [](auto& c) { c.size1 -= 1; });
    with("size1 + 1", [](auto& c) { c.size1 += 1; });
    with("size1 ^ 2", [](auto& c) { c.size1 ^= 2; });
    with("size2 * 2", [](auto& c) { c.size2 *= 2; });
    with("size2 / 2", [](auto& c) { c.size2 /= 2; });
    with("empty proof", [](auto& c) { c.proof.clear(); });
    with("trailing hash", [&](auto& c) { c.proof.push_back(r1); });
    with("preceding hash", [&](auto& c) { c.proof.insert(c.proof.begin(), r2); });
    with("truncated", [](auto& c) { c.proof.pop_back(); });
    for (size_t i = 0; i < v.proof.size(); ++i) {
      with("bit flipped in hash " + std::to_string(i), [i](auto& c) { c.proof[i][0] ^= 16; });
    }
    for (const auto& [what, c] : bad) {
      EXPECT_FALSE(VerifyConsistency(c.size1, c.size2, r1, r2, c.proof).ok()) << what << " verified";
    }
    EXPECT_FALSE(VerifyConsistency(v.size1, v.size2, r2, r1, v.proof).ok()) << "swapped roots verified";
    EXPECT_FALSE(VerifyConsistency(v.size1, v.size2, r1, MerkleHasher::EmptyRoot(), v.proof).ok());
  }
}

TEST(ConsistencyProof, DegenerateSizes) {
  const Digest a = ReferenceRoots()[0], b = ReferenceRoots()[1];
  EXPECT_TRUE(VerifyConsistency(0, 0, a, a, {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 5, a, b, {}).ok());  // the empty tree precedes every tree
  EXPECT_TRUE(VerifyConsistency(3, 3, b, b, {}).ok());
  EXPECT_EQ(VerifyConsistency(3, 3, a, b, {}).message(), "two different root hashes for the same tree size 3");
  EXPECT_FALSE(VerifyConsistency(3, 3, b, b, {a}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 1, a, a, {a}).ok());
  EXPECT_EQ(VerifyConsistency(2, 1, a, b, {}).message(), "tree shrank from 2 to 1 leaves");
  EXPECT_EQ(VerifyConsistency(1, 2, a, b, {}).message(), "consistency proof is empty");
  Tree t = ReferenceTree();
  EXPECT_EQ(ConsistencyProof(5, 4, t.store).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ConsistencyProof(0, 8, t.store)->empty());
  EXPECT_TRUE(ConsistencyProof(8, 8, t.store)->empty());
}

// Every root, inclusion proof and consistency proof of every smaller tree, against the naive
// recursive definitions, and each one verifying.
TEST(MerkleTree, AgreesWithTheRecursiveDefinitionAtEverySize) {
  const uint64_t n = 70;
  Tree t = TreeOf(n);
  for (uint64_t m = 1; m <= n; ++m) {
    const Digest root = naive::Mth(t.leaves, 0, m);
    ASSERT_EQ(*RootAt(m, t.store), root) << m;
    for (uint64_t i = 0; i < m; ++i) {
      auto proof = InclusionProof(i, m, t.store);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, naive::Path(i, t.leaves, 0, m)) << "leaf " << i << " of " << m;
      ASSERT_TRUE(VerifyInclusion(i, m, t.leaves[i], *proof, root).ok()) << "leaf " << i << " of " << m;
    }
    for (uint64_t m1 = 1; m1 <= m; ++m1) {
      auto proof = ConsistencyProof(m1, m, t.store);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, naive::SubProof(m1, t.leaves, 0, m, true)) << m1 << " -> " << m;
      ASSERT_TRUE(VerifyConsistency(m1, m, naive::Mth(t.leaves, 0, m1), root, *proof).ok()) << m1 << " -> " << m;
    }
  }
}

TEST(MerkleTree, RandomLargeTreesAgreeWithTheRecursiveDefinition) {
  std::mt19937_64 rng(14);
  for (int round = 0; round < 3; ++round) {
    const uint64_t n = 1000 + rng() % 5000;
    Tree t = TreeOf(n);
    for (int probe = 0; probe < 40; ++probe) {
      const uint64_t m = 1 + rng() % n, i = rng() % m, m1 = 1 + rng() % m;
      const Digest root = naive::Mth(t.leaves, 0, m);
      auto proof = InclusionProof(i, m, t.store);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_EQ(*proof, naive::Path(i, t.leaves, 0, m));
      ASSERT_TRUE(VerifyInclusion(i, m, t.leaves[i], *proof, root).ok());
      auto cproof = ConsistencyProof(m1, m, t.store);
      ASSERT_TRUE(cproof.ok()) << cproof.status();
      ASSERT_EQ(*cproof, naive::SubProof(m1, t.leaves, 0, m, true));
      ASSERT_TRUE(VerifyConsistency(m1, m, naive::Mth(t.leaves, 0, m1), root, *cproof).ok());
      // A proof is no use for a neighbouring leaf or another tree size.
      if (m > 1) {
        EXPECT_FALSE(VerifyInclusion((i + 1) % m, m, t.leaves[i], *proof, root).ok());
      }
    }
  }
}

TEST(CompactRange, PersistsEveryPerfectNodeOnceAndReloads) {
  const uint64_t n = 1000;
  Tree t = TreeOf(n);
  // Exactly the perfect subtrees inside [0, n): n/2^L of each level.
  uint64_t expected = 0;
  for (int level = 0; (n >> level) > 0; ++level) expected += n >> level;
  EXPECT_EQ(t.store.size(), expected);
  for (uint64_t size : {0, 1, 2, 3, 7, 8, 9, 500, 511, 512, 999, 1000}) {
    auto cr = CompactRange::Load(size, t.store);
    ASSERT_TRUE(cr.ok()) << cr.status();
    EXPECT_EQ(cr->size(), size);
    EXPECT_EQ(cr->Root(H()), naive::Mth(t.leaves, 0, size)) << size;
    EXPECT_EQ(cr->Nodes().size(), size_t(__builtin_popcountll(size)));
  }
  // Continuing from a reloaded frontier gives the same tree as never stopping.
  auto cr = CompactRange::Load(600, t.store);
  ASSERT_TRUE(cr.ok());
  std::vector<Node> completed;
  for (uint64_t i = 600; i < n; ++i) cr->Append(t.leaves[i], H(), &completed);
  EXPECT_EQ(cr->Root(H()), t.range.Root(H()));
  for (const Node& node : completed) {
    std::vector<Digest> stored;
    ASSERT_TRUE(t.store.ReadNodes({node.id}, &stored).ok());
    EXPECT_EQ(stored[0], node.hash) << node.id.ToString();
  }
  EXPECT_EQ(CompactRange::Load(n + 1, t.store).status().code(), absl::StatusCode::kNotFound);
}

TEST(RangeNodes, CoverTheRangeWithAlignedPerfectNodes) {
  EXPECT_EQ(RangeNodes(0, 0).size(), 0u);
  std::vector<NodeId> r = RangeNodes(0, 13);  // 8 + 4 + 1
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (NodeId{3, 0}));
  EXPECT_EQ(r[1], (NodeId{2, 2}));
  EXPECT_EQ(r[2], (NodeId{0, 12}));
  r = RangeNodes(8, 15);  // 4 + 2 + 1
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (NodeId{2, 2}));
  EXPECT_EQ(r[2], (NodeId{0, 14}));
}

// Deletes what MayDeleteAfterPrune allows; everything the header promises must still work and
// give the same answers as the unpruned tree.
TEST(Pruning, ProofsNeedOnlyTheNodesKept) {
  std::mt19937_64 rng(9162);
  for (int round = 0; round < 12; ++round) {
    const uint64_t n = 50 + rng() % 400;
    const Tree full = TreeOf(n);
    const uint64_t cut = 1 + rng() % n;
    std::vector<uint64_t> sizes;
    for (int i = 0; i < 3; ++i) sizes.push_back(1 + rng() % cut);
    const std::vector<NodeId> keep = NodesToKeepAfterPrune(cut, sizes);
    MemoryNodeStore pruned = full.store;
    size_t deleted = 0;
    for (const NodeId& id : full.store.Ids()) {
      if (MayDeleteAfterPrune(id, cut, keep)) deleted += pruned.Erase(id);
    }
    SCOPED_TRACE("n " + std::to_string(n) + " cut " + std::to_string(cut));
    EXPECT_LE(keep.size(), 64u + 128u * sizes.size());
    if (cut > 8) {
      EXPECT_GT(deleted, cut / 2);
    }
    std::vector<uint64_t> from = sizes;
    for (uint64_t m = cut; m <= n; ++m) from.push_back(m);
    for (uint64_t m = cut; m <= n; ++m) {
      ASSERT_EQ(*RootAt(m, pruned), *RootAt(m, full.store));
      for (uint64_t i = cut; i < m; ++i) {
        auto proof = InclusionProof(i, m, pruned);
        ASSERT_TRUE(proof.ok()) << "leaf " << i << " of " << m << ": " << proof.status();
        ASSERT_EQ(*proof, *InclusionProof(i, m, full.store));
      }
      for (uint64_t m1 : from) {
        if (m1 > m) continue;
        auto proof = ConsistencyProof(m1, m, pruned);
        ASSERT_TRUE(proof.ok()) << m1 << " -> " << m << ": " << proof.status();
        ASSERT_EQ(*proof, *ConsistencyProof(m1, m, full.store));
      }
    }
    for (uint64_t m1 : sizes) ASSERT_EQ(*RootAt(m1, pruned), *RootAt(m1, full.store));
    auto cr = CompactRange::Load(n, pruned);
    ASSERT_TRUE(cr.ok()) << cr.status();
  }
}

TEST(Pruning, WithoutTheKeptNodesOldCheckpointsCannotBeProven) {
  // The keep list is not generous for nothing: prune as if no checkpoint were held, and a
  // consistency proof from an early size is impossible.
  const Tree full = TreeOf(300);
  const std::vector<NodeId> keep = NodesToKeepAfterPrune(200, {});
  MemoryNodeStore pruned = full.store;
  for (const NodeId& id : full.store.Ids()) {
    if (MayDeleteAfterPrune(id, 200, keep)) pruned.Erase(id);
  }
  EXPECT_EQ(ConsistencyProof(37, 300, pruned).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(150, 300, pruned).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(InclusionProof(200, 300, pruned).ok());
  EXPECT_TRUE(ConsistencyProof(200, 300, pruned).ok());
}

TEST(BatchInclusionVerifier, GivesTheSameAnswersAsVerifyInclusion) {
  const uint64_t n = 777;
  Tree t = TreeOf(n);
  const Digest root = t.range.Root(H());
  std::vector<std::vector<Digest>> proofs;
  for (uint64_t i = 0; i < n; ++i) proofs.push_back(*InclusionProof(i, n, t.store));

  BatchInclusionVerifier in_order(n, root);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(in_order.VerifyData(i, "record " + std::to_string(i), proofs[i]).ok()) << i;
  }
  // One leaf hash per record and one hash per interior node (n - 1 of them).
  EXPECT_EQ(in_order.hashes_computed(), n + n - 1);
  EXPECT_GT(in_order.hashes_reused(), 5 * n);

  // Damaged proofs, interleaved with good ones, in random order: always VerifyInclusion's verdict.
  std::mt19937_64 rng(6962);
  BatchInclusionVerifier shuffled(n, root);
  int failures = 0;
  for (int probe = 0; probe < 3000; ++probe) {
    const uint64_t i = rng() % n;
    InclusionVector v{i, n, proofs[i]};
    Digest leaf = t.leaves[i];
    switch (rng() % 4) {
      case 0:
        break;
      case 1:
        if (!v.proof.empty()) v.proof[rng() % v.proof.size()][rng() % 32] ^= 1 << (rng() % 8);
        break;
      case 2:
        leaf[0] ^= 1;
        break;
      case 3: {
        auto c = Corruptions(v);
        v = c[rng() % c.size()].second;
        break;
      }
    }
    const bool want = VerifyInclusion(v.index, n, leaf, v.proof, root).ok();
    const absl::Status got = shuffled.Verify(v.index, leaf, v.proof);
    ASSERT_EQ(got.ok(), want) << "probe " << probe << ": " << got;
    failures += !want;
  }
  EXPECT_GT(failures, 1000);
}

}  // namespace
}  // namespace paraat
