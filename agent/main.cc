// paraat-agent: runs the checks its own config names and streams the results to the collector.
#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "agent/agent.h"
#include "agent/config.h"
#include "agent/footprint.h"
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

constexpr char kUsage[] = R"(Usage: paraat-agent [--config FILE] [--once [--no-send]]
       paraat-agent [--config FILE] --check-config [--ignore-missing-files]
       paraat-agent [--config FILE] run-check ID

Runs the checks named in its config (backups, replication, failover targets) on their
intervals and streams typed results to the paraat collector. Results are written to an
on-disk spool first and kept until the collector has stored them.

Options:
  --config FILE       agent config (YAML); default /etc/paraat/agent.yaml
  --once              run every check once, print the results, deliver them, and exit
                      (exit code 1 if a check failed or could not run)
  --no-send           with --once: only print, do not spool or send
  --check-config      validate the config and the files and programs it names, print
                      the checks, and exit; exit 2 if a file or program is missing
  --ignore-missing-files
                      with --check-config: do not require those files and programs, for a
                      config written for another machine
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

struct Args {
  std::string config_path = "/etc/paraat/agent.yaml";
  std::string log_level;
  std::string flush_timeout = "30s";
  absl::Duration flush = absl::Seconds(30);
  bool once = false, no_send = false, check_config = false, ignore_missing_files = false;
  bool help = false, version = false;
  std::string run_check;  // run-check ID
};

// The command line; a usage problem in *problem.
std::optional<Args> ParseArgs(int argc, char** argv, std::string* problem) {
  Args a;
  paraat::ArgParser args;
  args.Option("config", &a.config_path);
  args.Option("log-level", &a.log_level);
  args.Option("flush-timeout", &a.flush_timeout);
  args.Flag("once", &a.once);
  args.Flag("no-send", &a.no_send);
  args.Flag("check-config", &a.check_config);
  args.Flag("ignore-missing-files", &a.ignore_missing_files);
  args.Flag("help", &a.help);
  args.Flag("version", &a.version);
  if (absl::Status st = args.Parse(argc, argv); !st.ok()) {
    *problem = std::string(st.message());
    return std::nullopt;
  }
  if (a.help || a.version) return a;
  const auto& pos = args.positional();
  if (!pos.empty()) {
    if (pos[0] != "run-check") *problem = "unknown command " + pos[0];
    if (pos[0] == "run-check" && pos.size() != 2) *problem = "run-check needs exactly one check id";
    if (!problem->empty()) return std::nullopt;
    a.run_check = pos[1];
  }
  if (a.ignore_missing_files && !a.check_config) {
    *problem = "--ignore-missing-files goes with --check-config";
    return std::nullopt;
  }
  if (a.no_send && !a.once) {
    *problem = "--no-send only goes with --once";
    return std::nullopt;
  }
  auto flush = paraat::ParseDuration(a.flush_timeout);
  if (!flush.ok()) {
    *problem = absl::StrCat("--flush-timeout: ", flush.status().message());
    return std::nullopt;
  }
  a.flush = *flush;
  return a;
}

int PrintCheckConfig(const Args& a, const paraat::AgentConfig& config) {
  std::cout << a.config_path << ": OK (agent " << config.agent_id << ", "
            << paraat::CountOf(config.checks.size(), "check") << ", collector " << config.collector_address << ")\n";
  for (const auto& c : config.checks) {
    std::cout << "  " << c.id << ": " << c.kind << " every " << paraat::HumanDuration(c.interval) << ", timeout "
              << paraat::HumanDuration(c.timeout) << "\n";
  }
  return 0;
}

// run-check ID: one check in the foreground, nothing sent.
int RunOneCheck(const Args& a, const paraat::AgentConfig& config, const paraat::Clock* clock) {
  const paraat::CheckSpec* spec = config.FindCheck(a.run_check);
  if (spec == nullptr) {
    std::string known;
    for (const auto& c : config.checks) known += (known.empty() ? "" : ", ") + c.id;
    std::cerr << "paraat-agent: no check \"" << a.run_check << "\" in " << a.config_path << " (checks: " << known
              << ")\n";
    return 2;
  }
  paraat::ProgressDisplay progress(stderr, isatty(STDERR_FILENO) != 0, absl::Seconds(5), clock);
  paraat::v1::Result r = paraat::RunCheck(*spec, clock, config.state_dir, &progress);
  progress.Finish();
  std::cout << paraat::FormatResult(r, clock->Now());
  return r.status() == paraat::v1::CHECK_STATUS_OK || r.status() == paraat::v1::CHECK_STATUS_WARNING ? 0 : 1;
}

