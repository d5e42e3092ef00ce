#include "bench/loadgen_agent.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/units.h"

namespace paraat::loadgen {

using paraat::v1::AgentMessage;
using paraat::v1::CollectorMessage;

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

Stream::Stream(paraat::v1::AgentService::Stub* stub, const std::string& agent_id, uint64_t epoch, const Options& o,
               int batch, int window, Run* run)
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

void Stream::OnReadDone(bool ok) {
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

void Stream::OnWriteDone(bool ok) {
  std::unique_lock<std::mutex> lock(mu_);
  writing_ = false;
  if (!ok) return;
  SendMoreLocked(lock);
}

void Stream::OnDone(const grpc::Status& status) {
  if (!status.ok()) {
    std::lock_guard<std::mutex> slock(run_->stats.mu);
    run_->stats.failures.push_back(absl::StrCat(agent_id_, ": ", status.error_message()));
  }
  run_->done.fetch_add(1);
  run_->cv.notify_all();
}

void Stream::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  SendMoreLocked(lock);
}

void Stream::SendMoreLocked(std::unique_lock<std::mutex>& lock) {
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

namespace {

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

}  // namespace

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
  auto* check = hello.mutable_hello()->add_checks();  // the collector takes results for listed checks only
  check->set_id("probe");
  check->set_kind("command");
  check->set_interval_ns(2'000'000'000);
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

}  // namespace paraat::loadgen
