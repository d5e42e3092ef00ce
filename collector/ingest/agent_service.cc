#include "collector/ingest/agent_service.h"

#include <algorithm>
#include <deque>
#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/version.h"
#include "google/protobuf/arena.h"
#include "paraat/v1/evidence.pb.h"

namespace paraat {

using paraat::v1::AgentMessage;
using paraat::v1::CollectorMessage;

class AgentStreamReactor final : public grpc::ServerBidiReactor<AgentMessage, CollectorMessage> {
 public:
  AgentStreamReactor(AgentServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context) {
    service_->metrics_->streams.Increment();
    StartNextRead();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Actions a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        read_closed_ = true;
        MaybeFinishLocked(a);
      }
      Apply(a);
      return;
    }
    if (!hello_done_) {
      HandleHello();
    } else {
      HandleBatch();
    }
  }

  void OnWriteDone(bool ok) override {
    Actions a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      out_.pop_front();
      if (!ok) {
        write_broken_ = true;
        out_.clear();
      }
      if (!out_.empty() && !finish_requested_) {
        writing_ = true;
        a.write = &out_.front();
      } else {
        MaybeFinishLocked(a);
      }
    }
    Apply(a);
  }

  void OnDone() override {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      last = pending_commits_ == 0;
    }
    service_->metrics_->streams.Decrement();
    if (!agent_id_.empty()) {
      service_->agents_->Disconnected(agent_id_);
      service_->Release(connection_);
    }
    if (last) delete this;
  }

 private:
  // gRPC operations decided under the lock and started after it is released: a reaction may
  // run inline and take the lock itself. Finish comes last; after it `this` may be gone.
  struct Actions {
    const CollectorMessage* write = nullptr;
    bool read = false;
    bool finish = false;
    grpc::Status status;
  };

  void Apply(Actions& a) {
    if (a.write) StartWrite(a.write);
    if (a.read) StartNextRead();
    if (a.finish) Finish(a.status);
  }

  // Each message is parsed into the stream's arena, which is emptied before the next read:
  // a batch's results cost a few block allocations instead of several per field. Whatever
  // outlives the message (payloads, observations) was copied out before this is called.
  void StartNextRead() {
    arena_.Reset();
    in_ = google::protobuf::Arena::CreateMessage<AgentMessage>(&arena_);
    StartRead(in_);
  }

  void HandleHello() {
    if (!in_->has_hello()) {
      Reject(reject_reason::kNoHello,
             grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be hello"));
      return;
    }
    const paraat::v1::Hello& hello = in_->hello();
    absl::Status st = ValidateHello(hello, service_->options_.limits);
    if (!st.ok()) {
      Reject(reject_reason::kInvalid, ToGrpcStatus(st));
      return;
    }
    if (service_->options_.identities) {
      std::vector<std::string> allowed = service_->options_.identities(*context_);
      if (std::find(allowed.begin(), allowed.end(), hello.agent_id()) == allowed.end()) {
        LogWarning("agent stream from ", context_->peer(), " claims to be \"", hello.agent_id(),
                   "\" but its certificate names ", allowed.empty() ? "no identity" : absl::StrJoin(allowed, ", "),
                   ": refused");
        Reject(reject_reason::kIdentity,
               grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                            absl::StrCat("agent id \"", hello.agent_id(), "\" does not match the client certificate")));
        return;
      }
    }
    const char* reason = nullptr;
    if (grpc::Status admitted = service_->Admit(context_->peer(), hello, &reason); !admitted.ok()) {
      Reject(reason, admitted);
      return;
    }
    connection_ = context_->peer();
    for (const auto& c : hello.checks()) checks_.insert(c.id());
    agent_id_ = hello.agent_id();
    epoch_ = hello.spool_epoch();
    std::vector<std::pair<std::string, std::string>> labels;
    for (const auto& l : hello.labels()) labels.emplace_back(l.name(), l.value());
    service_->agents_->Connected(agent_id_, hello.version(), hello.hostname(), std::move(labels),
                                 service_->clock_->Now());
    service_->agents_->UpdateStatus(agent_id_, hello.status());
    LogDebug("agent ", agent_id_, " connected from ", context_->peer(), " (version ", hello.version(), ")");
    hello_done_ = true;

    CollectorMessage welcome;
    welcome.mutable_welcome()->set_collector_version(PARAAT_VERSION);
    welcome.mutable_welcome()->set_max_batch_results(
        static_cast<uint32_t>(service_->options_.limits.max_results_per_batch));
    welcome.mutable_welcome()->set_max_inflight_batches(service_->options_.max_inflight_batches);
    Actions a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      SendLocked(std::move(welcome), a);
      a.read = !finish_requested_;
    }
    Apply(a);
  }

  void HandleBatch() {
    if (!in_->has_batch()) {
      Reject(reject_reason::kInvalid, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected a result batch"));
      return;
    }
    paraat::v1::ResultBatch* batch = in_->mutable_batch();
    absl::Status st = ValidateBatch(*batch, service_->options_.limits);
    if (!st.ok()) {
      Reject(st.code() == absl::StatusCode::kResourceExhausted ? reject_reason::kTooLarge : reject_reason::kInvalid,
             ToGrpcStatus(st), batch->results_size());
      return;
    }

    if (!service_->limiter_.Admit(agent_id_, connection_, static_cast<size_t>(batch->results_size()))) {
      Reject(reject_reason::kRateLimited,
             grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat("agent ", agent_id_, " sends more than ",
                                       static_cast<int64_t>(service_->options_.results_per_second),
                                       " results a second; slow down and resend")),
             batch->results_size());
      return;
    }
    if (batch->has_status()) service_->agents_->UpdateStatus(agent_id_, batch->status());
    if (service_->quota_ != nullptr) service_->quota_->Seen(agent_id_, service_->clock_->Now());
    auto item = std::make_unique<Ingest::Item>();
    item->received = service_->clock_->Now();
    item->arrived = service_->clock_->Monotonic();
    WriteGroup& g = item->group;
    g.agent_id = agent_id_;
    g.spool_epoch = epoch_;
    g.sequence = batch->sequence();
    g.records.reserve(batch->results_size() + batch->gaps_size());
    item->results.reserve(batch->results_size());

    // On the message's arena, so swapping each result in and out moves pointers only.
    auto* rec = google::protobuf::Arena::CreateMessage<paraat::v1::EvidenceRecord>(&arena_);
    auto* rr = rec->mutable_result();
    rr->set_agent_id(agent_id_);
    rr->set_spool_epoch(epoch_);
    rr->set_batch_sequence(batch->sequence());
    size_t unknown = 0;
    for (auto& result : *batch->mutable_results()) {
      if (!checks_.contains(result.check_id())) {
        NoteUnknownCheck(result.check_id(), ++unknown);
        continue;
      }
      PendingRecord pr;
      pr.type = RecordType::kResult;
      rr->mutable_result()->Swap(&result);
      rec->SerializeToString(&pr.payload);
      rr->mutable_result()->Swap(&result);
      g.records.push_back(std::move(pr));
      item->results.push_back({result.check_id(), ObservationFromResult(result, 0)});
    }
    uint64_t dropped = 0;
    for (const auto& gap : batch->gaps()) {
      paraat::v1::EvidenceRecord grec;
      grec.mutable_gap()->set_agent_id(agent_id_);
      *grec.mutable_gap()->mutable_gap() = gap;
      PendingRecord pr;
      pr.type = RecordType::kGap;
      grec.SerializeToString(&pr.payload);
      g.records.push_back(std::move(pr));
      dropped += gap.dropped_results();
      LogWarning("agent ", agent_id_, " reports ", gap.dropped_results(), " results dropped from its spool (",
                 gap.reason(), ")");
    }
    if (dropped) service_->metrics_->agent_dropped_results.Increment(static_cast<double>(dropped));
    if (unknown) service_->metrics_->Rejected(reject_reason::kUnknownCheck).Increment(static_cast<double>(unknown));
    // Nothing left to store: no dedup key either, so the batch is acknowledged in turn and nothing
    // records it as stored.
    if (g.records.empty()) g.agent_id.clear();

    const uint64_t sequence = batch->sequence();
    item->done = [this, sequence](const absl::Status& status, const WriteGroup& group) {
      OnCommitted(sequence, status, group.duplicate);
    };
    Actions a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++pending_commits_;
      ++inflight_;
      a.read = MayReadLocked();
      read_paused_ = !a.read;
    }
    service_->ingest_->Submit(std::move(item));
    Apply(a);
  }

  // On the ingest writer thread.
  void OnCommitted(uint64_t sequence, const absl::Status& status, bool duplicate) {
    Actions a;
    bool destroy = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --pending_commits_;
      --inflight_;
      if (done_) {
        destroy = pending_commits_ == 0;
      } else if (!status.ok()) {
        service_->metrics_->Rejected(reject_reason::kStoreError).Increment();
        RequestFinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         absl::StrCat("could not store batch ", sequence, "; resend later")),
                            a);
      } else {
        CollectorMessage ack;
        ack.mutable_ack()->set_sequence(sequence);
        ack.mutable_ack()->set_duplicate(duplicate);
        SendLocked(std::move(ack), a);
        if (read_paused_ && !read_closed_ && !finish_requested_ && MayReadLocked()) {
          read_paused_ = false;
          a.read = true;
        }
        MaybeFinishLocked(a);
      }
    }
    if (destroy) {
      delete this;
      return;
    }
    Apply(a);
  }

  void Reject(const char* reason, const grpc::Status& status, int results = 1) {
    service_->metrics_->Rejected(reason).Increment(std::max(results, 1));
    LogWarning("agent stream from ", context_->peer(), agent_id_.empty() ? "" : absl::StrCat(" (", agent_id_, ")"),
               " refused: ", status.error_message());
    Actions a;
    {
      std::lock_guard<std::mutex> lock(mu_);
      read_closed_ = true;  // no further reads on a refused stream
      RequestFinishLocked(status, a);
    }
    Apply(a);
  }

  // Results for a check the hello did not list are refused (the rest of the batch is stored, so
  // an agent whose config dropped a check still empties its spool); the first is logged.
  void NoteUnknownCheck(const std::string& check, size_t nth) {
    if (nth > 1 || unknown_logged_) return;
    unknown_logged_ = true;
    LogWarning("agent ", agent_id_, " sent results for check \"", check,
               "\", which its hello did not list: refused (counted in "
               "paraat_collector_results_rejected_total{reason=\"unknown_check\"}, logged once a stream)");
  }

  // Reads the next batch unless this stream has its window full, or has a batch in flight while
  // the writer is behind (its acknowledgement will come and check again).
  bool MayReadLocked() const {
    if (inflight_ >= service_->options_.max_inflight_batches) return false;
    return inflight_ == 0 || service_->ingest_->queued_records() < service_->options_.max_queued_records;
  }

  void SendLocked(CollectorMessage msg, Actions& a) {
    if (write_broken_ || finish_requested_) return;
    out_.push_back(std::move(msg));
    if (!writing_) {
      writing_ = true;
      a.write = &out_.front();
    }
  }

  void RequestFinishLocked(grpc::Status status, Actions& a) {
    if (finish_requested_) return;
    finish_requested_ = true;
    final_status_ = std::move(status);
    // Unsent acknowledgements are dropped: the agent resends those batches and gets duplicates.
    if (!writing_) out_.clear();
    MaybeFinishLocked(a);
  }

  // Finishes once nothing is being written and, for a clean end, every batch is acknowledged.
  void MaybeFinishLocked(Actions& a) {
    if (finished_ || writing_ || a.write != nullptr) return;
    if (finish_requested_) {
      finished_ = true;
      a.finish = true;
      a.status = final_status_;
      a.read = false;
      return;
    }
    if ((read_closed_ || write_broken_) && inflight_ == 0 && out_.empty()) {
      finished_ = true;
      a.finish = true;
      a.status = grpc::Status::OK;
      a.read = false;
    }
  }

  AgentServiceImpl* const service_;
  grpc::CallbackServerContext* const context_;
  google::protobuf::Arena arena_;
  AgentMessage* in_ = nullptr;  // on arena_
  bool hello_done_ = false;     // only touched by the read path, which is sequential
  std::string agent_id_;
  std::string connection_;                   // the peer, set once admitted
  absl::flat_hash_set<std::string> checks_;  // the checks the hello listed
  bool unknown_logged_ = false;
  uint64_t epoch_ = 0;

  std::mutex mu_;
  std::deque<CollectorMessage> out_;
  bool writing_ = false;
  bool write_broken_ = false;
  bool read_closed_ = false;
  bool read_paused_ = false;
  bool finish_requested_ = false;
  bool finished_ = false;
  bool done_ = false;
  uint32_t inflight_ = 0;
  int pending_commits_ = 0;
  grpc::Status final_status_;
};

