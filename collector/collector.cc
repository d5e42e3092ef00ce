#include "collector/collector.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/status_page.h"
#include "common/fs.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/net.h"
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

  Ingest::Options io;
  io.checkpoint_interval = config_.checkpoint_interval;
  io.retention = config_.retention;
  ingest_ = std::make_unique<Ingest>(store_.get(), &state_, &agents_, &metrics_, clock_, io);
  loop_ = std::make_unique<EvaluationLoop>(&state_, ingest_.get(), &metrics_, clock_, config_.evaluation_interval);
  ingest_->SetOnCommitted([this](const std::vector<std::string>& sources) { loop_->SourcesChanged(sources); });
  ingest_->Start();

  PARAAT_ASSIGN_OR_RETURN(auto states, store_->LoadPlanStates());
  loop_->RestoreStates(states);
  PARAAT_RETURN_IF_ERROR(RecordPlanChanges(*plans));
  const size_t plan_count = plans->size();
  loop_->SetPlans(*std::move(plans));
  loop_->Start();

  PARAAT_RETURN_IF_ERROR(StartGrpc());
  PARAAT_RETURN_IF_ERROR(StartHttp());
  started_ = true;
  verifier_ = std::thread([this] { VerifyLoop(); });
  LogInfo("paraat-collector ", PARAAT_VERSION, " serving: gRPC on ", config_.listen.substr(0, config_.listen.rfind(':')),
          ":", grpc_port_, ", metrics on http://", config_.metrics_listen.substr(0, config_.metrics_listen.rfind(':')),
          ":", http_.port(), "/metrics, ", CountOf(plan_count, "plan"), ", store ", store_->Describe());
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
    if (rec.ParseFromString(r.payload) && rec.has_result()) obs[r.seq] = ObservationFromResult(rec.result().result(), r.seq);
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
  PARAAT_RETURN_IF_ERROR(store_->Scan(through + 1, UINT64_MAX, [&](const StoredRecord& r) {
    if (r.type != RecordType::kResult) return true;
    paraat::v1::EvidenceRecord rec;
    if (!rec.ParseFromString(r.payload)) return true;
    std::vector<paraat::v1::Result> one{rec.result().result()};
    state_.AddResults(rec.result().agent_id(), one, r.seq, FromUnixNs(r.recorded_ns));
    ++folded;
    return true;
  }));

  PARAAT_ASSIGN_OR_RETURN(auto ex_seqs, store_->ExerciseSeqs());
  PARAAT_ASSIGN_OR_RETURN(auto ex_records, store_->Read(ex_seqs));
  for (const StoredRecord& r : ex_records) {
    paraat::v1::EvidenceRecord rec;
    if (!rec.ParseFromString(r.payload) || !rec.has_exercise()) continue;
    const auto& e = rec.exercise();
    ExerciseObservation o;
    o.kind = e.kind();
    o.performed = FromUnixNs(e.performed_unix_ns());
    o.passed = e.passed();
    if (e.has_duration_seconds()) o.duration_seconds = e.duration_seconds();
    o.evidence_seq = r.seq;
    state_.AddExercise(e.plan_id(), o);
  }
  PARAAT_ASSIGN_OR_RETURN(auto versions, store_->LoadPlanVersions());
  for (auto& [id, sha] : versions) plan_versions_[id] = sha;
  LogInfo("restored ", state_.source_count(), " sources (", folded, " results after the checkpoint), ",
          ex_records.size(), " exercises, ", agents.size(), " agents from ", store_->Describe());
  return absl::OkStatus();
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
  PARAAT_RETURN_IF_ERROR(RecordPlanChanges(*plans));
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
  query_service_ = std::make_unique<QueryServiceImpl>(loop_.get(), &state_, store_.get(), ingest_.get(), clock_,
                                                      std::move(hooks));

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
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", config_.listen,
                                               " (address in use, or not permitted?)"));
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
  state_metrics_ = std::make_shared<StateMetrics>(loop_.get(), &state_, &agents_, clock_);
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
    std::vector<prometheus::MetricFamily> families = metrics_.registry()->Collect();
    auto more = state_metrics_->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(families);
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
