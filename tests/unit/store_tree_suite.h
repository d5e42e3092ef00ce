// The store suite's Merkle tree and signed checkpoints (included by store_suite.h, so both
// back-ends run it). Roots are checked against the RFC 9162 definition computed here from the
// records the store returns, not with the code the store uses.
#ifndef PARAAT_TESTS_UNIT_STORE_TREE_SUITE_H_
#define PARAAT_TESTS_UNIT_STORE_TREE_SUITE_H_

#include <string>
#include <vector>

#include "common/checkpoint.h"
#include "common/merkle.h"
#include "common/sha256.h"
#include "common/time_util.h"

namespace paraat {

class StoreTreeTest : public StoreTest {
 protected:
  // MTH(D[n]) of RFC 9162 §2.1.1, recursively, from the leaf data.
  static Digest Mth(const std::vector<std::string>& leaves, size_t begin, size_t end) {
    if (end == begin) return Sha256Of("");
    if (end - begin == 1) return Sha256Of(std::string(1, '\0') + leaves[begin]);
    size_t k = 1;
    while (k * 2 < end - begin) k *= 2;
    const Digest l = Mth(leaves, begin, begin + k), r = Mth(leaves, begin + k, end);
    return Sha256Of(absl::StrCat(std::string(1, '\1'), DigestBytes(l), DigestBytes(r)));
  }

  // The leaf data of every record the store holds, seq first_seq and on.
  std::vector<std::string> Leaves(uint64_t first_seq) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->Scan(first_seq, UINT64_MAX,
                           [&](const StoredRecord& r) {
                             out.push_back(CanonicalRecordBytes(r.seq, r.recorded_ns, r.type, r.payload));
                             return true;
                           })
                    .ok());
    return out;
  }

  TreeHead Head() {
    auto t = store_->Tree();
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : TreeHead();
  }

  TreeCheckpoint SignNow(absl::Time now = absl::FromUnixSeconds(1'700'000'100)) {
    auto cp = store_->AppendTreeCheckpoint(
        [&](uint64_t size, const Digest& root, absl::Time t) -> absl::StatusOr<v1::CheckpointRecord> {
          Checkpoint c{"paraat.test/evidence", size, root, absl::FromUnixSeconds(absl::ToUnixSeconds(t)),
                       "collector-a",          ""};
          auto sc = SignCheckpoint(c, key_);
          if (!sc.ok()) return sc.status();
          v1::CheckpointRecord rec;
          rec.set_note(sc->body);
          rec.set_signature(sc->signature);
          rec.set_key_id(sc->checkpoint.key_id);
          rec.set_tree_size(size);
          return rec;
        },
        now);
    EXPECT_TRUE(cp.ok()) << cp.status();
    return cp.ok() ? *cp : TreeCheckpoint();
  }

  void CommitBatches(int from, int to, absl::Time t = absl::FromUnixSeconds(1'700'000'000)) {
    for (int i = from; i < to; ++i) {
      WriteGroup g = Batch(i, 1 + i % 4);
      Commit({&g}, t);
    }
  }

  SigningKey key_ = *SigningKey::Generate();
};

TEST_P(StoreTreeTest, TheTreeHoldsEveryRecordAndProvesEach) {
  CommitBatches(1, 12);
  const std::vector<std::string> leaves = Leaves(1);
  const TreeHead head = Head();
  EXPECT_EQ(head.first_seq, 1u);
  ASSERT_EQ(head.size, leaves.size());
  EXPECT_EQ(ToHex(head.root), ToHex(Mth(leaves, 0, leaves.size())));
  std::vector<uint64_t> indexes;
  for (uint64_t i = 0; i < leaves.size(); ++i) indexes.push_back(i);
  auto proofs = store_->InclusionProofs(indexes, head.size);
  ASSERT_TRUE(proofs.ok()) << proofs.status();
  MerkleHasher h;
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    EXPECT_TRUE(VerifyInclusion(i, head.size, h.HashLeaf(leaves[i]), (*proofs)[i], head.root).ok()) << i;
  }
  // A proof for a smaller tree verifies against that tree's root.
  auto small = store_->InclusionProofs({2}, 5);
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(VerifyInclusion(2, 5, h.HashLeaf(leaves[2]), (*small)[0], Mth(leaves, 0, 5)).ok());
}

TEST_P(StoreTreeTest, ACheckpointIsASignedRecordOfTheTreeBeforeIt) {
  CommitBatches(1, 6);
  const TreeHead before = Head();
  const TreeCheckpoint cp = SignNow();
  EXPECT_EQ(cp.tree_size, before.size);
  EXPECT_EQ(cp.seq, before.size + 1);
  TrustedKeys keys;
  keys.Add(key_.public_key());
  auto verified = VerifyCheckpoint(cp.note, cp.signature, keys);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->tree_size, before.size);
  EXPECT_EQ(ToHex(verified->root), ToHex(before.root));
  // The checkpoint is itself a record: the chain and the tree include it.
  auto recs = store_->Read({cp.seq});
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].type, RecordType::kCheckpoint);
  EXPECT_EQ(Head().size, before.size + 1);
  EXPECT_TRUE(Verify().ok());
  auto all = store_->TreeCheckpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].note, cp.note);
  EXPECT_TRUE((*all)[0].timestamp_token.empty());
  ASSERT_TRUE(store_->SetTimestampToken(cp.seq, "token bytes").ok());
  EXPECT_EQ((*store_->TreeCheckpoints())[0].timestamp_token, "token bytes");
  // Later trees are consistent with the checkpoint.
  CommitBatches(6, 9);
  const TreeHead now = Head();
  Digest root1{};
  auto proof = store_->TreeConsistency(cp.tree_size, now.size, &root1);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(ToHex(root1), ToHex(before.root));
  EXPECT_TRUE(VerifyConsistency(cp.tree_size, now.size, before.root, now.root, *proof).ok());
}

