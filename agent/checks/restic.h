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
//     check: true                          # false: snapshots only
//
// Snapshots are listed without a lock; the check takes restic's own lock and never removes
// one: a repository locked by a running backup is reported as locked (a warning), not corrupt.
#ifndef PARAAT_AGENT_CHECKS_RESTIC_H_
#define PARAAT_AGENT_CHECKS_RESTIC_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
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
    double read_data_subset = 0;  // 0: structure only
  };
  explicit ResticCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

  // Exposed for the restore_test recipe.
  const Options& options() const { return options_; }

 private:
  // Sets the recovery point and details from `restic snapshots --json`; false (the result
  // filled in) when there is none.
  bool ReportNewestSnapshot(const std::string& json, paraat::v1::Result* r, std::string* summary) const;
  // restic check, reading back the next data subset of the rotation; the result's verdict.
  void CheckIntegrity(const CheckContext& ctx, ToolSession* tool, const std::string& summary,
                      paraat::v1::Result* r) const;

  const Options options_;
};

// Reads the restic connection keys (repository, password, filters, binary) shared by the
// restic check and the restic restore recipe.
void ReadResticKeys(YamlMap& keys, const CheckEnv& env, ResticCheck::Options* o);
// Environment for running restic: the password (by file or value) and a cache in `state_dir`.
absl::StatusOr<std::map<std::string, std::string>> ResticEnv(const ResticCheck::Options& o,
                                                             const std::string& state_dir,
                                                             std::vector<std::string>* secrets);
// Classifies a failed restic invocation into a short message.
std::string ResticFailure(const std::string& output, const std::string& repository);
// `restic snapshots` filter arguments.
std::vector<std::string> ResticFilters(const ResticCheck::Options& o);

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_RESTIC_H_
