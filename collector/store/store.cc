#include "collector/store/store.h"

#include "common/status_macros.h"
#include "common/time_util.h"

namespace paraat {

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

}  // namespace paraat
