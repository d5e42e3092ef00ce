#include "collector/evaluation/history.h"

#include <algorithm>

#include "collector/evaluation/observation.h"

namespace paraat {

namespace {

// Inserts `s` in time order, unless a sample at that time is already there; keeps the newest `max`.
template <typename Sample>
void Insert(std::deque<Sample>* samples, Sample s, size_t max) {
  auto at = std::lower_bound(samples->begin(), samples->end(), s.time,
                             [](const Sample& a, absl::Time t) { return a.time < t; });
  if (at != samples->end() && at->time == s.time) {
    *at = std::move(s);  // the same backup (or test) reported again: its newest report stands
    return;
  }
  if (samples->size() >= max && at == samples->begin()) return;  // older than all that is kept
  samples->insert(at, std::move(s));
  while (samples->size() > max) samples->pop_front();
}

}  // namespace

void SourceHistory::Add(const Observation& o) {
  const bool passing = o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING;
  if (!passing) return;
  if (o.restore_duration_seconds && o.restore_succeeded.value_or(true)) {
    Insert(&restores, RestoreSample{o.finished, *o.restore_duration_seconds, o.verified_bytes, o.evidence_seq},
           kMaxRestores);
  }
  if (o.backup_bytes) {
    Insert(&backups,
           BackupSample{o.recovery_point.value_or(o.finished), *o.backup_bytes, o.backup_files, o.content_entropy_bits,
                        o.evidence_seq},
           kMaxBackups);
  }
}

}  // namespace paraat
