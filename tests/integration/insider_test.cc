// Evidence an auditor can trust without trusting the operator (issue 14), against real
// processes: an insider with write access to the SQLite store rolls it back, edits a record and
// recomputes every chain hash after it, deletes the newest records, or swaps two. The chain
// check (`paraatctl evidence verify`) is fooled by all but the rollback's missing records; the
// auditor's earlier export is not: `verify --against` (the running collector) and `verify
// --export NEW --previous OLD` (offline) name the first record affected. Forged exports fail
// `verify --export` with what was forged.
#include <csignal>

#include "absl/strings/str_cat.h"
#include "common/base64.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"
#include "tests/testlib/tsa.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

// Rewrites the chain as an insider who knows its hashing would: runs `sql` on the database,
// then recomputes every record's hash from seq `from` on and moves the chain head to the last.
constexpr char kRechain[] = R"py(
import hashlib, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
start = int(sys.argv[2])
if len(sys.argv) > 3:
    db.executescript(sys.argv[3])
if len(sys.argv) > 6:  # seq, old text, new text: an edit of the record's bytes
    edit = int(sys.argv[4])
    payload = db.execute("SELECT payload FROM evidence WHERE seq = ?", (edit,)).fetchone()[0]
    db.execute("UPDATE evidence SET payload = ? WHERE seq = ?",
               (payload.replace(sys.argv[5].encode(), sys.argv[6].encode()), edit))
row = db.execute("SELECT hash FROM evidence WHERE seq = ?", (start - 1,)).fetchone()
prev = row[0] if row else hashlib.sha256(b"paraat evidence genesis").digest()
last = start - 1
rows = db.execute("SELECT seq, recorded_ns, type, payload FROM evidence WHERE seq >= ? ORDER BY seq", (start,))
for seq, ns, typ, payload in rows.fetchall():
    prev = hashlib.sha256(prev + b"paraat-evidence-v1" + struct.pack(">Qq", seq, ns) + bytes([typ]) + payload).digest()
    db.execute("UPDATE evidence SET hash = ? WHERE seq = ?", (prev, seq))
    last = seq
db.execute("UPDATE chain SET head_seq = ?, head_hash = ? WHERE id = 1", (last, prev))
db.commit()
)py";

class InsiderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HaveProgram("sqlite3")) << "Debian's sqlite3 is needed: scripts/test.sh installs it";
    ASSERT_TRUE(HaveProgram("python3"));
    WriteBackup(dir_ / "backups/db-1.dump", 1 << 16, true);
    WriteFileOrDie(dir_ / "plans/brp.yaml", R"(id: brp
name: Basisregistratie Personen
objectives: {rpo: 15m, rto: 4h}
sources:
  recovery_point: [itest-01/db-dump]
  integrity: [itest-01/db-dump]
)");
    WriteFileOrDie(dir_ / "rechain.py", kRechain);
    Start("collector.log");
    WriteFileOrDie(dir_ / "agent.yaml",
                   absl::StrCat("agent: {id: itest-01}\ncollector: {address: ", collector_.address(), R"(}
spool: {dir: spool}
checks:
  - {id: db-dump, kind: file_backup, interval: 1m, path: backups/*.dump, checksum: sidecar}
)"));
    RunResult once = RunCommand({AgentBin(), "--config", dir_ / "agent.yaml", "--once"});
    ASSERT_EQ(once.exit_code, 0) << once.output;
    for (int i = 0; i < 4; ++i) Exercise(i);
  }

  void Start(const std::string& log) {
    auto c = StartCollector(dir_.path(), dir_ / "plans", "", port_, log);
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }
  void Stop() {
    collector_.process->Signal(SIGTERM);
    ASSERT_EQ(collector_.process->Wait(absl::Seconds(30)), 0);
  }
  void Exercise(int n) {
    RunResult r = Ctl({"exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date", absl::StrCat(n + 2, "d"),
                       "--outcome", "passed", "--notes", absl::StrCat("exercise ", n)});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address()});
    return RunCommand(args);
  }
  void Export(const std::string& name) {
    RunResult r = Ctl({"evidence", "export", "--all", "--format", "json", "-o", dir_ / name});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::string Sql(const std::string& sql) { return RunCommand({"sqlite3", dir_ / "paraat.db", sql}).output; }
  void Rechain(uint64_t from, const std::string& sql, std::vector<std::string> edit = {}) {
    std::vector<std::string> argv = {"python3", dir_ / "rechain.py", dir_ / "paraat.db", std::to_string(from), sql};
    argv.insert(argv.end(), edit.begin(), edit.end());
    RunResult r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // After the attack: the collector runs on, and both the online and the offline check name
  // `first` as the first record affected.
  void ExpectCaught(uint64_t first) {
    Start("collector2.log");
    Exercise(7);
    const std::string record = absl::StrCat("record ", first, ":");
    RunResult against = Ctl({"evidence", "verify", "--against", dir_ / "before.json"});
    EXPECT_EQ(against.exit_code, 1) << against.output;
    EXPECT_THAT(against.output, HasSubstr(record)) << against.output;
    Export("after.json");
    RunResult offline = Ctl({"evidence", "verify", "--export", dir_ / "after.json", "--trust",
                             dir_ / "signing_key.pem.pub", "--previous", dir_ / "before.json"});
    EXPECT_EQ(offline.exit_code, 1) << offline.output;
    EXPECT_THAT(offline.output, HasSubstr(record)) << offline.output;
  }

  TempDir dir_;
  int port_ = FreePort();
  CollectorProcess collector_;
};

TEST_F(InsiderTest, AnHonestStoreVerifiesOnlineAndOffline) {
  Export("before.json");
  Exercise(5);
  RunResult against = Ctl({"evidence", "verify", "--against", dir_ / "before.json"});
  EXPECT_EQ(against.exit_code, 0) << against.output;
  EXPECT_THAT(against.output, HasSubstr("the store still holds everything"));
  Stop();
  Start("collector2.log");  // a restart changes nothing
  Export("after.json");
  RunResult v = Ctl({"evidence", "verify", "--export", dir_ / "after.json", "--trust", dir_ / "signing_key.pem.pub",
                     "--previous", dir_ / "before.json"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("records proven against its checkpoint"));
  EXPECT_THAT(v.output, HasSubstr("the log still holds everything"));
}

TEST_F(InsiderTest, RollingTheStoreBackIsCaught) {
  Stop();
  ASSERT_EQ(RunCommand({"cp", dir_ / "paraat.db", dir_ / "snapshot.db"}).exit_code, 0);
  const uint64_t snapshot_head = std::stoull(Sql("SELECT max(seq) FROM evidence"));
  Start("collector1.log");
  Exercise(5);
  Exercise(6);
  Export("before.json");
  Stop();
  ASSERT_EQ(RunCommand({"cp", dir_ / "snapshot.db", dir_ / "paraat.db"}).exit_code, 0);
  ExpectCaught(snapshot_head + 1);
}

TEST_F(InsiderTest, EditingARecordAndRecomputingTheChainIsCaught) {
  Export("before.json");
  Stop();
  const uint64_t edited = std::stoull(Sql("SELECT min(seq) FROM evidence WHERE type = 1"));
  Rechain(edited, "", {std::to_string(edited), "sha256 verified", "sha256 VERIFIED"});
  ASSERT_EQ(Sql("SELECT count(*) FROM evidence WHERE instr(payload, CAST('sha256 VERIFIED' AS BLOB)) > 0"), "1\n");
  Start("collector1.log");
  RunResult chain = Ctl({"evidence", "verify"});
  EXPECT_EQ(chain.exit_code, 0) << "the chain alone is fooled: " << chain.output;
  Stop();
  ExpectCaught(edited);
}

TEST_F(InsiderTest, DeletingTheNewestRecordsIsCaught) {
  Export("before.json");
  Stop();
  const uint64_t head = std::stoull(Sql("SELECT max(seq) FROM evidence"));
  const uint64_t keep = head - 4;
  // With the side tables that name them, as a careful insider would.
  std::string sql;
  for (const char* table : {"evidence", "exercises", "history", "plan_state", "plan_version", "tree_checkpoints"}) {
    absl::StrAppend(&sql, "DELETE FROM ", table, " WHERE seq > ", keep, ";");
  }
  absl::StrAppend(&sql, "DELETE FROM batches WHERE first_seq > ", keep, ";");
  Rechain(keep + 1, sql);
  ExpectCaught(keep + 1);
}

TEST_F(InsiderTest, SwappingTwoRecordsIsCaught) {
  Export("before.json");
  Stop();
  const std::string seqs = Sql("SELECT seq FROM evidence WHERE type = 3 ORDER BY seq LIMIT 2");
  const uint64_t a = std::stoull(seqs), b = std::stoull(seqs.substr(seqs.find('\n') + 1));
  Rechain(a, absl::StrCat("CREATE TEMP TABLE s AS SELECT seq, payload FROM evidence WHERE seq IN (", a, ", ", b,
                          "); UPDATE evidence SET payload = (SELECT payload FROM s WHERE s.seq = CASE evidence.seq "
                          "WHEN ",
                          a, " THEN ", b, " ELSE ", a, " END) WHERE seq IN (", a, ", ", b, ");"));
  ExpectCaught(a);
}

TEST_F(InsiderTest, ForgedExportsFailOfflineVerification) {
  Export("e.json");
  const std::string pub = dir_ / "signing_key.pem.pub";
  auto verify = [&](const nlohmann::json& j) {
    WriteFileOrDie(dir_ / "forged.json", j.dump(2));
    return Ctl({"evidence", "verify", "--export", dir_ / "forged.json", "--trust", pub});
  };
  const nlohmann::json original = nlohmann::json::parse(ReadFileOrDie(dir_ / "e.json"));
  ASSERT_EQ(verify(original).exit_code, 0) << verify(original).output;
  ASSERT_GE(original["records"].size(), 3u);
  size_t exercise = 0;
  while (original["records"][exercise]["type"] != "exercise") ++exercise;
  const uint64_t seq = original["records"][exercise]["seq"];

  nlohmann::json edited = original;  // a record's fields edited, its proof left alone
  edited["records"][exercise]["exercise"]["passed"] = false;
  RunResult r = verify(edited);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("record ", seq, ": the export's fields differ")));

  nlohmann::json proof = original;  // another record's proof
  proof["records"][exercise]["proof"]["path"] = original["records"][exercise + 1]["proof"]["path"];
  proof["records"][exercise]["proof"]["leaf_index"] = original["records"][exercise + 1]["proof"]["leaf_index"];
  r = verify(proof);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("record ", seq, ": ")));

  // A checkpoint signed by another key: not trusted, whatever it says.
  ASSERT_EQ(RunCommand({"openssl", "genpkey", "-algorithm", "ed25519", "-out", dir_ / "other.pem"}).exit_code, 0);
  ASSERT_EQ(RunCommand({"openssl", "pkey", "-in", dir_ / "other.pem", "-pubout", "-out", dir_ / "other.pub"}).exit_code,
            0);
  r = Ctl({"evidence", "verify", "--export", dir_ / "e.json", "--trust", dir_ / "other.pub"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("the checkpoint of "));
}

TEST_F(InsiderTest, ASigningKeyOthersMayReadIsRefused) {
  Stop();
  ASSERT_EQ(RunCommand({"chmod", "644", dir_ / "signing_key.pem"}).exit_code, 0);
  WriteFileOrDie(dir_ / "bad.yaml", absl::StrCat("storage: sqlite://", dir_ / "other.db",
                                                 "\nplans_dir: ", dir_ / "plans", "\nsigning_key: signing_key.pem\n"));
  RunResult r = RunCommand({CollectorBin(), "--config", dir_ / "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("bad.yaml:3: signing_key: "));
  EXPECT_THAT(r.output, HasSubstr("chmod 600"));
}

// A real RFC 3161 TSA (`openssl ts -reply` on loopback): the export's checkpoint carries its
// token, which openssl verifies alone; a TSA that is down delays tokens, never records.
TEST(TimestampingTest, CheckpointsGetTokensOpensslVerifies) {
  TempDir dir;
  ASSERT_EQ(RunCommand({"mkdir", "-p", dir / "tsa", dir / "plans"}).exit_code, 0);
  MakeTsaFiles(dir / "tsa");
  FakeTsa tsa(dir / "tsa");
  WriteFileOrDie(dir / "plans/brp.yaml",
                 "id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\nsources: {recovery_point: [x/y]}\n");
  auto c = StartCollector(dir.path(), dir / "plans",
                          absl::StrCat("timestamping: {url: ", tsa.url(), ", ca: ", dir / "tsa/ca.pem", "}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", c->address()});
    return RunCommand(args);
  };
  RunResult r =
      ctl({"exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date", "1d", "--outcome", "passed"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = ctl({"evidence", "export", "--all", "--format", "json", "-o", dir / "e.json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json e = nlohmann::json::parse(ReadFileOrDie(dir / "e.json"));
  ASSERT_TRUE(e["evidence"].contains("timestamp_token")) << e["evidence"].dump();
  std::string token;
  ASSERT_TRUE(Base64Decode(e["evidence"]["timestamp_token"].get<std::string>(), &token));
  WriteFileOrDie(dir / "checkpoint.txt", e["evidence"]["checkpoint"].get<std::string>());
  WriteFileOrDie(dir / "checkpoint.tsr", token);
  r = RunCommand({"openssl", "ts", "-verify", "-data", dir / "checkpoint.txt", "-in", dir / "checkpoint.tsr",
                  "-token_in", "-CAfile", dir / "tsa/ca.pem"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Verification: OK"));
  r = ctl({"evidence", "verify", "--export", dir / "e.json", "--trust", dir / "signing_key.pem.pub", "--tsa-ca",
           dir / "tsa/ca.pem"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("time-stamped"));

  // The TSA goes down: records are still taken and exported, the token follows later.
  tsa.set_mode(FakeTsa::Mode::kHttpError);
  r = ctl({"exercise", "record", "--plan", "brp", "--kind", "restore", "--date", "1d", "--outcome", "passed"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = ctl({"evidence", "export", "--all", "--format", "json", "-o", dir / "down.json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(nlohmann::json::parse(ReadFileOrDie(dir / "down.json"))["evidence"].contains("timestamp_token"));
  EXPECT_THAT(c->process->Log(), HasSubstr("time stamp for the checkpoint of"));
  auto metrics = HttpGet(c->metrics_url());
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(*metrics, ::testing::Not(HasSubstr("paraat_evidence_timestamp_errors_total 0\n")));
}

}  // namespace
}  // namespace paraat::testing
