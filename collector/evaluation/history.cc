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

bool Passing(const Observation& o) {
  return o.status == paraat::v1::CHECK_STATUS_OK || o.status == paraat::v1::CHECK_STATUS_WARNING;
}

bool IsRestoreSample(const Observation& o) {
  return Passing(o) && o.restore_duration_seconds && o.restore_succeeded.value_or(true);
}

bool IsBackupSample(const Observation& o) { return Passing(o) && o.backup_bytes; }

absl::Time BackupTime(const Observation& o) { return o.recovery_point.value_or(o.finished); }

}  // namespace

std::string SampleHistorySubject(const std::string& key) { return "samples:" + key; }

bool SourceHistory::AddsSample(const Observation& next, const Observation* previous) {
  if (IsRestoreSample(next)) return true;
  if (!IsBackupSample(next)) return false;
  return previous == nullptr || !IsBackupSample(*previous) || BackupTime(*previous) != BackupTime(next) ||
         previous->backup_bytes != next.backup_bytes;
}

void SourceHistory::Add(const Observation& o) {
  if (!Passing(o)) return;
  if (IsRestoreSample(o)) {
    Insert(&restores, RestoreSample{o.finished, *o.restore_duration_seconds, o.verified_bytes, o.evidence_seq},
           kMaxRestores);
  }
  if (IsBackupSample(o)) {
    Insert(&backups,
           BackupSample{BackupTime(o), *o.backup_bytes, o.backup_files, o.content_entropy_bits, o.evidence_seq},
           kMaxBackups);
  }
}

}  // namespace paraat
