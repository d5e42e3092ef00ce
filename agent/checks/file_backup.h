// file_backup: backups written as files.
//
//   - id: pg-dump-nightly
//     kind: file_backup
//     interval: 15m
//     path: /backups/pg/*.dump     # newest match is the latest recovery point
//     min_size: 1MiB
//     checksum: sidecar            # none | sidecar | manifest
//     verify: newest               # newest | all (with sidecar)
//     verify_fraction: 10%         # with verify: all or a manifest: rotate, every byte within 10 runs
//     max_read_rate: 200MB/s       # do not saturate production disks
//     parallel: 2                  # files verified at once (default: one per core)
//     verify_within: 30d           # warning when a byte goes unread longer (with verify_fraction)
//     sample_entropy: true         # false for backups encrypted by design (the default: true)
//
// checksum: sidecar — each file has `<file>.sha256` (sha256sum format). With verify: newest
// only the newest file is read back; with verify: all every retained backup is.
// checksum: manifest — `manifest: /backups/nightly/*/SHA256SUMS` names a sha256sum-style list
// of many files (paths relative to the manifest); the newest manifest is the latest backup set,
// its modification time the recovery point, and every file it lists must exist and match.
//
// The newest backup (a manifest's whole set) counts as an immutable copy (facts.immutable, detail
// "immutable") when its files carry the immutable or append-only attribute or lie on a read-only
// mount (checks/support/immutability.h); the agent only looks, it never tries to delete.
//
// The newest backup's (set's) content entropy is sampled, 16 blocks of 64 KiB
// (facts.content_entropy_bits, checks/support/entropy.h): the collector's encryption indicator.
//
// When the newest backup is bad, the result is FAILED and the recovery point is the newest
// older backup that passes, so the plan sees the real recovery point.
#ifndef PARAAT_AGENT_CHECKS_FILE_BACKUP_H_
#define PARAAT_AGENT_CHECKS_FILE_BACKUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/registry.h"
#include "agent/verifier.h"

namespace paraat {

class FileBackupCheck : public Check {
 public:
  static constexpr char kName[] = "file_backup";
  static constexpr char kSummary[] = "newest file matching a glob is the latest recovery point; size and checksums";
  enum class Checksum { kNone, kSidecar, kManifest };

  struct Options {
    std::string pattern;   // backup files (none, sidecar)
    std::string manifest;  // manifest glob (manifest)
    uint64_t min_size = 1;
    Checksum checksum = Checksum::kNone;
    bool verify_all = false;
    double verify_fraction = 1.0;
    uint64_t max_read_rate = 0;
    int parallel = 0;
    int fallback_candidates = 3;                          // older files examined when the newest is bad
    absl::Duration verify_within = absl::ZeroDuration();  // 0: no bound on the coverage age
    absl::Duration interval = absl::ZeroDuration();       // the check's, for the rotation's reach
    bool sample_entropy = true;                           // facts.content_entropy_bits of the newest backup
  };

  explicit FileBackupCheck(Options options) : options_(std::move(options)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);

  void Run(const CheckContext& ctx, paraat::v1::Result* result) override;

 private:
  struct File {
    std::string path;
    uint64_t size = 0;
    absl::Time mtime;
  };
  void RunNewest(const CheckContext& ctx, std::vector<File> files, paraat::v1::Result* r);
  void RunSet(const CheckContext& ctx, const std::vector<VerifyItem>& items, absl::Time recovery_point,
              const std::vector<std::string>& missing, uint64_t total_size, const std::string& what,
              paraat::v1::Result* r);
  void RunManifest(const CheckContext& ctx, paraat::v1::Result* r);
  // A warning when the rotation cannot read every byte within verify_within, or has not.
  void WarnCoverageAge(absl::Duration age, paraat::v1::Result* r) const;
  // Immutability of the newest backup's files (`protect`) and the entropy of its data (`sample`).
  void ReportContent(const std::vector<std::string>& protect, const std::vector<std::string>& sample,
                     paraat::v1::Result* r) const;
  // "" when good; otherwise what is wrong. *corrupt on a checksum mismatch.
  absl::Status Examine(const CheckContext& ctx, const File& f, std::string* problem, bool* corrupt, std::string* digest,
                       uint64_t* verified_bytes);

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_FILE_BACKUP_H_
