// How random a backup's bytes look: the Shannon entropy of sampled blocks, in bits per byte
// (0 to 8). Database dumps, tar archives and logs lie well below 7; compressed or encrypted data
// lies near 8. A source whose backups were compressible and whose newest one is near-random was
// likely encrypted before it was backed up (ransomware); the collector judges that against the
// source's earlier backups (collector/evaluation/entropy_anomaly.h). Reads a bounded sample,
// never the whole backup.
//
//   absl::StatusOr<double> bits = SampleEntropy({"/backups/db.dump"});
//
// Thread-safe (no state).
#ifndef PARAAT_AGENT_CHECKS_SUPPORT_ENTROPY_H_
#define PARAAT_AGENT_CHECKS_SUPPORT_ENTROPY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace paraat {

struct EntropySample {
  size_t blocks = 16;             // spread evenly over the files' bytes, end to end
  size_t block_size = 64 * 1024;  // each read whole (a file's last block may be shorter)
};

// Shannon entropy of the byte values in `data`, bits per byte; 0 for empty data.
double ByteEntropy(absl::string_view data);

// The mean entropy of `sample.blocks` blocks spread over `paths` taken as one stream (a backup
// set's files in order). An error when a file cannot be read, or when there are no bytes at all.
absl::StatusOr<double> SampleEntropy(const std::vector<std::string>& paths, EntropySample sample = {});

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_SUPPORT_ENTROPY_H_
