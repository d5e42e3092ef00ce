#include "collector/collector.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/serving/web.h"
#include "common/fs.h"
#include "common/i18n.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/net.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "common/version.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

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

  Ingest::Options io;
  io.checkpoint_interval = config_.checkpoint_interval;
  io.retention = config_.retention;
  if (store_->Shared()) {
    io.maintains = [this] { return cluster_->leading(); };
    io.folded_through = [this] { return cluster_->folded_through(); };
    io.track_commits = true;
  }
  ingest_ = std::make_unique<Ingest>(store_.get(), &state_, &agents_, &metrics_, clock_, io);
  PARAAT_ASSIGN_OR_RETURN(const uint64_t restored_through, ingest_->Restore());
  // The agents and checks the state holds count against the limits from the start.
  quota_ =
      std::make_unique<AgentQuota>(AgentQuotaOptions{config_.max_agents, kMaxChecksPerAgent, config_.agent_retention});
  state_.ForEachSource(
      [this](const std::string&, const SourceState& s) { quota_->Restore(s.agent, s.check, s.received); });
  loop_ = std::make_unique<EvaluationLoop>(&state_, ingest_.get(), &metrics_, clock_, config_.evaluation_interval);
  plans_ = std::make_unique<PlanSet>(config_.plans_dir, store_.get(), ingest_.get(), loop_.get());
  cluster_ =
      std::make_unique<Cluster>(store_.get(), ingest_.get(), loop_.get(), plans_.get(), clock_, restored_through);
  PARAAT_RETURN_IF_ERROR(cluster_->Join());
  ingest_->SetOnCommitted([this](const std::vector<std::string>& sources) { loop_->SourcesChanged(sources); });
  ingest_->Start();
  const size_t plan_count = plans->size();
  PARAAT_RETURN_IF_ERROR(plans_->Start(*std::move(plans), cluster_->leading()));
  loop_->Start();
  cluster_->Start();

  chain_monitor_ = std::make_unique<ChainMonitor>(store_.get(), &metrics_, clock_, config_.verify_every,
                                                  [this] { return cluster_->leading(); });
  PARAAT_RETURN_IF_ERROR(StartGrpc());
  PARAAT_RETURN_IF_ERROR(StartHttp());
  started_ = true;
  chain_monitor_->Start();
  LogInfo("paraat-collector ", PARAAT_VERSION, " serving: gRPC on ",
          config_.listen.substr(0, config_.listen.rfind(':')), ":", grpc_port_, ", metrics on http://",
          config_.metrics_listen.substr(0, config_.metrics_listen.rfind(':')), ":", http_.port(), "/metrics, ",
          CountOf(plan_count, "plan"), ", store ", store_->Describe());
  return absl::OkStatus();
}

void Collector::Shutdown() {
  if (!started_) {
    if (cluster_) cluster_->Stop();
    if (loop_) loop_->Stop();
    if (ingest_) ingest_->Stop();
    return;
  }
  started_ = false;
  chain_monitor_->Stop();
  cluster_->Stop();
  http_.Stop();
  // gRPC's own deadline for calls in flight (its clock, not ours).
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  loop_->Stop();
  ingest_->Stop();  // commits what is queued
  if (server_) server_->Wait();
  LogInfo("paraat-collector stopped");
}

absl::StatusOr<size_t> Collector::ReloadPlans() { return plans_->Reload(); }

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
  agent_service_ = std::make_unique<AgentServiceImpl>(ingest_.get(), &agents_, &metrics_, clock_, ao, quota_.get());
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
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxReceiveMessageBytes));
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
  WebAuth auth{config_.metrics_user, ""};
  if (!config_.metrics_password_file.empty()) {
    auto pw = ReadRegularFile(config_.metrics_password_file, kMaxSecretFileBytes);
    if (!pw.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config_.file, ": metrics_auth: ", config_.metrics_password_file, ": ", pw.status().message()));
    }
    auth.password = std::string(absl::StripTrailingAsciiWhitespace(*pw));
  }
  // With several collectors, plan series come from the leader only: no two contradicting ones.
  state_metrics_ = std::make_unique<StateMetrics>(
      loop_.get(), &state_, &agents_, clock_, [this] { return cluster_->leading(); }, config_.agent_retention);
  PARAAT_RETURN_IF_ERROR(StartConsole(auth));
  RegisterWebPages(&http_, &metrics_, state_metrics_.get(), loop_.get(), clock_, std::move(auth));
  // With HTTPS and a CA for the agents' certificates, people may sign in with theirs too.
  const std::string client_ca = config_.metrics_tls_cert.empty() ? "" : config_.tls.ca;
  return http_.Start(config_.metrics_listen,
                     HttpServerOptions{config_.metrics_tls_cert, config_.metrics_tls_key, client_ca});
}

absl::Status Collector::StartConsole(const WebAuth& auth) {
  ConsoleOptions o;
  // As the status page was: without an auth section, local users may do everything on a
  // loopback collector, and anyone may read the overview on another address.
  if (config_.auth_configured) {
    o.anonymous = authorizer_->anonymous();
  } else {
    o.anonymous = IsLoopbackAddress(config_.metrics_listen) ? QueryRole::kAdmin : QueryRole::kViewer;
  }
  o.tokens = !config_.auth.tokens.empty();
  if (!config_.web_theme.empty()) {
    auto css = ReadFile(config_.web_theme);
    if (!css.ok())
      return absl::InvalidArgumentError(absl::StrCat(config_.file, ": web.theme: ", css.status().message()));
    o.theme_css = *css;
  }
  auto zone = LoadZone(config_.web_time_zone);
  if (!zone.ok())
    return absl::InvalidArgumentError(absl::StrCat(config_.file, ": web.time_zone: ", zone.status().message()));
  o.zone = *zone;
  o.default_lang = ParseLang(config_.web_language).value_or(Lang::kNl);
  o.session_ttl = config_.web_session_ttl;
  o.basic_user = auth.user;
  o.basic_password = auth.password;
  console_exercises_ = std::make_unique<ExerciseRecorder>(loop_.get(), store_.get(), ingest_.get(), clock_);
  console_export_ = std::make_unique<EvidenceExport>(store_.get(), clock_);
  ConsoleDeps d;
  d.loop = loop_.get();
  d.state = &state_;
  d.store = store_.get();
  d.agents = &agents_;
  d.authorizer = &*authorizer_;
  d.exercises = console_exercises_.get();
  d.exporter = console_export_.get();
  d.chain = [this] { return chain_monitor_->last(); };
  d.clock = clock_;
  console_ = std::make_unique<WebConsole>(std::move(d), std::move(o));
  console_->Register(&http_);
  return absl::OkStatus();
}

}  // namespace paraat
