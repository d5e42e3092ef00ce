#include "bench/loadgen_options.h"

#include "absl/strings/numbers.h"
#include "common/cli.h"
#include "common/units.h"

namespace paraat::loadgen {

const char kUsage[] = R"(Usage: paraat-loadgen --collector HOST:PORT [options]

Opens --agents agent streams to a collector and sends result batches as fast as the collector
acknowledges them, then prints one line:
  results_per_second=... p50_ack_ms=... p99_ack_ms=... agents=N batch=B
Before that it runs the naive baseline (one stream, one result per batch, one batch in flight)
and prints its line, prefixed "baseline".

Options:
  --collector ADDR    collector gRPC address (required)
  --agents N          concurrent agent streams, each on its own connection (default 1000)
  --batch B           results per batch (default 50)
  --window W          unacknowledged batches per stream (default: what the collector allows)
  --duration D        how long to measure, e.g. 10s (default 10s)
  --warmup D          sending before measuring starts (default 2s)
  --rate R            results per second per stream, 0 = as fast as acknowledged (default 0)
  --checks C          distinct checks per agent (default 20)
  --agent-prefix P    agent ids P0000, P0001, ... (default loadgen-)
  --baseline-duration D   the baseline's measuring time (default 5s; 0 skips it)
  --ca F --cert F --key F  mutual TLS; all streams then use --agent-id (the certificate's name)
  --agent-id ID       agent id for every stream (with TLS); streams differ by spool epoch
  --hold              after measuring, keep the streams open until stdin closes (memory tests)
  --probe-metrics URL while measuring, one more agent sends a result every 2s and waits until
                      the collector's /metrics at URL shows it; prints result_to_metric p50/p99
  --help
)";

absl::StatusOr<Options> ParseOptions(int argc, char** argv, bool* help) {
  Options o;
  std::string agents = "1000", batch = "50", window = "0", duration = "10s", warmup = "2s", rate = "0", checks = "20",
              baseline = "5s";
  ArgParser args;
  args.Option("collector", &o.collector);
  args.Option("agents", &agents);
  args.Option("batch", &batch);
  args.Option("window", &window);
  args.Option("duration", &duration);
  args.Option("warmup", &warmup);
  args.Option("rate", &rate);
  args.Option("checks", &checks);
  args.Option("agent-prefix", &o.agent_prefix);
  args.Option("agent-id", &o.agent_id);
  args.Option("baseline-duration", &baseline);
  args.Option("ca", &o.tls.ca);
  args.Option("cert", &o.tls.cert);
  args.Option("key", &o.tls.key);
  args.Flag("hold", &o.hold);
  args.Option("probe-metrics", &o.probe_metrics);
  args.Flag("help", help);
  absl::Status st = args.Parse(argc, argv);
  if (*help) return o;
  auto d = ParseDuration(duration);
  auto w = ParseDuration(warmup);
  auto b = baseline == "0" ? absl::StatusOr<absl::Duration>(absl::ZeroDuration()) : ParseDuration(baseline);
  if (st.ok() && o.collector.empty()) st = absl::InvalidArgumentError("--collector is required");
  if (st.ok() &&
      !(absl::SimpleAtoi(agents, &o.agents) && o.agents > 0 && absl::SimpleAtoi(batch, &o.batch) && o.batch > 0 &&
        absl::SimpleAtoi(window, &o.window) && o.window >= 0 && absl::SimpleAtod(rate, &o.rate) && o.rate >= 0 &&
        absl::SimpleAtoi(checks, &o.checks) && o.checks > 0)) {
    st = absl::InvalidArgumentError("--agents, --batch, --checks: positive integers; --window, --rate: 0 or more");
  }
  if (st.ok() && (!d.ok() || !w.ok() || !b.ok()))
    st = absl::InvalidArgumentError("--duration, --warmup, --baseline-duration: durations such as 10s");
  if (st.ok() && !o.tls.ca.empty() && o.agent_id.empty()) {
    st = absl::InvalidArgumentError("with --ca, give --agent-id: the name in the client certificate");
  }
  if (!st.ok()) return st;
  o.duration = *d;
  o.warmup = *w;
  o.baseline_duration = *b;
  return o;
}

}  // namespace paraat::loadgen
