#include "collector/collector.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/serving/status_page.h"
#include "common/fs.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/net.h"
#include "common/process.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "common/units.h"
#include "common/version.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "prometheus/text_serializer.h"

namespace paraat {

Collector::Collector(CollectorConfig config, const Clock* clock) : config_(std::move(config)), clock_(clock) {}

Collector::~Collector() { Shutdown(); }

absl::Status Collector::Start() {
  // Plans first: a bad plan must stop start-up before anything else happens.
  auto plans = LoadPlansDir(config_.plans_dir);
  if (!plans.ok()) return plans.status();
  if (plans->empty()) LogWarning("no plans in ", config_.plans_dir, ": nothing to evaluate yet");

  PARAAT_ASSIGN_OR_RETURN(store_, OpenStore(config_.storage));
  absl::Status st = store_->Open();
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(store_->Describe(), ": ", st.message()));
  PARAAT_RETURN_IF_ERROR(RestoreState());
  shared_ = store_->Shared();
  if (shared_) {
    auto lead = store_->TryLead();
    if (!lead.ok())
      return absl::Status(lead.status().code(), absl::StrCat(store_->Describe(), ": ", lead.status().message()));
    leading_ = *lead;
    LogInfo(leading_ ? "this collector leads: it evaluates plans, records their state changes and exports plan metrics"
                     : "another collector leads (evaluates plans); this one ingests and answers queries");
  }

  Ingest::Options io;
  io.checkpoint_interval = config_.checkpoint_interval;
  io.retention = config_.retention;
  if (shared_) {
    io.maintains = [this] { return leading_.load(); };
    io.folded_through = [this] { return tail_cursor_.load(); };
    io.track_commits = true;
  }
  ingest_ = std::make_unique<Ingest>(store_.get(), &state_, &agents_, &metrics_, clock_, io);
  loop_ = std::make_unique<EvaluationLoop>(&state_, ingest_.get(), &metrics_, clock_, config_.evaluation_interval);
  ingest_->SetOnCommitted([this](const std::vector<std::string>& sources) { loop_->SourcesChanged(sources); });
  ingest_->Start();

  PARAAT_ASSIGN_OR_RETURN(auto states, store_->LoadPlanStates());
  loop_->RestoreStates(states);
  loop_->SetRecording(leading_);
  if (leading_) PARAAT_RETURN_IF_ERROR(RecordPlanChanges(*plans));
  const size_t plan_count = plans->size();
  loop_->SetPlans(*std::move(plans));
  loop_->Start();
  if (shared_) coordinator_ = std::thread([this] { Coordinate(); });

  PARAAT_RETURN_IF_ERROR(StartGrpc());
  PARAAT_RETURN_IF_ERROR(StartHttp());
  started_ = true;
  verifier_ = std::thread([this] { VerifyLoop(); });
  LogInfo("paraat-collector ", PARAAT_VERSION, " serving: gRPC on ",
          config_.listen.substr(0, config_.listen.rfind(':')), ":", grpc_port_, ", metrics on http://",
          config_.metrics_listen.substr(0, config_.metrics_listen.rfind(':')), ":", http_.port(), "/metrics, ",
          CountOf(plan_count, "plan"), ", store ", store_->Describe());
  return absl::OkStatus();
}

void Collector::Shutdown() {
  if (!started_) {
    if (loop_) loop_->Stop();
    if (ingest_) ingest_->Stop();
    return;
  }
  started_ = false;
  {
    std::lock_guard<std::mutex> lock(verifier_mu_);
    stopping_ = true;
  }
  verifier_cv_.notify_all();
  if (verifier_.joinable()) verifier_.join();
  if (coordinator_.joinable()) coordinator_.join();
  http_.Stop();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  loop_->Stop();
  ingest_->Stop();  // commits what is queued
  if (server_) server_->Wait();
  LogInfo("paraat-collector stopped");
}

