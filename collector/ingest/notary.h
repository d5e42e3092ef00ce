// Signs checkpoints of the evidence log's Merkle tree (docs/evidence-format.md §2) with the
// collector's Ed25519 key: every `every` when the log grew, at every export and at shutdown.
// Each checkpoint is stored as a record of the log (Store::AppendTreeCheckpoint). With several
// collectors on one store only the leader signs.
//
// With a time-stamping authority configured, a thread of its own sends each checkpoint that has
// no token yet to the TSA (RFC 3161, common/timestamp.h) and stores the token beside it: a TSA
// that is down or answers garbage delays the token (log line, metric) and never the records.
// With a witness file, each signed checkpoint is also appended to it as a C2SP signed note.
//
// Thread-safety: Sign() and the accessors from any thread; Start() and Stop() from one.
#ifndef PARAAT_COLLECTOR_INGEST_NOTARY_H_
#define PARAAT_COLLECTOR_INGEST_NOTARY_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "collector/ingest/collector_metrics.h"
#include "collector/store/store.h"
#include "common/background_thread.h"
#include "common/checkpoint.h"
#include "common/clock.h"
#include "common/timestamp.h"

namespace paraat {

struct NotaryOptions {
  std::string origin = "paraat/evidence";
  std::string collector_id;
  absl::Duration every = absl::Hours(1);
  TimestampOptions timestamping;  // url empty: no time stamps
  std::string witness;            // empty: none
};

class Notary {
 public:
  // `leading`: whether this collector signs (null: always).
  Notary(Store* store, SigningKey key, NotaryOptions options, CollectorMetrics* metrics, const Clock* clock,
         std::function<bool()> leading);
  ~Notary();

  void Start();
  // Stops the threads and, when leading, signs a last checkpoint.
  void Stop();

  // Signs a checkpoint of the tree as it stands now; with a TSA, waits (up to its timeout) for
  // the token. A collector that does not lead answers with the newest stored checkpoint.
  [[nodiscard]] absl::StatusOr<TreeCheckpoint> Sign();
  const SigningKey& key() const { return key_; }

 private:
  void Run();
  void RunTimestamps();
  [[nodiscard]] absl::StatusOr<TreeCheckpoint> SignLocked();
  // Asks the TSA for a token for `cp` and stores it; true when it did.
  bool Stamp(TreeCheckpoint& cp);
  void Witness(const TreeCheckpoint& cp);
  void Published(const TreeCheckpoint& cp);
  bool Leads() const { return !leading_ || leading_(); }

  Store* const store_;
  const SigningKey key_;
  const NotaryOptions options_;
  CollectorMetrics* const metrics_;
  const Clock* const clock_;
  const std::function<bool()> leading_;

  std::mutex sign_mu_;  // one signature at a time
  BackgroundThread thread_;
  BackgroundThread stamp_thread_;
  bool started_ = false;
};

// The collector's signing key: loaded, or generated on first start (`path` and `path`.pub).
[[nodiscard]] absl::StatusOr<SigningKey> LoadCollectorKey(const std::string& path, bool* created);

}  // namespace paraat

#endif  // PARAAT_COLLECTOR_INGEST_NOTARY_H_