AgentServiceImpl::AgentServiceImpl(Ingest* ingest, AgentRegistry* agents, CollectorMetrics* metrics, const Clock* clock,
                                   AgentServiceOptions options, AgentQuota* quota)
    : ingest_(ingest),
      agents_(agents),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      quota_(quota),
      limiter_(options_.results_per_second, options_.results_burst, clock) {}

grpc::Status AgentServiceImpl::Admit(const std::string& connection, const paraat::v1::Hello& hello,
                                     const char** reason) {
  const std::string& agent = hello.agent_id();
  // Without certificates nothing proves who a stream speaks for; one connection speaking for
  // many agent ids would multiply every per-agent limit.
  if (!options_.identities) {
    std::lock_guard<std::mutex> lock(connections_mu_);
    Connection& c = connections_[connection];
    if (c.streams > 0 && c.agent != agent) {
      *reason = reject_reason::kIdentity;
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("this connection already speaks for agent ", c.agent, "; agent ", agent,
                                       " needs a connection of its own"));
    }
    c.agent = agent;
    ++c.streams;
  }
  if (quota_ == nullptr) return grpc::Status::OK;
  const absl::Time now = clock_->Now();
  if (const int64_t ms = absl::ToInt64Milliseconds(clock_->Monotonic()); ms - last_forget_ms_.load() >= 60000) {
    last_forget_ms_ = ms;
    agents_->Forget(now - quota_->options().retention);
  }
  std::vector<std::string> checks;
  checks.reserve(hello.checks_size());
  for (const auto& c : hello.checks()) checks.push_back(c.id());
  bool agents_full = false;
  absl::Status st = quota_->Admit(agent, checks, now, &agents_full);
  if (st.ok()) return grpc::Status::OK;
  Release(connection);
  *reason = agents_full ? reject_reason::kTooManyAgents : reject_reason::kTooManyChecks;
  return ToGrpcStatus(st);
}

void AgentServiceImpl::Release(const std::string& connection) {
  std::lock_guard<std::mutex> lock(connections_mu_);
  auto it = connections_.find(connection);
  if (it != connections_.end() && --it->second.streams <= 0) connections_.erase(it);
}

grpc::ServerBidiReactor<AgentMessage, CollectorMessage>* AgentServiceImpl::Stream(
    grpc::CallbackServerContext* context) {
  return new AgentStreamReactor(this, context);
}

}  // namespace paraat