TEST_P(StoreTreeTest, AStoreWithoutATreeGetsOneBuiltFromItsRecords) {
  CommitBatches(1, 9);
  const TreeHead before = Head();
  // As a store from before the tree (or written by an older collector) looks.
  factory_->Tamper("DELETE FROM merkle_nodes");
  factory_->Tamper("UPDATE merkle_tree SET size = 0");
  store_ = factory_->Make();
  ASSERT_TRUE(store_->Open().ok());
  const TreeHead after = Head();
  EXPECT_EQ(after.size, before.size);
  EXPECT_EQ(ToHex(after.root), ToHex(before.root));
  CommitBatches(9, 11);
  const std::vector<std::string> leaves = Leaves(1);
  EXPECT_EQ(ToHex(Head().root), ToHex(Mth(leaves, 0, leaves.size())));
}

TEST_P(StoreTreeTest, ATreeAheadOfItsRecordsIsCutAndNoLongerConsistent) {
  CommitBatches(1, 9);
  const TreeCheckpoint cp = SignNow();
  const TreeHead signed_head = Head();
  // An insider deletes the newest records and moves the chain head back.
  const uint64_t keep = cp.tree_size - 3;
  factory_->Tamper(absl::StrCat("DELETE FROM evidence WHERE seq > ", keep));
  factory_->Tamper(absl::StrCat("UPDATE chain SET head_seq = ", keep,
                                ", head_hash = (SELECT hash FROM evidence WHERE seq = ", keep, ") WHERE id = 1"));
  store_ = factory_->Make();
  ASSERT_TRUE(store_->Open().ok());
  EXPECT_EQ(Head().size, keep);
  CommitBatches(20, 26);  // the collector carries on
  const TreeHead now = Head();
  ASSERT_GT(now.size, signed_head.size);
  Digest root1{};
  auto proof = store_->TreeConsistency(cp.tree_size, now.size, &root1);
  ASSERT_TRUE(proof.ok()) << proof.status();
  // The store's tree at the checkpoint's size is no longer the tree that was signed.
  EXPECT_NE(ToHex(root1), ToHex(signed_head.root));
  const Checkpoint signed_cp = *ParseCheckpointBody(cp.note);
  EXPECT_FALSE(VerifyConsistency(cp.tree_size, now.size, signed_cp.root, now.root, *proof).ok());
}

TEST_P(StoreTreeTest, PruningKeepsTheProofsFromEveryCheckpoint) {
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  for (int day = 0; day < 10; ++day) {
    WriteGroup g = Batch(day + 1, 3);
    Commit({&g}, t0 + absl::Hours(24 * day));
    if (day == 2) SignNow(t0 + absl::Hours(24 * day));
  }
  const TreeCheckpoint cp = (*store_->TreeCheckpoints())[0];
  const Checkpoint signed_cp = *ParseCheckpointBody(cp.note);
  auto removed = store_->Prune(t0 + absl::Hours(24 * 6), t0 + absl::Hours(24 * 10));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_GT(*removed, cp.tree_size);  // the checkpoint's leaves are gone
  const TreeHead head = Head();
  Digest root1{};
  auto proof = store_->TreeConsistency(cp.tree_size, head.size, &root1);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyConsistency(cp.tree_size, head.size, signed_cp.root, head.root, *proof).ok());
  // The records kept still prove their inclusion, and new ones join the same tree.
  CommitBatches(30, 33, t0 + absl::Hours(24 * 11));
  const TreeHead later = Head();
  std::vector<std::string> kept;
  uint64_t first_kept = 0;
  ASSERT_TRUE(store_
                  ->Scan(1, UINT64_MAX,
                         [&](const StoredRecord& r) {
                           if (first_kept == 0) first_kept = r.seq;
                           kept.push_back(CanonicalRecordBytes(r.seq, r.recorded_ns, r.type, r.payload));
                           return true;
                         })
                  .ok());
  std::vector<uint64_t> indexes;
  for (size_t i = 0; i < kept.size(); ++i) indexes.push_back(first_kept - 1 + i);
  auto proofs = store_->InclusionProofs(indexes, later.size);
  ASSERT_TRUE(proofs.ok()) << proofs.status();
  MerkleHasher h;
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_TRUE(VerifyInclusion(indexes[i], later.size, h.HashLeaf(kept[i]), (*proofs)[i], later.root).ok());
  }
  EXPECT_TRUE(store_->TreeConsistency(cp.tree_size, later.size, &root1).ok());
}

}  // namespace paraat

#endif  // PARAAT_TESTS_UNIT_STORE_TREE_SUITE_H_