absl::Status Collector::RestoreState() {
  PARAAT_ASSIGN_OR_RETURN(auto agents, store_->LoadAgents());
  for (const AgentRow& a : agents) agents_.Restore(a);

  uint64_t through = 0;
  PARAAT_ASSIGN_OR_RETURN(auto rows, store_->LoadCheckpoint(&through));
  std::vector<uint64_t> seqs;
  for (const SourceCheckpoint& r : rows) {
    for (uint64_t s : {r.latest_seq, r.conclusive_seq, r.ok_seq}) {
      if (s) seqs.push_back(s);
    }
  }
  PARAAT_ASSIGN_OR_RETURN(auto records, store_->Read(seqs));
  std::map<uint64_t, Observation> obs;
  for (const StoredRecord& r : records) {
    paraat::v1::EvidenceRecord rec;
    if (rec.ParseFromString(r.payload) && rec.has_result())
      obs[r.seq] = ObservationFromResult(rec.result().result(), r.seq);
  }
  for (const SourceCheckpoint& r : rows) {
    SourceState s;
    size_t slash = r.source.find('/');
    s.agent = r.source.substr(0, slash);
    s.check = r.source.substr(slash + 1);
    if (auto it = obs.find(r.latest_seq); it != obs.end()) s.latest = it->second;
    if (auto it = obs.find(r.conclusive_seq); it != obs.end()) s.latest_conclusive = it->second;
    if (auto it = obs.find(r.ok_seq); it != obs.end()) s.latest_ok = it->second;
    s.received = FromUnixNs(r.received_ns);
    if (s.latest) state_.RestoreSource(r.source, std::move(s));
  }
  // Results committed after the last checkpoint.
  uint64_t folded = 0;
  tail_cursor_ = through;
  std::vector<std::string> changed;
  PARAAT_RETURN_IF_ERROR(store_->Scan(through + 1, UINT64_MAX, [&](const StoredRecord& r) {
    tail_cursor_ = r.seq;
    if (r.type != RecordType::kResult) return true;
    Fold(r, &changed);
    ++folded;
    return true;
  }));

  PARAAT_ASSIGN_OR_RETURN(auto ex_seqs, store_->ExerciseSeqs());
  PARAAT_ASSIGN_OR_RETURN(auto ex_records, store_->Read(ex_seqs));
  for (const StoredRecord& r : ex_records) Fold(r, &changed);
  PARAAT_ASSIGN_OR_RETURN(auto versions, store_->LoadPlanVersions());
  for (auto& [id, sha] : versions) plan_versions_[id] = sha;
  LogInfo("restored ", state_.source_count(), " sources (", folded, " results after the checkpoint), ",
          ex_records.size(), " exercises, ", agents.size(), " agents from ", store_->Describe());
  return absl::OkStatus();
}

void Collector::Fold(const StoredRecord& r, std::vector<std::string>* changed) {
  if (r.type != RecordType::kResult && r.type != RecordType::kExercise) return;
  paraat::v1::EvidenceRecord rec;
  if (!rec.ParseFromString(r.payload)) return;  // verification reports it
  if (rec.has_result()) {
    const std::string& agent = rec.result().agent_id();
    const paraat::v1::Result& res = rec.result().result();
    std::vector<CheckObservation> one;
    one.push_back({res.check_id(), ObservationFromResult(res, r.seq)});
    state_.AddResults(agent, std::move(one), r.seq, FromUnixNs(r.recorded_ns));
    changed->push_back(SourceKey(agent, res.check_id()));
  } else if (rec.has_exercise()) {
    const auto& e = rec.exercise();
    ExerciseObservation o;
    o.kind = e.kind();
    o.performed = FromUnixNs(e.performed_unix_ns());
    o.passed = e.passed();
    if (e.has_duration_seconds()) o.duration_seconds = e.duration_seconds();
    o.evidence_seq = r.seq;
    state_.AddExercise(e.plan_id(), o);
  }
}

void Collector::Coordinate() {
  absl::Time next_lead = clock_->Now() + absl::Seconds(1);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(verifier_mu_);
      if (verifier_cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_; })) return;
    }
    Tail(false);
    if (clock_->Now() >= next_lead) {
      UpdateLeadership();
      next_lead = clock_->Now() + absl::Seconds(1);
    }
  }
}

void Collector::Tail(bool all) {
  for (auto [first, last] : ingest_->TakeCommittedRanges()) own_ranges_[first] = last;
  std::vector<std::string> changed;
  uint64_t cursor = tail_cursor_;
  constexpr size_t kSlice = 100000;  // records folded before the evaluation hears of them
  bool more = true;
  while (more) {
    more = false;
    absl::Status st = store_->Scan(cursor + 1, UINT64_MAX, [&](const StoredRecord& r) {
      // Records this collector committed itself are in the state already.
      auto it = own_ranges_.upper_bound(r.seq);
      const bool mine = it != own_ranges_.begin() && std::prev(it)->second >= r.seq;
      if (!mine) Fold(r, &changed);
      cursor = r.seq;
      if (changed.size() >= kSlice) {
        more = all;
        return false;
      }
      return true;
    });
    if (!st.ok()) {
      LogWarning("reading what other collectors stored failed (retrying): ", st.message());
      break;
    }
    tail_cursor_ = cursor;
    while (!own_ranges_.empty() && own_ranges_.begin()->second <= cursor) own_ranges_.erase(own_ranges_.begin());
    if (!changed.empty()) loop_->SourcesChanged(changed);
    changed.clear();
  }
}

