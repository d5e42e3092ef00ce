// restore_test recipe `pg_restore`: restores the newest PostgreSQL dump (pg_dump -Fc) into a
// scratch database on a server of yours, runs a validation query, and drops the database again.
//
//   - id: pg-restore
//     kind: restore_test
//     interval: 24h
//     recipe: pg_restore
//     dump: /backups/pg/*.dump            # the newest match (by modification time)
//     host: /run/postgresql               # the scratch server (socket directory or host)
//     port: 5432
//     user: paraat_restore                # needs CREATEDB
//     password_file: /etc/paraat/pg.pass  # optional
//     validate_query: "SELECT count(*) FROM personen"
//     expect_min: 1
#ifndef PARAAT_AGENT_CHECKS_PG_RESTORE_H_
#define PARAAT_AGENT_CHECKS_PG_RESTORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/checks/support/restore_recipe.h"
#include "agent/checks/support/tool.h"
#include "agent/secrets.h"

namespace paraat {

class PgRestoreRecipe : public RestoreRecipe {
 public:
  static constexpr char kName[] = "pg_restore";
  struct Options {
    std::string dump;
    std::string host, port, user, bin_dir;
    SecretRef password;
    std::string database_prefix = "paraat_restore";
    ValidationQuery validation;
  };
  explicit PgRestoreRecipe(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<RestoreRecipe> Create(YamlMap& keys, const CheckEnv& env);
  bool Run(const RestoreDrill& drill, paraat::v1::Result* r) override;

 private:
  struct Client;
  bool Restore(const RestoreDrill& drill, const Client& pg, const std::string& dump, const std::string& db,
               paraat::v1::Result* r) const;

  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_PG_RESTORE_H_
