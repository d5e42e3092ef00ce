// pgbackrest: `pgbackrest info` per stanza — the newest good backup is the recovery point, with
// the last full, differential and incremental backups and the WAL archive range as evidence;
// optionally `pgbackrest verify` reads the repository back against its checksums.
//
//   - id: pgbackrest-main
//     kind: pgbackrest
//     interval: 1h
//     stanza: main
//     config: /etc/pgbackrest/pgbackrest.conf   # optional
//     verify: true
#ifndef PARAAT_AGENT_CHECKS_PGBACKREST_H_
#define PARAAT_AGENT_CHECKS_PGBACKREST_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/checks/support/tool.h"
#include "agent/registry.h"
#include "nlohmann/json.hpp"

namespace paraat {

class PgBackRestCheck : public Check {
 public:
  static constexpr char kName[] = "pgbackrest";
  static constexpr char kSummary[] = "pgbackrest info per stanza; optional pgbackrest verify";
  struct Options {
    std::string binary = "pgbackrest";
    std::string stanza;
    std::string config;
    bool verify = false;
  };
  explicit PgBackRestCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  struct Backups {
    std::string summary;
    bool newest_bad = false;  // the latest backup has errors (an older one is the recovery point)
  };
  std::vector<std::string> Base() const;
  // Sets the recovery point and details from the stanza's info; false (the result filled in)
  // when there is no valid backup.
  bool ReportBackups(const nlohmann::json& stanza, paraat::v1::Result* r, Backups* out) const;
  // pgbackrest verify, and the result's verdict.
  void Verify(ToolSession* tool, const Backups& backups, paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_PGBACKREST_H_
