#include "agent/sender.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "common/grpc_credentials.h"
#include "common/log.h"
#include "common/proto_text.h"
#include "common/units.h"
#include "common/version.h"
#include "grpcpp/create_channel.h"

namespace paraat {

Sender::Sender(const AgentConfig& config, Spool* spool, const Clock* clock)
    : config_(config), spool_(spool), clock_(clock) {}

Sender::~Sender() { Stop(); }

absl::Status Sender::Init() {
  // An agent authenticates with its certificate: TLS is all three files or none (config.cc).
  auto creds = ClientCredentials({config_.tls_cert.empty() ? "" : config_.tls_ca, config_.tls_cert, config_.tls_key},
                                 "collector.tls.ca", "collector.tls.cert", "collector.tls.key");
  if (!creds.ok()) return absl::InvalidArgumentError(absl::StrCat(config_.file, ": ", creds.status().message()));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 30000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1000);
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, absl::StrCat("paraat-agent/", PARAAT_VERSION));
  channel_ = grpc::CreateCustomChannel(config_.collector_address, *creds, args);
  stub_ = paraat::v1::AgentService::NewStub(channel_);
  return absl::OkStatus();
}

void Sender::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Sender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (active_) active_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sender::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

bool Sender::Flush(absl::Duration timeout) {
  // Acknowledgements notify: each one may have emptied the spool.
  std::unique_lock<std::mutex> lock(mu_);
  return clock_->WaitFor(cv_, lock, timeout, [&] { return spool_->empty(); });
}

void Sender::FillStatus(paraat::v1::AgentStatus* status) const {
  const Spool::Stats st = spool_->stats();
  status->set_spool_bytes(st.bytes);
  status->set_spool_max_bytes(config_.spool_max_size);
  status->set_spool_batches(st.batches);
  status->set_dropped_results_total(st.dropped_results);
}

absl::Duration Sender::NextBackoff() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  absl::Duration d = backoff_;
  backoff_ = std::min(backoff_ * 2, absl::Seconds(60));
  // Full jitter in [d/2, d]: agents that lost the collector together do not return together.
  const int64_t ms = absl::ToInt64Milliseconds(d);
  return absl::Milliseconds(std::uniform_int_distribution<int64_t>(ms / 2, ms)(rng));
}

void Sender::Run() {
  bool logged_down = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::Status st = Session();
    connected_ = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    const absl::Duration wait = NextBackoff();
    if (!logged_down) {
      LogWarning("collector ", config_.collector_address, " unreachable (", st.message(),
                 "); results stay in the spool; retrying in ", HumanDuration(wait));
      logged_down = true;
    } else {
      LogDebug("collector still unreachable (", st.message(), "); retrying in ", HumanDuration(wait));
    }
    std::unique_lock<std::mutex> lock(mu_);
    clock_->WaitFor(cv_, lock, wait, [&] { return stopping_; });
    if (!stopping_ && st.ok()) logged_down = false;
  }
}

paraat::v1::AgentMessage Sender::Hello() const {
  paraat::v1::AgentMessage msg;
  auto* hello = msg.mutable_hello();
  hello->set_agent_id(config_.agent_id);
  hello->set_version(PARAAT_VERSION);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  hello->set_hostname(host);
  hello->set_spool_epoch(spool_->epoch());
  FillStatus(hello->mutable_status());
  for (const auto& [k, v] : config_.labels) {
    auto* l = hello->add_labels();
    l->set_name(k);
    l->set_value(v);
  }
  for (const CheckSpec& c : config_.checks) {
    auto* ci = hello->add_checks();
    ci->set_id(c.id);
    ci->set_kind(c.kind);
    ci->set_interval_ns(absl::ToInt64Nanoseconds(c.interval));
  }
  PrepareForWire(&msg);  // labels and hostname: valid UTF-8, within the collector's limits
  return msg;
}

absl::Status Sender::Handshake(AgentStream* stream) {
  if (!stream->Write(Hello())) {
    grpc::Status gs = stream->Finish();
    return absl::UnavailableError(gs.error_message().empty() ? "connection failed" : gs.error_message());
  }
  paraat::v1::CollectorMessage welcome;
  if (!stream->Read(&welcome) || !welcome.has_welcome()) {
    grpc::Status gs = stream->Finish();
    return absl::UnavailableError(gs.ok() ? "collector closed the stream" : gs.error_message());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    window_ = std::max<uint32_t>(1, std::min<uint32_t>(welcome.welcome().max_inflight_batches(), 64));
  }
  connected_ = true;
  backoff_ = absl::Seconds(1);  // a session the collector welcomed: the next retry starts afresh
  LogInfo("connected to collector ", config_.collector_address, " (collector ", welcome.welcome().collector_version(),
          ")");
  return absl::OkStatus();
}

void Sender::ReadAcks(AgentStream* stream, std::atomic<bool>* broken) {
  paraat::v1::CollectorMessage msg;
  while (stream->Read(&msg)) {
    if (!msg.has_ack()) continue;
    spool_->Ack(msg.ack().sequence());
    {
      std::lock_guard<std::mutex> lock(mu_);
      inflight_.erase(msg.ack().sequence());
    }
    cv_.notify_all();
  }
  *broken = true;
  cv_.notify_all();
}

void Sender::SendBatches(AgentStream* stream, const std::atomic<bool>& broken) {
  uint64_t last_sent = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Woken by acknowledgements, new batches (Wake), a broken stream or Stop; the timeout
      // is only a backstop, long enough that an idle agent does not spin.
      clock_->WaitFor(cv_, lock, absl::Seconds(60),
                      [&] { return stopping_ || broken || wake_ || inflight_.size() < window_; });
      wake_ = false;
      if (stopping_ || broken) return;
      if (inflight_.size() >= window_) continue;
    }
    std::optional<paraat::v1::ResultBatch> batch = spool_->Next(last_sent);
    if (!batch) {
      std::unique_lock<std::mutex> lock(mu_);
      clock_->WaitFor(cv_, lock, absl::Seconds(60), [&] { return stopping_ || broken || wake_; });
      continue;
    }
    last_sent = batch->sequence();
    {
      std::lock_guard<std::mutex> lock(mu_);
      inflight_.insert(last_sent);
    }
    paraat::v1::AgentMessage msg;
    *msg.mutable_batch() = std::move(*batch);
    FillStatus(msg.mutable_batch()->mutable_status());
    if (!stream->Write(msg)) return;
  }
}

absl::Status Sender::Session() {
  grpc::ClientContext ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::CancelledError("stopping");
    active_ = &ctx;
    inflight_.clear();
  }
  struct Clear {
    Sender* s;
    ~Clear() {
      std::lock_guard<std::mutex> lock(s->mu_);
      s->active_ = nullptr;
    }
  } clear{this};

  // Fail fast when the collector is away, instead of queueing the call.
  ctx.set_wait_for_ready(false);
  auto stream = stub_->Stream(&ctx);
  if (absl::Status st = Handshake(stream.get()); !st.ok()) return st;
  std::atomic<bool> broken{false};
  std::thread reader([&] { ReadAcks(stream.get(), &broken); });
  SendBatches(stream.get(), broken);
  ctx.TryCancel();
  reader.join();
  grpc::Status gs = stream->Finish();
  bool stopping;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping = stopping_;
  }
  if (stopping) return absl::CancelledError("stopping");
  LogWarning("stream to collector ended: ", gs.ok() ? "closed by the collector" : gs.error_message());
  return absl::UnavailableError(gs.ok() ? "stream closed" : gs.error_message());
}

}  // namespace paraat