void Collector::UpdateLeadership() {
  auto lead = store_->TryLead();
  if (!lead.ok()) LogWarning("cannot tell whether this collector leads: ", lead.status().message());
  const bool now = lead.ok() && *lead;
  if (now == leading_) return;
  if (!now) {
    leading_ = false;
    loop_->SetRecording(false);
    LogWarning("this collector no longer leads; another collector evaluates plans");
    return;
  }
  // Taking over: fold in everything first, so no state change is recorded from missing
  // results; start from the states the previous leader recorded.
  Tail(true);
  auto states = store_->LoadPlanStates();
  auto versions = store_->LoadPlanVersions();
  if (!states.ok() || !versions.ok()) {
    LogWarning("cannot take over as leader yet: ",
               states.ok() ? versions.status().message() : states.status().message());
    return;
  }
  loop_->RestoreStates(*states);
  std::vector<Plan> plans;
  {
    std::lock_guard<std::mutex> lock(reload_mu_);
    plan_versions_.clear();
    for (auto& [id, sha] : *versions) plan_versions_[id] = sha;
    for (const auto& p : *loop_->plans()) plans.push_back(*p);
    if (absl::Status st = RecordPlanChanges(plans); !st.ok()) LogWarning("recording plan changes: ", st.message());
  }
  loop_->SetRecording(true);
  leading_ = true;
  LogInfo("this collector now leads: it evaluates plans, records their state changes and exports plan metrics");
  loop_->SourcesChanged({});
}

absl::Status Collector::RecordPlanChanges(const std::vector<Plan>& plans) {
  std::vector<PendingRecord> records;
  std::set<std::string> current;
  auto add = [&](const std::string& id, const std::string& change, const Plan* plan) {
    paraat::v1::EvidenceRecord rec;
    auto* pc = rec.mutable_plan_change();
    pc->set_plan_id(id);
    pc->set_change(change);
    if (plan != nullptr) {
      pc->set_file(plan->file);
      pc->set_sha256(plan->sha256);
      *pc->mutable_definition() = ToProto(*plan);
    }
    PendingRecord pr;
    pr.type = RecordType::kPlanChange;
    pr.plan_id = id;
    pr.sha256 = plan ? plan->sha256 : "";
    rec.SerializeToString(&pr.payload);
    records.push_back(std::move(pr));
    LogInfo("plan ", id, " ", change, plan ? absl::StrCat(" (", plan->file, ")") : "");
  };
  for (const Plan& p : plans) {
    current.insert(p.id);
    auto it = plan_versions_.find(p.id);
    if (it == plan_versions_.end() || it->second.empty()) {
      add(p.id, "added", &p);
    } else if (it->second != p.sha256) {
      add(p.id, "changed", &p);
    }
  }
  for (const auto& [id, sha] : plan_versions_) {
    if (!sha.empty() && !current.count(id)) add(id, "removed", nullptr);
  }
  if (records.empty()) return absl::OkStatus();
  auto seq = ingest_->AppendAndWait(records);
  if (!seq.ok()) return seq.status();
  for (const PendingRecord& r : records) plan_versions_[r.plan_id] = r.sha256;
  return absl::OkStatus();
}

void Collector::VerifyLoop() {
  // Background work: the scheduler gives ingest, evaluation and scrapes the CPU first. (The
  // thread the store starts to verify the chain's second half inherits this.) A paraatctl
  // verify runs on a request thread, at normal priority.
  if (absl::Status st = LowerThreadPriority(19); !st.ok()) {
    LogWarning("cannot lower the priority of chain verification: ", st.message());
  }
  // Soon after start, then every verify_every.
  absl::Duration wait = std::min(absl::Seconds(10), config_.verify_every);
  while (true) {
    {
      std::unique_lock<std::mutex> lock(verifier_mu_);
      if (verifier_cv_.wait_for(lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(wait)),
                                [&] { return stopping_; })) {
        return;
      }
    }
    wait = config_.verify_every;
    if (!leading_) continue;  // one collector verifies the shared chain
    const absl::Time start = clock_->Now();
    auto v = store_->Verify(nullptr);
    if (!v.ok()) {
      LogWarning("evidence chain verification could not run: ", v.status().message());
      continue;
    }
    metrics_.chain_verified.Set(v->ok() ? 1 : 0);
    metrics_.chain_verified_time.Set(absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch()));
    metrics_.chain_records.Set(static_cast<double>(v->records_checked()));
    if (v->ok()) {
      LogInfo("evidence chain verified: ", v->records_checked(), " records in ", HumanDuration(clock_->Now() - start));
    } else {
      LogError("EVIDENCE CHAIN BROKEN at record ", v->first_bad_seq(), ": ", v->problem());
    }
  }
}

