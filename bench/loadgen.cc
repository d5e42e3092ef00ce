// paraat-loadgen: many agents at once, speaking the real agent protocol to a real collector.
//
// Opens N agent streams (each on its own connection, as N servers would), sends batches of B
// realistic results, keeps up to W batches per stream unacknowledged, and measures the
// acknowledged results per second and the acknowledgement latency (ack = durably stored). Before
// that it runs the naive baseline: one stream, one result per batch, one batch in flight.
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/grpc_credentials.h"
#include "common/units.h"
#include "grpcpp/create_channel.h"
#include "paraat/v1/agent.grpc.pb.h"

namespace paraat::loadgen {
namespace {

using paraat::v1::AgentMessage;
using paraat::v1::CollectorMessage;

constexpr char kUsage[] = R"(Usage: paraat-loadgen --collector HOST:PORT [options]

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

struct Options {
  std::string collector;
  int agents = 1000;
  int batch = 50;
  int window = 0;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  double rate = 0;
  int checks = 20;
  std::string agent_prefix = "loadgen-";
  std::string agent_id;
  absl::Duration baseline_duration = absl::Seconds(5);
  TlsClientFiles tls;
  bool hold = false;
  std::string probe_metrics;
};

// Realistic results: file backups with checksum facts and PostgreSQL standbys with lag, the
// shapes the real checks produce (sizes, details, perfdata values).
paraat::v1::Result MakeResult(int check, std::mt19937_64& rng) {
  paraat::v1::Result r;
  const int64_t now = absl::ToUnixNanos(absl::Now());
  r.set_check_id(absl::StrFormat("check-%02d", check));
  r.set_started_unix_ns(now - 2'000'000'000);
  r.set_duration_ns(40'000'000 + static_cast<int64_t>(rng() % 900'000'000));
  r.set_status(paraat::v1::CHECK_STATUS_OK);
  if (check % 3 == 2) {
    r.set_kind("postgres_replication");
    r.set_interval_ns(60'000'000'000);
    const double lag = static_cast<double>(rng() % 5000) / 1000.0;
    r.set_message(absl::StrFormat("standby streaming from 10.0.3.%d, replay lag %.1fs", check, lag));
    r.mutable_facts()->set_replication_lag_seconds(lag);
    r.mutable_facts()->set_replication_lag_bytes(rng() % 1'000'000);
    r.mutable_facts()->set_recovery_point_unix_ns(now - static_cast<int64_t>(lag * 1e9));
    auto* v = r.add_values();
    v->set_name("lag");
    v->set_value(lag);
    v->set_unit("s");
    auto* d = r.add_details();
    d->set_key("state");
    d->set_value("streaming");
  } else {
    r.set_kind("file_backup");
    r.set_interval_ns(900'000'000'000);
    const uint64_t size = 1'000'000 + rng() % 5'000'000'000ULL;
    r.set_message(absl::StrFormat("newest backup /backups/db/db-20261129T%06d.dump, %s, sha256 verified",
                                  static_cast<int>(rng() % 240000), HumanSize(size)));
    r.mutable_facts()->set_recovery_point_unix_ns(now - static_cast<int64_t>(rng() % 900) * 1'000'000'000);
    r.mutable_facts()->set_integrity(paraat::v1::INTEGRITY_VERIFIED);
    r.mutable_facts()->set_verified_bytes(size);
    r.mutable_facts()->set_verified_objects(1);
    r.mutable_facts()->set_coverage(1.0);
    auto* d = r.add_details();
    d->set_key("sha256");
    d->set_value(absl::StrFormat("%016x%016x%016x%016x", rng(), rng(), rng(), rng()));
    auto* v = r.add_values();
    v->set_name("size");
    v->set_value(static_cast<double>(size));
    v->set_unit("B");
  }
  return r;
}

struct Stats {
  std::mutex mu;
  std::vector<float> latencies_ms;  // acknowledgements inside the measuring window
  uint64_t results = 0;
  uint64_t duplicates = 0;
  std::vector<std::string> failures;
};

// What every stream shares: when measuring starts and ends, and when to stop sending.
struct Run {
  // Unix nanoseconds; batches sent from measure_start and acknowledged by measure_end count.
  std::atomic<int64_t> measure_start{INT64_MAX};
  std::atomic<int64_t> measure_end{INT64_MAX};
  std::atomic<bool> stop{false};
  std::atomic<int> welcomed{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::condition_variable cv;
  Stats stats;
};

class Stream : public grpc::ClientBidiReactor<AgentMessage, CollectorMessage> {
 public:
  Stream(paraat::v1::AgentService::Stub* stub, const std::string& agent_id, uint64_t epoch, const Options& o, int batch,
         int window, Run* run)
      : agent_id_(agent_id), batch_size_(batch), window_(window), rate_(o.rate), run_(run), rng_(epoch) {
    hello_.mutable_hello()->set_agent_id(agent_id);
    hello_.mutable_hello()->set_version("loadgen");
    hello_.mutable_hello()->set_hostname(agent_id);
    hello_.mutable_hello()->set_spool_epoch(epoch);
    for (int c = 0; c < o.checks; ++c) {
      auto* ci = hello_.mutable_hello()->add_checks();
      ci->set_id(absl::StrFormat("check-%02d", c));
      ci->set_kind(c % 3 == 2 ? "postgres_replication" : "file_backup");
    }
    // Batches of results made once and re-sent with new sequence numbers: generating fresh
    // results for every batch (or even copying them) would measure this process rather than
    // the collector, with which it shares the machine. Enough batches that every one of the
    // agent's checks reports in turn; one write is in flight at a time, so the next message
    // can be changed once the last write is done.
    const int templates = (o.checks + batch - 1) / batch;
    batch_templates_.resize(static_cast<size_t>(templates));
    for (int t = 0; t < templates; ++t) {
      auto* b = batch_templates_[static_cast<size_t>(t)].mutable_batch();
      for (int i = 0; i < batch; ++i) *b->add_results() = MakeResult((t * batch + i) % o.checks, rng_);
    }
    stub->async()->Stream(&context_, this);
    StartRead(&in_);
    StartWrite(&hello_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    std::unique_lock<std::mutex> lock(mu_);
    if (in_.has_welcome()) {
      if (window_ == 0) window_ = static_cast<int>(std::max(1u, in_.welcome().max_inflight_batches()));
      welcomed_ = true;
      run_->welcomed.fetch_add(1);
      run_->cv.notify_all();
    } else if (in_.has_ack()) {
      const absl::Time now = absl::Now();
      auto it = std::find_if(inflight_.begin(), inflight_.end(),
                             [&](const auto& p) { return p.first == in_.ack().sequence(); });
      if (it != inflight_.end()) {
        if (absl::ToUnixNanos(it->second) >= run_->measure_start.load() &&
            absl::ToUnixNanos(now) <= run_->measure_end.load()) {
          std::lock_guard<std::mutex> slock(run_->stats.mu);
          run_->stats.latencies_ms.push_back(static_cast<float>(absl::ToDoubleMilliseconds(now - it->second)));
          run_->stats.results += batch_size_;
          if (in_.ack().duplicate()) ++run_->stats.duplicates;
        }
        inflight_.erase(it);
      }
    }
    SendMoreLocked(lock);
    lock.unlock();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) return;
    SendMoreLocked(lock);
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) {
      std::lock_guard<std::mutex> slock(run_->stats.mu);
      run_->stats.failures.push_back(absl::StrCat(agent_id_, ": ", status.error_message()));
    }
    run_->done.fetch_add(1);
    run_->cv.notify_all();
  }

  // Stops sending; once everything is acknowledged the stream half-closes and the collector
  // ends it.
  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    SendMoreLocked(lock);
  }

  // Keeps sending at the paced rate (call from a timer loop when --rate is set).
  void Tick() { Drain(); }

 private:
  // Sends the next batch when the window and the pacing allow; half-closes when stopping.
  void SendMoreLocked(std::unique_lock<std::mutex>& lock) {
    if (writing_ || finishing_ || !welcomed_) return;
    if (run_->stop.load()) {
      if (inflight_.empty()) {
        finishing_ = true;
        lock.unlock();
        StartWritesDone();
        lock.lock();
      }
      return;
    }
    if (static_cast<int>(inflight_.size()) >= window_) return;
    const absl::Time now = absl::Now();
    if (rate_ > 0) {
      if (now < next_send_) return;
      next_send_ = std::max(next_send_, now - absl::Seconds(1)) + absl::Seconds(batch_size_ / rate_);
    }
    AgentMessage* out = &batch_templates_[sequence_ % batch_templates_.size()];
    out->mutable_batch()->set_sequence(++sequence_);
    inflight_.emplace_back(sequence_, now);
    writing_ = true;
    lock.unlock();
    StartWrite(out);
    lock.lock();
  }

  grpc::ClientContext context_;
  const std::string agent_id_;
  const int batch_size_;
  int window_;
  const double rate_;
  Run* const run_;
  std::mt19937_64 rng_;
  AgentMessage hello_;
  std::vector<AgentMessage> batch_templates_;
  CollectorMessage in_;

  std::mutex mu_;
  bool writing_ = true;  // the hello
  bool finishing_ = false;
  bool welcomed_ = false;
  uint64_t sequence_ = 0;
  std::vector<std::pair<uint64_t, absl::Time>> inflight_;
  absl::Time next_send_ = absl::InfinitePast();
};

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The probe's last_run timestamp as /metrics shows it (0 when absent or unreachable).
double ProbeLastRun(CURL* curl, const std::string& agent) {
  std::string body;
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  if (curl_easy_perform(curl) != CURLE_OK) return 0;
  const std::string series =
      absl::StrCat("paraat_check_last_run_timestamp_seconds{agent=\"", agent, "\",check=\"probe\"");
  const size_t at = body.find(series);
  if (at == std::string::npos) return 0;
  const size_t value = body.find("} ", at);
  return value == std::string::npos ? 0 : std::strtod(body.c_str() + value + 2, nullptr);
}

// Result -> metric latency: one more agent sends a single result, waits for the ack, then polls
// /metrics until the result shows; every 2s while the load runs. Milliseconds per probe.
std::vector<float> ProbeResultToMetric(const Options& o, std::shared_ptr<grpc::ChannelCredentials> creds,
                                       absl::Time until) {
  std::vector<float> out;
  const std::string agent = o.agent_prefix + "probe";
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = paraat::v1::AgentService::NewStub(grpc::CreateCustomChannel(o.collector, creds, args));
  grpc::ClientContext ctx;
  auto stream = stub->Stream(&ctx);
  AgentMessage hello;
  hello.mutable_hello()->set_agent_id(agent);
  hello.mutable_hello()->set_version("loadgen");
  hello.mutable_hello()->set_spool_epoch(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  CollectorMessage in;
  if (!stream->Write(hello) || !stream->Read(&in)) return out;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, o.probe_metrics.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  uint64_t sequence = 0;
  while (absl::Now() + absl::Seconds(2) < until) {
    const absl::Time sent = absl::Now();
    AgentMessage msg;
    auto* r = msg.mutable_batch()->add_results();
    msg.mutable_batch()->set_sequence(++sequence);
    r->set_check_id("probe");
    r->set_kind("command");
    r->set_status(paraat::v1::CHECK_STATUS_OK);
    r->set_started_unix_ns(absl::ToUnixNanos(sent));
    r->set_message("probe");
    if (!stream->Write(msg) || !stream->Read(&in)) break;
    const double want = absl::ToDoubleSeconds(sent - absl::UnixEpoch()) - 0.001;
    // Polled every 100ms, as a very eager scraper would: a tight loop would measure the
    // collector rendering /metrics back to back instead.
    while (ProbeLastRun(curl, agent) < want && absl::Now() < sent + absl::Seconds(10)) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    out.push_back(static_cast<float>(absl::ToDoubleMilliseconds(absl::Now() - sent)));
    absl::SleepFor(sent + absl::Seconds(2) - absl::Now());
  }
  curl_easy_cleanup(curl);
  stream->WritesDone();
  stream->Finish();
  return out;
}

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct Outcome {
  double results_per_second = 0;
  double p50 = 0, p99 = 0;
  uint64_t duplicates = 0;
  bool ok = true;
};

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
    std::cout << absl::StrFormat("result_to_metric_p50_ms=%.0f result_to_metric_p99_ms=%.0f probes=%d",
                                 Percentile(probes, 0.50), Percentile(probes, 0.99), probes.size())
              << std::endl;
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

std::string Line(const Outcome& o, int agents, int batch) {
  return absl::StrFormat("results_per_second=%.0f p50_ack_ms=%.2f p99_ack_ms=%.2f agents=%d batch=%d",
                         o.results_per_second, o.p50, o.p99, agents, batch);
}

int Main(int argc, char** argv) {
  Options o;
  std::string agents = "1000", batch = "50", window = "0", duration = "10s", warmup = "2s", rate = "0", checks = "20",
              baseline = "5s";
  bool help = false;
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
  args.Flag("help", &help);
  absl::Status st = args.Parse(argc, argv);
  if (help) {
    std::cout << kUsage;
    return 0;
  }
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
  if (!st.ok()) {
    std::cerr << "paraat-loadgen: " << st.message() << "\n" << kUsage;
    return 2;
  }
  o.duration = *d;
  o.warmup = *w;
  o.baseline_duration = *b;
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
