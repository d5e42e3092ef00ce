// paraat-loadgen: many agents at once, speaking the real agent protocol to a real collector.
//
// Opens N agent streams (each on its own connection, as N servers would), sends batches of B
// realistic results, keeps up to W batches per stream unacknowledged, and measures the
// acknowledged results per second and the acknowledgement latency (ack = durably stored). Before
// that it runs the naive baseline: one stream, one result per batch, one batch in flight.
// Options: loadgen_options.h; the simulated agents: loadgen_agent.h; the figures: loadgen_report.h.
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/loadgen_agent.h"
#include "bench/loadgen_options.h"
#include "bench/loadgen_report.h"
#include "common/grpc_credentials.h"
#include "common/units.h"
#include "grpcpp/create_channel.h"

namespace paraat::loadgen {
namespace {

void RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

Outcome RunLoad(const Options& o, int agents, int batch, int window, absl::Duration duration, bool hold) {
  auto creds = ClientCredentials(o.tls, "--ca", "--cert", "--key");
  if (!creds.ok()) {
    std::cerr << "paraat-loadgen: " << creds.status().message() << "\n";
    std::exit(2);
  }
  Run run;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<paraat::v1::AgentService::Stub>> stubs;
  std::vector<std::unique_ptr<Stream>> streams;
  std::mt19937_64 seed(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  const absl::Time connect_start = absl::Now();
  for (int i = 0; i < agents; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per agent, as in a fleet
    channels.push_back(grpc::CreateCustomChannel(o.collector, *creds, args));
    stubs.push_back(paraat::v1::AgentService::NewStub(channels.back()));
    const std::string id = o.agent_id.empty() ? absl::StrFormat("%s%04d", o.agent_prefix, i) : o.agent_id;
    streams.push_back(std::make_unique<Stream>(stubs.back().get(), id, seed(), o, batch, window, &run));
  }
  {
    std::unique_lock<std::mutex> lock(run.mu);
    if (!run.cv.wait_for(lock, std::chrono::seconds(120),
                         [&] { return run.welcomed.load() + run.done.load() >= agents; }) ||
        run.done.load() > 0) {
      std::lock_guard<std::mutex> slock(run.stats.mu);
      std::cerr << "paraat-loadgen: " << run.welcomed.load() << " of " << agents << " streams connected";
      if (!run.stats.failures.empty()) std::cerr << "; first failure: " << run.stats.failures.front();
      std::cerr << "\n";
      std::exit(1);
    }
  }
  std::cerr << "  " << agents << " streams connected in " << HumanDuration(absl::Now() - connect_start) << "\n";
  const absl::Time measure_start = absl::Now() + o.warmup;
  const absl::Time measure_end = measure_start + duration;
  run.measure_start = absl::ToUnixNanos(measure_start);
  run.measure_end = absl::ToUnixNanos(measure_end);
  for (auto& s : streams) s->Tick();
  std::vector<float> probes;
  std::thread probe;
  if (!o.probe_metrics.empty()) {
    probe = std::thread([&] {
      absl::SleepFor(measure_start - absl::Now());
      probes = ProbeResultToMetric(o, *creds, measure_end);
    });
  }
  while (absl::Now() < measure_end) {
    absl::SleepFor(o.rate > 0 ? absl::Milliseconds(20) : absl::Milliseconds(200));
    if (o.rate > 0) {
      for (auto& s : streams) s->Tick();
    }
  }
  if (hold) {
    std::cerr << "  holding " << agents << " streams open; close stdin to end\n";
    std::cout << "holding agents=" << agents << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
  }
  if (probe.joinable()) probe.join();
  if (!probes.empty()) {
    std::cout << ProbeLine(probes) << std::endl;
  }
  run.stop = true;
  for (auto& s : streams) s->Drain();
  {
    std::unique_lock<std::mutex> lock(run.mu);
    run.cv.wait_for(lock, std::chrono::seconds(60), [&] { return run.done.load() >= agents; });
  }
  Outcome out;
  std::lock_guard<std::mutex> slock(run.stats.mu);
  out.results_per_second = static_cast<double>(run.stats.results) / absl::ToDoubleSeconds(duration);
  out.p50 = Percentile(run.stats.latencies_ms, 0.50);
  out.p99 = Percentile(run.stats.latencies_ms, 0.99);
  out.duplicates = run.stats.duplicates;
  if (run.done.load() < agents) {
    std::cerr << "paraat-loadgen: " << agents - run.done.load() << " streams did not end within 60s\n";
    out.ok = false;
    // Streams still owned by gRPC cannot be destroyed safely; leave them to process exit.
    for (auto& s : streams) s.release();
  }
  for (const auto& f : run.stats.failures) {
    std::cerr << "paraat-loadgen: stream failed: " << f << "\n";
    out.ok = false;
  }
  return out;
}

int Main(int argc, char** argv) {
  bool help = false;
  absl::StatusOr<Options> parsed = ParseOptions(argc, argv, &help);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  if (!parsed.ok()) {
    std::cerr << "paraat-loadgen: " << parsed.status().message() << "\n" << kUsage;
    return 2;
  }
  const Options& o = *parsed;
  RaiseFileLimit();

  bool ok = true;
  if (o.baseline_duration > absl::ZeroDuration()) {
    std::cerr << "baseline: 1 stream, 1 result per batch, 1 batch in flight, " << HumanDuration(o.baseline_duration)
              << "\n";
    Options bo = o;
    bo.rate = 0;
    bo.agent_prefix = o.agent_prefix + "baseline-";
    Outcome base = RunLoad(bo, 1, 1, 1, o.baseline_duration, false);
    ok &= base.ok;
    std::cout << "baseline " << Line(base, 1, 1) << std::endl;
  }
  std::cerr << "load: " << o.agents << " streams, batches of " << o.batch << ", " << HumanDuration(o.duration) << "\n";
  Outcome out = RunLoad(o, o.agents, o.batch, o.window, o.duration, o.hold);
  ok &= out.ok;
  if (out.duplicates) std::cerr << "note: " << out.duplicates << " batches acknowledged as duplicates\n";
  std::cout << Line(out, o.agents, o.batch) << std::endl;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace paraat::loadgen

int main(int argc, char** argv) { return paraat::loadgen::Main(argc, argv); }
