// paraat-agent: runs the checks its own config names and streams the results to the collector.
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "agent/agent.h"
#include "agent/config.h"
#include "agent/progress_display.h"
#include "agent/registry.h"
#include "agent/result_print.h"
#include "agent/scheduler.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/units.h"
#include "common/version.h"

namespace {

constexpr char kUsage[] = R"(Usage: paraat-agent [--config FILE] [--once [--no-send]] [--check-config]
       paraat-agent [--config FILE] run-check ID

Runs the checks named in its config (backups, replication, failover targets) on their
intervals and streams typed results to the paraat collector. Results are written to an
on-disk spool first and kept until the collector has stored them.

Options:
  --config FILE       agent config (YAML); default /etc/paraat/agent.yaml
  --once              run every check once, print the results, deliver them, and exit
                      (exit code 1 if a check failed or could not run)
  --no-send           with --once: only print, do not spool or send
  --check-config      validate the config, print the checks, and exit
  --flush-timeout D   with --once: how long to try delivering (default 30s)
  --log-level LEVEL   debug, info (default), warning or error
  --version           print the version and exit
  -h, --help          show this help

Commands:
  run-check ID        run one check in the foreground and print its result (with a
                      progress bar on a terminal); nothing is sent

Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
)";

int Usage(const std::string& problem) {
  std::cerr << "paraat-agent: " << problem << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // A small, long-running process: one malloc arena instead of one per thread, and freed memory
  // (hash buffers, tool output) handed back to the system soon. Halves its anonymous memory
  // (bench/RESULTS.md).
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  paraat::BlockShutdownSignals();
  std::string config_path = "/etc/paraat/agent.yaml", log_level, flush_timeout = "30s";
  bool once = false, no_send = false, check_config = false, help = false, version = false;
  paraat::ArgParser args;
  args.Option("config", &config_path);
  args.Option("log-level", &log_level);
  args.Option("flush-timeout", &flush_timeout);
  args.Flag("once", &once);
  args.Flag("no-send", &no_send);
  args.Flag("check-config", &check_config);
  args.Flag("help", &help);
  args.Flag("version", &version);
  if (absl::Status st = args.Parse(argc, argv); !st.ok()) return Usage(std::string(st.message()));
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (version) {
    std::cout << "paraat-agent " << PARAAT_VERSION << "\n";
    return 0;
  }
  const auto& pos = args.positional();
  std::string run_check;
  if (!pos.empty()) {
    if (pos[0] != "run-check") return Usage("unknown command " + pos[0]);
    if (pos.size() != 2) return Usage("run-check needs exactly one check id");
    run_check = pos[1];
  }
  if (no_send && !once) return Usage("--no-send only goes with --once");
  auto flush = paraat::ParseDuration(flush_timeout);
  if (!flush.ok()) return Usage(absl::StrCat("--flush-timeout: ", flush.status().message()));
  paraat::LogLevel level = paraat::LogLevel::kInfo;
  if (!log_level.empty() && !paraat::ParseLogLevel(log_level, &level)) {
    return Usage("--log-level must be debug, info, warning or error");
  }
  paraat::SetLogLevel(level);

  auto config = paraat::LoadAgentConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }

  if (check_config) {
    std::cout << config_path << ": OK (agent " << config->agent_id << ", "
              << paraat::CountOf(config->checks.size(), "check") << ", collector " << config->collector_address
              << ")\n";
    for (const auto& c : config->checks) {
      std::cout << "  " << c.id << ": " << c.kind << " every " << paraat::HumanDuration(c.interval) << ", timeout "
                << paraat::HumanDuration(c.timeout) << "\n";
    }
    return 0;
  }

  if (!run_check.empty()) {
    const paraat::CheckSpec* spec = config->FindCheck(run_check);
    if (spec == nullptr) {
      std::string known;
      for (const auto& c : config->checks) known += (known.empty() ? "" : ", ") + c.id;
      std::cerr << "paraat-agent: no check \"" << run_check << "\" in " << config_path << " (checks: " << known
                << ")\n";
      return 2;
    }
    paraat::ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0);
    paraat::v1::Result r = paraat::RunCheck(*spec, paraat::Clock::Real(), config->state_dir, &progress);
    progress.Finish();
    std::cout << paraat::FormatResult(r, absl::Now());
    return r.status() == paraat::v1::CHECK_STATUS_OK || r.status() == paraat::v1::CHECK_STATUS_WARNING ? 0 : 1;
  }

  paraat::Agent agent(*std::move(config));
  if (once) {
    std::vector<paraat::v1::Result> results = agent.RunAllOnce();
    bool all_good = true;
    const absl::Time now = absl::Now();
    for (const auto& r : results) {
      std::cout << paraat::FormatResult(r, now);
      all_good &= r.status() == paraat::v1::CHECK_STATUS_OK || r.status() == paraat::v1::CHECK_STATUS_WARNING;
    }
    if (!no_send) {
      if (absl::Status st = agent.Init(); !st.ok()) {
        std::cerr << "paraat-agent: " << st.message() << "\n";
        return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
      }
      if (!agent.Deliver(std::move(results), *flush)) {
        std::cerr << "paraat-agent: the collector did not acknowledge every result within " << flush_timeout
                  << "; they stay in the spool " << agent.config().spool_dir << " for the next run\n";
        return 1;
      }
    }
    return all_good ? 0 : 1;
  }

  if (absl::Status st = agent.Init(); !st.ok()) {
    std::cerr << "paraat-agent: " << st.message() << "\n";
    return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  agent.Start();
  int sig = paraat::WaitForSignal();
  while (sig == SIGHUP) {
    paraat::LogInfo("SIGHUP: the agent reads its config at start; restart it to apply changes");
    sig = paraat::WaitForSignal();
  }
  paraat::LogInfo("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", stopping");
  agent.Stop();
  return 0;
}
