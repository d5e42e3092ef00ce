#include "collector/ingest/gap_check.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace paraat {
namespace {

// The results the store holds of batch `sequence`, whose first record is `first_seq`: a batch's
// records are consecutive (its results, then its gaps).
absl::StatusOr<uint64_t> ResultsOfBatch(Store& store, const std::string& agent, uint64_t epoch, uint64_t sequence,
                                        uint64_t first_seq) {
  uint64_t results = 0;
  constexpr uint64_t kMaxResultsPerBatch = 100000;  // above any batch limit; the scan stops at the batch's end
  PARAAT_RETURN_IF_ERROR(store.Scan(first_seq, first_seq + kMaxResultsPerBatch, [&](const StoredRecord& r) {
    paraat::v1::EvidenceRecord rec;
    if (r.type != RecordType::kResult || !rec.ParseFromString(r.payload)) return false;
    const auto& rr = rec.result();
    if (rr.agent_id() != agent || rr.spool_epoch() != epoch || rr.batch_sequence() != sequence) return false;
    ++results;
    return true;
  }));
  return results;
}

// `ranges` less the sequences in `stored`.
std::vector<std::pair<uint64_t, uint64_t>> Subtract(const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                                                    const std::set<uint64_t>& stored) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (auto [first, last] : ranges) {
    for (auto it = stored.lower_bound(first); it != stored.end() && *it <= last; ++it) {
      if (*it > first) out.emplace_back(first, *it - 1);
      first = *it + 1;
    }
    if (first <= last && first != 0) out.emplace_back(first, last);
  }
  return out;
}

}  // namespace

absl::StatusOr<CheckedGap> CheckGap(Store* store, const std::string& agent, uint64_t epoch,
                                    const paraat::v1::Gap& gap) {
  CheckedGap out;
  out.record.set_agent_id(agent);
  *out.record.mutable_gap() = gap;
  out.lost_results = gap.dropped_results();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& r : gap.dropped_ranges()) {
    if (r.first() <= r.last()) ranges.emplace_back(r.first(), r.last());
  }
  std::vector<std::pair<uint64_t, uint64_t>> stored;
  if (!ranges.empty() && store != nullptr) {
    PARAAT_ASSIGN_OR_RETURN(stored, store->StoredBatchesIn(agent, epoch, ranges));
  }
  out.description = absl::StrCat("agent ", agent, " reports ", gap.dropped_results(), " results in ",
                                 gap.dropped_batches(), " batches dropped from its spool (", gap.reason(), ")");
  if (stored.empty()) return out;

  std::set<uint64_t> stored_seqs;
  for (const auto& [sequence, first_seq] : stored) {
    PARAAT_ASSIGN_OR_RETURN(uint64_t n, ResultsOfBatch(*store, agent, epoch, sequence, first_seq));
    out.stored_results += n;
    stored_seqs.insert(sequence);
  }
  out.stored_batches = stored_seqs.size();
  out.lost_results = gap.dropped_results() - std::min(gap.dropped_results(), out.stored_results);
  const auto lost = Subtract(ranges, stored_seqs);
  paraat::v1::Gap& g = *out.record.mutable_gap();
  *out.record.mutable_reported() = gap;
  out.record.set_stored_batches(out.stored_batches);
  g.clear_dropped_ranges();
  for (const auto& [first, last] : lost) {
    auto* r = g.add_dropped_ranges();
    r->set_first(first);
    r->set_last(last);
  }
  g.set_first_sequence(lost.empty() ? 0 : lost.front().first);
  g.set_last_sequence(lost.empty() ? 0 : lost.back().second);
  g.set_dropped_batches(gap.dropped_batches() - std::min(gap.dropped_batches(), out.stored_batches));
  g.set_dropped_results(out.lost_results);
  absl::StrAppend(&out.description, "; ", out.stored_batches, " of those batches (", out.stored_results,
                  " results) were stored already, their acknowledgement lost: ", out.lost_results, " results lost");
  return out;
}

}  // namespace paraat
