// file_backup: backups written as files. The newest file matching `path` (a glob) is the
// latest recovery point; it must be at least `min_size`, and with `checksum: sidecar` its
// SHA-256 must match `<file>.sha256` (sha256sum format).
//
//   - id: pg-dump-nightly
//     kind: file_backup
//     interval: 15m
//     path: /backups/pg/*.dump
//     min_size: 1MiB
//     checksum: sidecar
//
// When the newest file is bad, the result is FAILED and the recovery point is the newest
// older file that passes (if any), so the plan sees the real recovery point.
#ifndef PARAAT_AGENT_CHECKS_FILE_BACKUP_H_
#define PARAAT_AGENT_CHECKS_FILE_BACKUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class FileBackupCheck : public Check {
 public:
  enum class Checksum { kNone, kSidecar };

  struct Options {
    std::string pattern;
    uint64_t min_size = 1;
    Checksum checksum = Checksum::kNone;
    int fallback_candidates = 3;  // older files examined when the newest is bad
  };

  explicit FileBackupCheck(Options options) : options_(std::move(options)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);

  void Run(const CheckContext& ctx, paraat::v1::Result* result) override;

 private:
  struct Candidate {
    std::string path;
    uint64_t size = 0;
    absl::Time mtime;
  };
  // Examines one file: "" when good, otherwise what is wrong. Sets *corrupt on a checksum
  // mismatch and fills *digest when verified. An I/O error aborts the run (returned status).
  absl::Status Examine(const CheckContext& ctx, const Candidate& c, std::string* problem, bool* corrupt,
                       std::string* digest, uint64_t* verified_bytes);

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_FILE_BACKUP_H_
