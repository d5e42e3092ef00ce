// paraat-collector: receives results from agents, keeps the evidence, evaluates plans,
// serves /metrics and the query API.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collector/collector.h"
#include "collector/config.h"
#include "collector/evaluation/plan.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/units.h"
#include "common/version.h"

namespace {

constexpr char kUsage[] = R"(Usage: paraat-collector --config FILE [--check-config [--ignore-missing-files]]
                        [--log-level LEVEL]

Receives check results from paraat agents over gRPC, stores them as tamper-evident
evidence, evaluates every continuity plan in plans_dir against its objectives, and
serves Prometheus metrics, a status page and the query API for paraatctl.

Options:
  --config FILE       collector config (YAML), e.g. /etc/paraat/collector.yaml
  --check-config      validate the config and every plan, print a summary, and exit;
                      exits 2 when a file the config names (TLS, tokens, passwords,
                      plans_dir) is missing
  --ignore-missing-files
                      with --check-config: only warn about missing files, for a config
                      written for another machine (plans_dir must still hold the plans)
  --log-level LEVEL   debug, info (default), warning or error
  --version           print the version and exit
  -h, --help          show this help

Signals: SIGHUP reloads the plans (a bad plan is reported and the last good plans
stay in use); SIGINT or SIGTERM stops after storing what was received.

Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
)";

// --check-config: the config is valid already; are its files there, and are the plans valid?
int CheckConfig(const std::string& config_path, const paraat::CollectorConfig& config, bool ignore_missing_files) {
  const absl::Status files = config.CheckPathsExist();
  if (!files.ok() && !ignore_missing_files) {
    std::cerr << files.message() << "\n";
    return 2;
  }
  auto plans = paraat::LoadPlansDir(config.plans_dir);
  if (!plans.ok()) {
    std::cerr << plans.status().message() << "\n";
    return 2;
  }
  std::cout << config_path << ": OK (" << paraat::CountOf(plans->size(), "plan") << " in " << config.plans_dir
            << ", storage " << config.storage << ")\n";
  for (const auto& p : *plans) {
    std::cout << "  " << p.id << ": " << p.name << " (" << paraat::CountOf(p.AllSources().size(), "source") << ")\n";
  }
  if (plans->empty()) {
    std::cout << "warning: no plans in " << config.plans_dir
              << "; the collector runs, but judges nothing until a plan file (*.yaml) is there\n";
  }
  if (!files.ok()) {
    std::cout << "warning: the collector will not start on this machine without these files:\n"
              << files.message() << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  paraat::BlockShutdownSignals();
  std::string config_path, log_level;
  bool check_config = false, ignore_missing_files = false, help = false, version = false;
  paraat::ArgParser args;
  args.Option("config", &config_path);
  args.Option("log-level", &log_level);
  args.Flag("check-config", &check_config);
  args.Flag("ignore-missing-files", &ignore_missing_files);
  args.Flag("help", &help);
  args.Flag("version", &version);
  if (absl::Status st = args.Parse(argc, argv); !st.ok()) {
    std::cerr << "paraat-collector: " << st.message() << "\n\n" << kUsage;
    return 2;
  }
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (version) {
    std::cout << "paraat-collector " << PARAAT_VERSION << "\n";
    return 0;
  }
  if (ignore_missing_files && !check_config) {
    std::cerr << "paraat-collector: --ignore-missing-files goes with --check-config\n\n" << kUsage;
    return 2;
  }
  if (config_path.empty() || !args.positional().empty()) {
    std::cerr << "paraat-collector: "
              << (config_path.empty() ? "--config is required" : "unexpected argument " + args.positional()[0])
              << "\n\n"
              << kUsage;
    return 2;
  }

  auto config = paraat::LoadCollectorConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  paraat::LogLevel level;
  if (!log_level.empty() && !paraat::ParseLogLevel(log_level, &level)) {
    std::cerr << "paraat-collector: --log-level must be debug, info, warning or error\n";
    return 2;
  }
  if (log_level.empty()) paraat::ParseLogLevel(config->log_level, &level);
  paraat::SetLogLevel(level);

  if (check_config) return CheckConfig(config_path, *config, ignore_missing_files);

  // Every agent holds a connection: allow as many open files as the system lets this process.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // gRPC's mutexes are absl::Mutex; their deadlock detection costs ~1% of ingest CPU.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  paraat::Collector collector(*config, paraat::Clock::Real());
  if (absl::Status st = collector.Start(); !st.ok()) {
    std::cerr << "paraat-collector: " << st.message() << "\n";
    collector.Shutdown();
    return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  while (true) {
    int sig = paraat::WaitForSignal();
    if (sig == SIGHUP) {
      (void)collector.ReloadPlans();
      continue;
    }
    paraat::LogInfo("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", stopping");
    break;
  }
  collector.Shutdown();
  return 0;
}