int InitFailed(const absl::Status& st) {
  std::cerr << "paraat-agent: " << st.message() << "\n";
  return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// --once: every check once, printed, then delivered unless --no-send.
int RunOnce(const Args& a, paraat::Agent& agent, const paraat::Clock* clock) {
  std::vector<paraat::v1::Result> results = agent.RunAllOnce();
  bool all_good = true;
  const absl::Time now = clock->Now();
  for (const auto& r : results) {
    std::cout << paraat::FormatResult(r, now);
    all_good &= r.status() == paraat::v1::CHECK_STATUS_OK || r.status() == paraat::v1::CHECK_STATUS_WARNING;
  }
  if (!a.no_send) {
    if (absl::Status st = agent.Init(); !st.ok()) return InitFailed(st);
    if (!agent.Deliver(std::move(results), a.flush)) {
      std::cerr << "paraat-agent: the collector did not acknowledge every result within " << a.flush_timeout
                << "; they stay in the spool " << agent.config().spool_dir << " for the next run\n";
      return 1;
    }
  }
  return all_good ? 0 : 1;
}

// Hands back the pages of the agent's code that only starting (and the checks' runs since)
// touched; agent/footprint.h.
void ReleaseStartupPages() {
  const uint64_t before = paraat::ResidentFileBytes();
  absl::StatusOr<uint64_t> advised = paraat::ReleaseStartupPages();
  if (!advised.ok()) {
    paraat::LogDebug("resident code pages not released: ", advised.status().message());
    return;
  }
  paraat::LogDebug("resident file-backed memory ", before / 1024, " KiB -> ", paraat::ResidentFileBytes() / 1024,
                   " KiB (code pages released)");
}

// The service: checks on their schedules until SIGTERM or SIGINT. 30 s after the start, and every
// hour after, the code pages the checks no longer run are released.
int RunService(paraat::Agent& agent) {
  if (absl::Status st = agent.Init(); !st.ok()) return InitFailed(st);
  agent.Start();
  absl::Duration release_in = absl::Seconds(30);
  int sig;
  while ((sig = paraat::WaitForSignalFor(release_in)) == 0 || sig == SIGHUP) {
    if (sig == SIGHUP) {
      paraat::LogInfo("SIGHUP: the agent reads its config at start; restart it to apply changes");
      continue;
    }
    ReleaseStartupPages();
    release_in = absl::Hours(1);
  }
  paraat::LogInfo("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", stopping");
  agent.Stop();
  return 0;
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
  std::string problem;
  std::optional<Args> a = ParseArgs(argc, argv, &problem);
  if (!a) return Usage(problem);
  if (a->help) {
    std::cout << kUsage;
    return 0;
  }
  if (a->version) {
    std::cout << "paraat-agent " << PARAAT_VERSION << "\n";
    return 0;
  }
  paraat::LogLevel level = paraat::LogLevel::kInfo;
  if (!a->log_level.empty() && !paraat::ParseLogLevel(a->log_level, &level)) {
    return Usage("--log-level must be debug, info, warning or error");
  }
  paraat::SetLogLevel(level);

  // --check-config also requires the files and programs the checks need to be there (unless
  // told to ignore them); at start-up a check whose file is missing reports that itself when it
  // runs.
  auto config = paraat::LoadAgentConfig(a->config_path, {.require_files = a->check_config && !a->ignore_missing_files});
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  const paraat::Clock* clock = paraat::Clock::Real();
  if (a->check_config) return PrintCheckConfig(*a, *config);
  if (!a->run_check.empty()) return RunOneCheck(*a, *config, clock);
  paraat::Agent agent(*std::move(config), clock);
  return a->once ? RunOnce(*a, agent, clock) : RunService(agent);
}
