#include "collector/collector.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/serving/web.h"
#include "common/fs.h"
#include "common/i18n.h"
#include "common/limits.h"
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

namespace paraat {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "collector";
  return buf;
}

}  // namespace

Collector::Collector(CollectorConfig config, const Clock* clock)
    : config_(std::move(config)),
      steady_clock_(std::make_unique<SteadyWallClock>(clock)),
      clock_(steady_clock_.get()) {}

Collector::~Collector() { Shutdown(); }

absl::Status Collector::Start() {
  // Plans first: a bad plan must stop start-up before anything else happens.
  auto plans = LoadPlansDir(config_.plans_dir);
  if (!plans.ok()) return plans.status();
  if (plans->empty()) LogWarning("no plans in ", config_.plans_dir, ": nothing to evaluate yet");

  PARAAT_ASSIGN_OR_RETURN(store_, OpenStore(config_.storage));
  absl::Status st = store_->Open();
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(store_->Describe(), ": ", st.message()));
  health_ = std::make_unique<StoreHealth>(store_->Describe(), clock_, &metrics_.store_up);

  Ingest::Options io;
  io.checkpoint_interval = config_.checkpoint_interval;
  io.retention = config_.retention;
  io.health = health_.get();
  if (store_->Shared()) {
    io.maintains = [this] { return cluster_->lease_valid(); };
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
  EvaluationOptions eo;
  eo.min_stale = config_.min_stale;
  eo.future_tolerance = config_.clock_tolerance;
  loop_ = std::make_unique<EvaluationLoop>(&state_, ingest_.get(), &metrics_, clock_, config_.evaluation_interval, eo);
  plans_ = std::make_unique<PlanSet>(config_.plans_dir, store_.get(), ingest_.get(), loop_.get());
  cluster_ = std::make_unique<Cluster>(store_.get(), ingest_.get(), loop_.get(), plans_.get(), clock_, restored_through,
                                       health_.get());
  PARAAT_RETURN_IF_ERROR(cluster_->Join());
  if (store_->Shared()) loop_->SetRecordingGuard([this] { return cluster_->lease_valid(); });
  // While the store is away nothing new is known and nothing can be recorded: the plans keep
  // their last verdicts (marked stale) until it is back.
  health_->OnChange([this](bool up) {
    loop_->SetPaused(!up);
    if (auto* h = grpc_health_.load()) h->SetServingStatus(up);
  });
  ingest_->SetOnCommitted([this](const std::vector<std::string>& sources) { loop_->SourcesChanged(sources); });
  ingest_->Start();
  const size_t plan_count = plans->size();
  PARAAT_RETURN_IF_ERROR(plans_->Start(*std::move(plans), cluster_->leading()));
  loop_->Start();
  cluster_->Start();

  chain_monitor_ = std::make_unique<ChainMonitor>(store_.get(), &metrics_, clock_, config_.verify_every,
                                                  [this] { return cluster_->lease_valid(); });
  PARAAT_RETURN_IF_ERROR(StartNotary());
  PARAAT_RETURN_IF_ERROR(StartGrpc());
  PARAAT_RETURN_IF_ERROR(StartHttp());
  started_ = true;
  chain_monitor_->Start();
  if (notary_) notary_->Start();
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
  ingest_->Stop();               // commits what is queued
  if (notary_) notary_->Stop();  // the last checkpoint covers everything committed
  if (server_) server_->Wait();
  LogInfo("paraat-collector stopped");
}

absl::StatusOr<size_t> Collector::ReloadPlans() { return plans_->Reload(); }

absl::Status Collector::StartNotary() {
  if (config_.signing_key.empty()) {
    LogWarning("no signing_key: the collector signs no checkpoints and exports carry no proof");
    return absl::OkStatus();
  }
  bool created = false;
  auto key = LoadCollectorKey(config_.signing_key, &created);
  if (!key.ok()) {
    const std::string where =
        config_.signing_key_line > 0 ? absl::StrCat(config_.file, ":", config_.signing_key_line) : config_.file;
    return absl::InvalidArgumentError(absl::StrCat(where, ": signing_key: ", key.status().message()));
  }
  if (created) {
    LogInfo("generated the evidence signing key ", config_.signing_key, " (key id ", key->key_id(), "); give auditors ",
            config_.signing_key, ".pub");
  }
  NotaryOptions o;
  o.origin = config_.evidence_origin;
  o.collector_id = config_.collector_id.empty() ? HostName() : config_.collector_id;
  o.every = config_.checkpoint_every;
  o.timestamping.url = config_.timestamping_url;
  o.timestamping.ca_file = config_.timestamping_ca;
  o.witness = config_.witness;
  notary_ = std::make_unique<Notary>(store_.get(), *std::move(key), std::move(o), &metrics_, clock_,
                                     [this] { return cluster_->lease_valid(); });
  metrics_.signing_enabled.Set(1);
  return absl::OkStatus();
}

ExportSigner Collector::ExportSigning() {
  ExportSigner s;
  if (!notary_) return s;
  s.sign = [this] { return notary_->Sign(); };
  s.public_key_pem = notary_->key().public_key().Pem();
  s.key_id = notary_->key().key_id();
  return s;
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
  ao.store_health = health_.get();
  ao.store = store_.get();
  ao.clock_tolerance = config_.clock_tolerance;
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
  hooks.store_status = [this] {
    const StoreHealth::State h = health_->state();
    paraat::v1::StoreStatus s;
    s.set_available(h.up);
    if (!h.up) {
      s.set_unavailable_since_unix_ns(ToUnixNs(h.down_since));
      s.set_error(h.error);
    }
    return s;
  };
  hooks.signer = ExportSigning();
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
  grpc_health_ = server_->GetHealthCheckService();
  grpc_health_.load()->SetServingStatus(health_->up());
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
      loop_.get(), &state_, &agents_, clock_, [this] { return cluster_->leading(); }, config_.agent_retention,
      [this] { return !health_->up(); });
  PARAAT_RETURN_IF_ERROR(StartConsole(auth));
  WebHooks hooks;
  hooks.before_scrape = [this] { metrics_.clock_step.Set(absl::ToDoubleSeconds(steady_clock_->Step())); };
  hooks.not_ready = [this]() -> std::string {
    const StoreHealth::State h = health_->state();
    if (h.up) return "";
    return absl::StrCat("evidence store unavailable since ", FormatTimeUtc(h.down_since), ": ", h.error);
  };
  RegisterWebPages(&http_, &metrics_, state_metrics_.get(), loop_.get(), clock_, std::move(auth), std::move(hooks));
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
  console_export_ = std::make_unique<EvidenceExport>(store_.get(), clock_, ExportSigning());
  ConsoleDeps d;
  d.loop = loop_.get();
  d.state = &state_;
  d.store = store_.get();
  d.agents = &agents_;
  d.authorizer = &*authorizer_;
  d.exercises = console_exercises_.get();
  d.continuity = query_service_->continuity();
  d.exporter = console_export_.get();
  d.chain = [this] { return chain_monitor_->last(); };
  d.clock = clock_;
  console_ = std::make_unique<WebConsole>(std::move(d), std::move(o));
  console_->Register(&http_);
  return absl::OkStatus();
}

}  // namespace paraat
