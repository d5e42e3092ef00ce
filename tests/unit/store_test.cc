// The evidence store: exactly-once group commits, the hash chain, tamper detection, pruning.
// Runs against SQLite here; the PostgreSQL store runs the same suite (store_suite.h).
#include "collector/store/sqlite_db.h"
#include "collector/store/sqlite_store.h"
#include "tests/unit/store_suite.h"

namespace paraat {
namespace {

class SqliteStoreFactory : public StoreFactory {
 public:
  std::unique_ptr<Store> Make() override { return std::make_unique<SqliteStore>(dir_ / "paraat.db"); }
  // Runs raw SQL against the database behind the store's back (tampering).
  void Tamper(const std::string& sql) override {
    auto db = SqliteDb::Open(dir_ / "paraat.db", false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(sql.c_str()).ok()) << sql;
  }
  std::string Name() const override { return "sqlite"; }

 private:
  testing::TempDir dir_;
};

std::unique_ptr<StoreFactory> MakeSqliteFactory() { return std::make_unique<SqliteStoreFactory>(); }

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(&MakeSqliteFactory), StoreBackEndName);
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTreeTest, ::testing::Values(&MakeSqliteFactory), StoreBackEndName);

}  // namespace
}  // namespace paraat
