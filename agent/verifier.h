// Checksum verification of many files: spread over the cores across files, limited to a read
// rate, rotating through large sets so each run reads only a share of the bytes while every
// byte is read within a bounded number of runs. VerifyFiles is thread-safe (it runs its own
// workers); a Rotation belongs to one run of one check.
#ifndef PARAAT_AGENT_VERIFIER_H_
#define PARAAT_AGENT_VERIFIER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/checks/support/rotation_ledger.h"
#include "nlohmann/json.hpp"

namespace paraat {

struct VerifyItem {
  std::string key;   // stable name, for the rotation state (relative path)
  std::string path;  // where to read it
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string expected;  // lower-case hex SHA-256
};

struct VerifyOutcome {
  enum Kind { kOk, kMismatch, kError } kind = kError;
  std::string actual;  // hex digest read
  std::string error;   // for kError
};

struct VerifyOptions {
  int parallel = 0;            // worker threads; 0: one per core
  uint64_t max_read_rate = 0;  // bytes/s over all workers; 0: unlimited
};

// Hashes every item (in parallel across files) and compares with its expected digest.
std::vector<VerifyOutcome> VerifyFiles(const CheckContext& ctx, const std::vector<VerifyItem>& items,
                                       const VerifyOptions& options);

// Which share of a set to verify this run, and what is known about the rest: the files of a set
// in a RotationLedger (checks/support/rotation_ledger.h), each with the size, modification time
// and digest it had when it was read, so a file that changed counts as not read.
class Rotation {
 public:
  // `state` is the check's saved rotation state (may be empty). `fraction` in (0, 1]. `now`
  // dates what this run reads back (for CoverageAge).
  Rotation(nlohmann::json state, double fraction, absl::Time now = absl::UnixEpoch());

  // Indices of `items` to verify now, about `fraction` of the bytes (at least one file): files
  // new or changed since they were last verified first, then the rotation continues where the
  // last run stopped.
  std::vector<size_t> Select(const std::vector<VerifyItem>& items);
  void Record(const VerifyItem& item, const VerifyOutcome& outcome);
  // Share of the set's bytes verified intact within the last ceil(1/fraction) runs.
  double Coverage(const std::vector<VerifyItem>& items) const;
  // The age of the oldest byte not read back intact since: per file, since its last intact read
  // (unchanged since), else since it was written (its modification time).
  absl::Duration CoverageAge(const std::vector<VerifyItem>& items) const;
  // Files whose last verification found a mismatch and that have not changed since.
  std::vector<std::string> KnownCorrupt(const std::vector<VerifyItem>& items) const;
  // The state to save, with files no longer in the set forgotten.
  nlohmann::json Finish(const std::vector<VerifyItem>& items);

 private:
  bool Unchanged(const VerifyItem& item) const;
  const double fraction_;
  const absl::Time now_;
  RotationLedger ledger_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_VERIFIER_H_
