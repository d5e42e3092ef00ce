// restic: the latest snapshot is the recovery point; `restic check` (optionally reading back a
// rotating subset of the data) is the integrity evidence.
//
//   - id: restic-offsite
//     kind: restic
//     interval: 1h
//     repository: /srv/restic             # or sftp:..., s3:..., rest:...
//     password_file: /etc/paraat/restic.pass   # or password_env: RESTIC_PASSWORD
//     host: db-01                          # optional snapshot filters
//     tags: [nightly]
//     paths: [/var/lib/postgresql]
//     read_data_subset: 5%                 # rotating: every pack is read within 20 runs
//     verify_within: 30d                   # warning when a subset goes unread back longer
//     check: true                          # false: snapshots only
//
// With read_data_subset the value coverage_age is the age of the oldest byte not read
// back since: per subset, since it last read back intact (remembered in the check's state), a
// subset never read back since the oldest snapshot.
//
// Snapshots are listed without a lock; the check takes restic's own lock and never removes
// one: a repository locked by a running backup is reported as locked (a warning), not corrupt.
//
// The restore_test recipe `restic` restores the latest snapshot (with the same filters) into the
// scratch folder and compares the number of entries and bytes with `restic stats`:
//
//   - id: restic-restore
//     kind: restore_test
//     interval: 24h
//     recipe: restic
//     repository: /srv/restic
//     password_file: /etc/paraat/restic.pass
//     snapshot: latest                     # or an id
//     compare: true
#ifndef PARAAT_AGENT_CHECKS_RESTIC_H_
#define PARAAT_AGENT_CHECKS_RESTIC_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/checks/support/restore_recipe.h"
#include "agent/checks/support/tool.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

class ResticCheck : public Check {
 public:
  static constexpr char kName[] = "restic";
  static constexpr char kSummary[] = "latest snapshot; restic check with a rotating read-data subset";
  struct Options {
    std::string binary = "restic";
    std::string repository;
    SecretRef password;
    std::string host;
    std::vector<std::string> tags;
    std::vector<std::string> paths;
    bool check = true;
    double read_data_subset = 0;                          // 0: structure only
    absl::Duration verify_within = absl::ZeroDuration();  // 0: no bound on the coverage age
    absl::Duration interval = absl::ZeroDuration();       // the check's, for the rotation's reach
  };
  explicit ResticCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // Sets the recovery point and details from `restic snapshots --json`, and *oldest to the
  // oldest snapshot's time; false (the result filled in) when there is none.
  bool ReportNewestSnapshot(const std::string& json, paraat::v1::Result* r, std::string* summary,
                            absl::Time* oldest) const;
  // restic check, reading back the next data subset of the rotation; the result's verdict.
  // `oldest` dates the data of a subset never read back.
  void CheckIntegrity(const CheckContext& ctx, ToolSession* tool, const std::string& summary, absl::Time oldest,
                      paraat::v1::Result* r) const;

  const Options options_;
};

// restore_test recipe `restic`: restores a snapshot and compares it with restic's own count.
class ResticRestore : public RestoreRecipe {
 public:
  static constexpr char kName[] = "restic";
  struct Options {
    ResticCheck::Options restic;
    std::string snapshot = "latest";
    bool compare = true;
  };
  explicit ResticRestore(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
  std::string Resource() const override { return "restic:" + options_.restic.repository; }
  bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;

 private:
  // The snapshot to restore, resolved to an id (with its time as the recovery point); "" when
  // there is none or it cannot be listed (the result filled in).
  std::string Resolve(const RestoreDrill& drill, const std::map<std::string, std::string>& env,
                      const std::vector<std::string>& secrets, paraat::v1::Result* r) const;
  // Compares what was restored in `target` with `restic stats` of snapshot `id`.
  bool Compare(const RestoreDrill& drill, const std::map<std::string, std::string>& env,
               const std::vector<std::string>& secrets, const std::string& id, const std::string& target,
               paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_RESTIC_H_
