// Backup verification, end to end: the real agent runs restic and restore tests, the real
// collector turns their findings into plan states. Corruption, a failed, timed-out or too slow
// restore test each make a plan not_ready; the healthy plan stays ready.
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

std::string Plan(const std::string& id, const std::string& rto, const std::string& sources) {
  return absl::StrCat("id: ", id, "\nname: ", id, "\nobjectives: {rpo: 1h, rto: ", rto, "}\nsources:\n", sources);
}

TEST(BackupPlans, CorruptionAndBadRestoreTestsMakePlansNotReady) {
  ASSERT_TRUE(HaveProgram("restic")) << "Debian's restic is needed: scripts/test.sh installs it";
  TempDir dir;
  WriteFileOrDie(dir / "pw", "plan test password\n");
  ::chmod((dir / "pw").c_str(), 0600);
  WriteBackup(dir / "data/a.bin", 2 << 20, false);
  std::map<std::string, std::string> env = {{"RESTIC_PASSWORD_FILE", dir / "pw"}, {"RESTIC_CACHE_DIR", dir / "c"}};
  ASSERT_EQ(RunCommand({"restic", "-r", dir / "repo", "init"}, absl::Seconds(60), "", env).exit_code, 0);
  ASSERT_EQ(RunCommand({"restic", "-r", dir / "repo", "backup", dir / "data"}, absl::Seconds(60), "", env).exit_code,
            0);

  WriteFileOrDie(dir / "plans/healthy.yaml", Plan("healthy", "1h",
                                                  "  recovery_point: [t1/restic]\n  integrity: [t1/restic]\n"
                                                  "  restore_test: [t1/drill-ok]\n"));
  WriteFileOrDie(dir / "plans/slow.yaml", Plan("slow", "1s", "  restore_test: [t1/drill-slow]\n"));
  WriteFileOrDie(dir / "plans/broken.yaml", Plan("broken", "1h", "  restore_test: [t1/drill-fail]\n"));
  WriteFileOrDie(dir / "plans/hung.yaml", Plan("hung", "1h", "  restore_test: [t1/drill-hung]\n"));
  auto collector = StartCollector(dir.path(), dir / "plans");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(), R"(}
spool: {dir: spool}
checks:
  - {id: restic, kind: restic, interval: 1h, repository: repo, password_file: pw, read_data_subset: 100%}
  - {id: drill-ok, kind: restore_test, interval: 24h, recipe: restic, repository: repo, password_file: pw}
  - {id: drill-slow, kind: restore_test, interval: 24h, command: [sleep, "2"]}
  - {id: drill-fail, kind: restore_test, interval: 24h, command: [sh, -c, "echo disk full >&2; exit 1"]}
  - {id: drill-hung, kind: restore_test, interval: 24h, timeout: 1s, command: [sleep, "30"]}
)"));
  RunResult once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
  ASSERT_EQ(once.exit_code, 1) << once.output;  // some restore tests failed: the agent says so
  EXPECT_THAT(once.output, HasSubstr("restic (restic): OK"));

  auto states = [&] {
    RunResult s = RunCommand({CtlBin(), "--collector", collector->address(), "status", "--json"});
    std::map<std::string, std::pair<std::string, std::string>> out;
    auto j = nlohmann::json::parse(s.output, nullptr, false);
    if (!j.is_object()) return out;
    for (const auto& p : j["plans"]) {
      std::string codes;
      for (const auto& r : p["reasons"]) codes += r["code"].get<std::string>() + " ";
      out[p["plan"]] = {p["state"], codes};
    }
    return out;
  };
  // Acknowledged means stored; the evaluation follows a moment later.
  std::map<std::string, std::pair<std::string, std::string>> s;
  WaitFor(
      [&] {
        s = states();
        return s["healthy"].first == "ready" && s["slow"].first == "not_ready" && s["broken"].first == "not_ready" &&
               s["hung"].first == "not_ready";
      },
      absl::Seconds(10));
  EXPECT_EQ(s["healthy"].first, "ready") << s["healthy"].second;
  EXPECT_EQ(s["slow"].first, "not_ready");
  EXPECT_THAT(s["slow"].second, HasSubstr("rto_exceeded"));
  EXPECT_EQ(s["broken"].first, "not_ready");
  EXPECT_THAT(s["broken"].second, HasSubstr("restore_test_failed"));
  EXPECT_EQ(s["hung"].first, "not_ready");
  EXPECT_THAT(s["hung"].second, HasSubstr("restore_test_failed"));

  // Flip bytes in a pack: the next run finds it, and the healthy plan is healthy no more.
  std::string largest;
  uintmax_t size = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "repo/data")) {
    if (e.is_regular_file() && e.file_size() > size) {
      size = e.file_size();
      largest = e.path();
    }
  }
  ::chmod(largest.c_str(), 0644);
  std::string data = ReadFileOrDie(largest);
  data[data.size() / 3] ^= 0x10;
  WriteFileOrDie(largest, data);
  once = RunCommand({AgentBin(), "--config", dir / "agent.yaml", "--once"}, absl::Seconds(120));
  EXPECT_THAT(once.output, HasSubstr("integrity CORRUPT"));
  WaitFor(
      [&] {
        s = states();
        return s["healthy"].first == "not_ready";
      },
      absl::Seconds(10));
  EXPECT_EQ(s["healthy"].first, "not_ready");
  EXPECT_THAT(s["healthy"].second, HasSubstr("integrity_corrupt"));
}

}  // namespace
}  // namespace paraat::testing
