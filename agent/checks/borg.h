// borg: the latest archive is the recovery point; `borg check` (which reads every segment and
// verifies its checksum; with verify_data also every chunk cryptographically) is the
// integrity evidence.
//
//   - id: borg-offsite
//     kind: borg
//     interval: 6h
//     repository: /srv/borg              # or ssh://backup@host/./repo
//     passphrase_file: /etc/paraat/borg.pass   # or passphrase_env; none for unencrypted repos
//     glob_archives: "db-01-*"           # optional archive filter
//     verify_data: false
//     check: true
//
// A repository whose config says append_only = 1 (borg init --append-only, borg config REPO
// append_only 1) counts as an immutable copy (facts.immutable): no client can delete or prune
// its archives. `borg serve --append-only` on the server is invisible to the client.
#ifndef PARAAT_AGENT_CHECKS_BORG_H_
#define PARAAT_AGENT_CHECKS_BORG_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/checks/support/tool.h"
#include "agent/registry.h"
#include "agent/secrets.h"

namespace paraat {

class BorgCheck : public Check {
 public:
  static constexpr char kName[] = "borg";
  static constexpr char kSummary[] = "latest archive; borg check (optionally --verify-data)";
  struct Options {
    std::string binary = "borg";
    std::string repository;
    SecretRef passphrase;
    std::string glob_archives;
    bool check = true;
    bool verify_data = false;
  };
  explicit BorgCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  // The environment borg runs with: never prompting, its cache in the state directory.
  bool SetEnvironment(const CheckContext& ctx, ToolSession* tool, paraat::v1::Result* r) const;
  // Sets the recovery point and details from `borg list --json`; false (the result filled in)
  // when there is no archive.
  bool ReportNewestArchive(const std::string& json, paraat::v1::Result* r, std::string* summary) const;
  // facts.immutable from the repository's append_only setting (`borg config`); a failure to
  // read it leaves it unset, never fails the check.
  void ReportAppendOnly(ToolSession* tool, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_BORG_H_
