// The paths of the built binaries, and starting them: only for integration tests, whose
// library depends on the binaries being built (tests/CMakeLists.txt). Unit tests link
// paraat_testlib_unit and run without them.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

std::string AgentBin() { return PARAAT_AGENT_BIN; }
std::string CollectorBin() { return PARAAT_COLLECTOR_BIN; }
std::string CtlBin() { return PARAAT_CTL_BIN; }
std::string ClockShiftLib() { return PARAAT_CLOCK_SHIFT_LIB; }

absl::StatusOr<CollectorProcess> StartCollector(const std::string& dir, const std::string& plans_dir,
                                                const std::string& extra_yaml, int grpc_port,
                                                const std::string& log_name,
                                                const std::map<std::string, std::string>& env) {
  const bool own_storage = absl::StrContains(extra_yaml, "storage:");
  WriteFileOrDie(
      dir + "/collector.yaml",
      absl::StrCat("listen: 127.0.0.1:", grpc_port, "\nmetrics_listen: 127.0.0.1:0\n",
                   own_storage ? "" : "storage: sqlite://paraat.db\n", "plans_dir: ", plans_dir, "\n", extra_yaml));
  CollectorProcess c;
  auto p = Process::Start({CollectorBin(), "--config", dir + "/collector.yaml"}, dir + "/" + log_name, env);
  if (!p.ok()) return p.status();
  c.process = *std::move(p);
  // The collector logs its bound ports once it serves.
  std::string log = c.process->WaitForLog("metrics on http://", absl::Seconds(30));
  if (log.empty()) {
    return absl::InternalError(absl::StrCat("collector did not start:\n", c.process->Log()));
  }
  size_t serving = log.rfind("serving: gRPC on ");
  std::string line = log.substr(serving);
  c.grpc_port = NumberAfter(line, "gRPC on 127.0.0.1:");
  c.metrics_port = NumberAfter(line, "metrics on http://127.0.0.1:");
  if (c.grpc_port <= 0 || c.metrics_port <= 0)
    return absl::InternalError("cannot find the collector's ports in: " + line);
  return c;
}

}  // namespace paraat::testing
