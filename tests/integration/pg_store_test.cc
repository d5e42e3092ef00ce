// The evidence store suite (store_suite.h) against a real PostgreSQL server: a throw-away cluster
// from Debian's postgresql package, one fresh database per test.
#include "collector/store/pg_store.h"

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/testlib/pg_cluster.h"
#include "tests/unit/store_suite.h"

namespace paraat {
namespace {

// One cluster for the whole suite (initdb takes seconds); stopped at exit.
testing::PgCluster* Cluster() {
  static testing::TempDir* dir = new testing::TempDir();
  static std::unique_ptr<testing::PgCluster> cluster = [] {
    auto c = testing::PgCluster::Create(*dir / "pg");
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }();
  return cluster.get();
}

class PgStoreFactory : public StoreFactory {
 public:
  PgStoreFactory() {
    static std::atomic<int> n{0};
    db_ = absl::StrCat("store_test_", n++);
    testing::RunResult r = Cluster()->Sql(absl::StrCat("CREATE DATABASE ", db_));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  std::unique_ptr<Store> Make() override { return std::make_unique<PgStore>(Cluster()->dsn(db_)); }
  void Tamper(const std::string& sql) override {
    testing::RunResult r = Cluster()->Sql(sql, db_);
    ASSERT_EQ(r.exit_code, 0) << sql << ": " << r.output;
  }
  std::string Name() const override { return "postgresql"; }

 private:
  std::string db_;
};

std::unique_ptr<StoreFactory> MakePgFactory() {
  // Missing PostgreSQL fails the test rather than skipping it.
  EXPECT_FALSE(testing::PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
  if (testing::PgBinDir().empty() || Cluster() == nullptr) return nullptr;
  return std::make_unique<PgStoreFactory>();
}

INSTANTIATE_TEST_SUITE_P(Postgresql, StoreTest, ::testing::Values(&MakePgFactory), StoreBackEndName);
INSTANTIATE_TEST_SUITE_P(Postgresql, StoreTreeTest, ::testing::Values(&MakePgFactory), StoreBackEndName);

// What only a shared store has to get right: several collectors writing one chain at once.
class SharedPgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(testing::PgBinDir().empty()) << "PostgreSQL is needed: scripts/test.sh installs it";
    ASSERT_NE(Cluster(), nullptr);
    factory_ = std::make_unique<PgStoreFactory>();
  }
  std::unique_ptr<Store> Open() {
    auto s = factory_->Make();
    EXPECT_TRUE(s->Open().ok());
    return s;
  }
  std::unique_ptr<PgStoreFactory> factory_;
};

TEST_F(SharedPgStoreTest, TwoCollectorsCommittingAtOnceMakeOneChain) {
  auto a = Open(), b = Open();
  // Each "collector" commits 200 batches of 5 from its own agent, plus every tenth batch of the
  // other's agent again (an agent that failed over and resent): stored once either way.
  auto run = [](Store* store, const std::string& agent, const std::string& other) {
    for (uint64_t seq = 1; seq <= 200; ++seq) {
      std::vector<WriteGroup> owned;
      owned.reserve(2);
      for (const std::string& who : {agent, other}) {
        if (who == other && seq % 10 != 0) continue;
        WriteGroup g;
        g.agent_id = who;
        g.spool_epoch = 1;
        g.sequence = seq;
        for (int i = 0; i < 5; ++i) {
          PendingRecord pr;
          pr.payload = absl::StrCat(who, "/", seq, "/", i);
          g.records.push_back(std::move(pr));
        }
        owned.push_back(std::move(g));
      }
      std::vector<WriteGroup*> groups;
      for (auto& g : owned) groups.push_back(&g);
      ASSERT_TRUE(store->Commit(groups, absl::Now()).ok());
    }
  };
  std::thread ta([&] { run(a.get(), "agent-a", "agent-b"); });
  std::thread tb([&] { run(b.get(), "agent-b", "agent-a"); });
  ta.join();
  tb.join();
  // 2 agents x 200 batches x 5 records, each once, numbered without gaps, one valid chain.
  auto stats = a->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->head_seq, 2000u);
  auto v = b->Verify(nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->problem();
  EXPECT_EQ(v->records_checked(), 2000u);
  std::set<std::string> payloads;
  ASSERT_TRUE(a->Scan(1, 2000, [&](const StoredRecord& r) {
                 EXPECT_TRUE(payloads.insert(r.payload).second) << "stored twice: " << r.payload;
                 return true;
               }).ok());
  EXPECT_EQ(payloads.size(), 2000u);
}

TEST_F(SharedPgStoreTest, LeadershipPassesWhenTheLeadersSessionEnds) {
  auto a = Open(), b = Open();
  auto la = a->TryLead();
  auto lb = b->TryLead();
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_TRUE(*la);
  EXPECT_FALSE(*lb);
  EXPECT_TRUE(*a->TryLead()) << "the leader keeps leading";
  EXPECT_FALSE(*b->TryLead());
  a.reset();  // the leading collector is gone: its connections close
  bool took = false;
  for (int i = 0; i < 50 && !took; ++i) {
    auto l = b->TryLead();
    took = l.ok() && *l;
    if (!took) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(took);
}

}  // namespace
}  // namespace paraat
