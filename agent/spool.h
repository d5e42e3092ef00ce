// The agent's on-disk spool: every batch of results is written and fsync'd here before it is
// sent, and removed only when the collector acknowledges it. Survives agent restarts and
// collector outages. Bounded: when full, the oldest batches not yet sent are dropped, counted,
// and reported to the collector as a gap so the evidence shows the hole. (Batches already sent
// are kept until acknowledged or the stream is retried: they may be stored already, and a gap
// must never claim as lost what the collector holds. They are bounded by the sender's window.)
//
// A batch that cannot be read back (truncated or damaged on disk) is dropped the same way:
// counted and reported as a gap with reason "unreadable_spool_batch", never silently. Its result
// count is what the file still shows (at least one); the gap reports it carried survive only
// while the agent runs (after a restart they are lost with it). A batch an older agent wrote
// with strings that are not UTF-8 is read back with those bytes escaped and sent. Every string
// of a result is made valid UTF-8 (PrepareForWire, common/proto_text.h) before it is written,
// so no batch written here fails to parse for that reason.
//
// Layout: <dir>/spool.state (epoch, reserved sequences), <dir>/batches/<seq>.pb, <dir>/gaps.pb
// (gaps not yet reported; <dir>/gap.pb in older versions, read once and removed).
// Thread-safe.
#ifndef PARAAT_AGENT_SPOOL_H_
#define PARAAT_AGENT_SPOOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "paraat/v1/agent.pb.h"

namespace paraat {

class Spool {
 public:
  struct Stats {
    size_t batches = 0;
    uint64_t bytes = 0;
    uint64_t results = 0;
    uint64_t dropped_batches = 0;  // since the spool was created
    uint64_t dropped_results = 0;
  };

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir, uint64_t max_size);

  // Random, chosen when the spool directory was created. Sequences are unique per epoch.
  uint64_t epoch() const { return epoch_; }

  // Reason of a gap left by a batch that could not be read back from disk.
  static constexpr char kUnreadableBatch[] = "unreadable_spool_batch";

  // Makes every string of the results valid UTF-8 and within the wire limits (PrepareForWire),
  // writes a new batch durably and returns its sequence.
  [[nodiscard]] absl::StatusOr<uint64_t> Append(std::vector<paraat::v1::Result> results);
  // The first batch with a sequence above `after`, read back from disk; it counts as sent.
  // Batches that cannot be read back on the way are dropped and become a gap.
  std::optional<paraat::v1::ResultBatch> Next(uint64_t after);
  // The collector has stored this batch: forget it.
  void Ack(uint64_t sequence);

  Stats stats() const;
  bool empty() const;

 private:
  struct Entry {
    uint64_t bytes = 0;
    uint64_t results = 0;
    int64_t oldest_ns = 0;
    int64_t newest_ns = 0;
    std::vector<paraat::v1::Gap> gaps;  // the gap reports this batch carries
    bool sent = false;                  // handed to the sender since the spool was opened
  };
  Spool(std::string dir, uint64_t max_size) : dir_(std::move(dir)), max_size_(max_size) {}
  absl::Status Load();
  absl::Status SaveState();
  std::string BatchPath(uint64_t seq) const;
  void DropOldestLocked(uint64_t incoming_bytes);
  // Removes a dropped batch's file, counts it, and records its hole (and the gap reports it
  // carried) as gaps still to be reported.
  void RecordDropLocked(uint64_t seq, const Entry& e, const char* reason);
  // Drops a batch that cannot be read back (`why`), counting it and recording the gap.
  void DropUnreadableLocked(uint64_t seq, const Entry& e, absl::string_view why);
  // Folds a dropped range into the gap still to be reported for the same reason.
  void MergeGapLocked(const paraat::v1::Gap& gap);
  void SaveGapsLocked();

  const std::string dir_;
  const uint64_t max_size_;
  mutable std::mutex mu_;
  uint64_t epoch_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t reserved_ = 0;  // sequences below this are reserved in spool.state
  std::map<uint64_t, Entry> entries_;
  uint64_t bytes_ = 0;
  uint64_t results_ = 0;
  uint64_t dropped_batches_ = 0;
  uint64_t dropped_results_ = 0;
  std::vector<paraat::v1::Gap> pending_gaps_;  // one per reason
};

}  // namespace paraat

#endif  // PARAAT_AGENT_SPOOL_H_