absl::StatusOr<size_t> Collector::ReloadPlans() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  auto plans = LoadPlansDir(config_.plans_dir);
  if (!plans.ok()) {
    LogError("plans not reloaded; the last good plans stay in use:\n", plans.status().message());
    return plans.status();
  }
  if (leading_) PARAAT_RETURN_IF_ERROR(RecordPlanChanges(*plans));  // else the leader records them
  const size_t n = plans->size();
  loop_->SetPlans(*std::move(plans));
  LogInfo("plans reloaded: ", CountOf(n, "plan"));
  return n;
}

absl::Status Collector::StartGrpc() {
  auto authorizer = Authorizer::Create(config_.auth);
  if (!authorizer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(config_.file, ": auth: ", authorizer.status().message()));
  }
  authorizer_ = *std::move(authorizer);
  AgentServiceOptions ao;
  ao.results_per_second = config_.agent_results_per_second;
  ao.results_burst = config_.agent_results_burst;
  if (config_.tls.enabled()) {
    // Agents prove who they are with their certificate; without one they are refused.
    ao.identities = [](const grpc::CallbackServerContext& ctx) {
      auto ac = ctx.auth_context();
      return ac ? PeerIdentities(*ac) : std::vector<std::string>();
    };
  } else if (!IsLoopbackAddress(config_.listen)) {
    LogWarning("agent identities are not verified: ", config_.listen, " serves plaintext (insecure: true)");
  }
  agent_service_ = std::make_unique<AgentServiceImpl>(ingest_.get(), &agents_, &metrics_, clock_, ao);
  QueryServiceHooks hooks;
  hooks.reload_plans = [this] { return ReloadPlans(); };
  hooks.authorize = [this](const grpc::ServerContext& ctx, Permission p) { return authorizer_->Check(ctx, p); };
  query_service_ =
      std::make_unique<QueryServiceImpl>(loop_.get(), &state_, store_.get(), ingest_.get(), clock_, std::move(hooks));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (config_.tls.enabled()) {
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    auto ca = ReadFile(config_.tls.ca);
    auto cert = ReadFile(config_.tls.cert);
    auto key = ReadFile(config_.tls.key);
    for (const auto* f : {&ca, &cert, &key}) {
      if (!f->ok()) return absl::InvalidArgumentError(absl::StrCat(config_.file, ": tls: ", f->status().message()));
    }
    ssl.pem_root_certs = *ca;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  builder.AddListeningPort(config_.listen, creds, &grpc_port_);
  builder.RegisterService(agent_service_.get());
  builder.RegisterService(query_service_.get());
  builder.SetMaxReceiveMessageSize(8 << 20);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", config_.listen, " (address in use, or not permitted?)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  return absl::OkStatus();
}

absl::Status Collector::StartHttp() {
  if (!config_.metrics_password_file.empty()) {
    auto pw = ReadFile(config_.metrics_password_file);
    if (!pw.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(config_.file, ": metrics_auth: ", pw.status().message()));
    }
    metrics_password_ = std::string(absl::StripTrailingAsciiWhitespace(*pw));
  }
  // With several collectors, plan series come from the leader only: no two contradicting ones.
  state_metrics_ =
      std::make_shared<StateMetrics>(loop_.get(), &state_, &agents_, clock_, [this] { return leading_.load(); });
  // With metrics_auth, every page needs the user and password (HTTP basic authentication).
  auto denied = [this](const HttpRequest& req) -> std::optional<HttpResponse> {
    if (config_.metrics_user.empty()) return std::nullopt;
    if (req.user == config_.metrics_user && SecretEquals(req.password, metrics_password_)) return std::nullopt;
    HttpResponse r;
    r.status = 401;
    r.body = "authentication required\n";
    r.headers["WWW-Authenticate"] = "Basic realm=\"paraat\", charset=\"UTF-8\"";
    return r;
  };
  http_.Handle("/metrics", [this, denied](const HttpRequest& req) {
    if (auto d = denied(req)) return *d;
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(metrics_.registry()->Collect());
    state_metrics_->Render(&r.body);
    return r;
  });
  http_.Handle("/", [this, denied](const HttpRequest& req) {
    if (auto d = denied(req)) return *d;
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = RenderStatusPage(*loop_->snapshot(), clock_->Now());
    return r;
  });
  http_.Handle("/healthz", [](const HttpRequest&) {
    HttpResponse r;
    r.body = "ok\n";
    return r;
  });
  return http_.Start(config_.metrics_listen, HttpServerOptions{config_.metrics_tls_cert, config_.metrics_tls_key});
}

}  // namespace paraat
