// Never let anyone in: mutual TLS with certificates made by openssl at test time, agent
// identities bound to their certificates (spoofing refused and counted), query roles by token and
// by client certificate, basic authentication and TLS on /metrics, and hostile or broken agent
// streams that hurt only themselves while the collector keeps serving everyone else.
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "paraat/v1/agent.grpc.pb.h"
#include "tests/testlib/certs.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value of a series in a Prometheus exposition (-1 when absent).
double MetricValue(const std::string& metrics, const std::string& series) {
  size_t pos = metrics.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(metrics.substr(pos + series.size() + 2));
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCa::Create(dir_ / "ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    auto rogue = TestCa::Create(dir_ / "rogue", "Rogue CA");
    ASSERT_TRUE(rogue.ok());
    server_ = *ca_.Issue("collector", "collector.test", "DNS:localhost,IP:127.0.0.1");
    db01_ = *ca_.Issue("db-01", "db-01", "URI:spiffe://paraat.test/agent/db-01");
    db02_ = *ca_.Issue("db-02", "db-02", "");
    admin_ = *ca_.Issue("ops-admin", "ops-admin", "");
    rogue_ = *rogue->Issue("rogue-db-01", "db-01", "");
    for (const auto& [name, role] : {std::pair{"viewer", "viewer"}, {"auditor", "auditor"}, {"admin", "admin"}}) {
      WriteFileOrDie(dir_ / (std::string(name) + ".token"), absl::StrCat("token-for-the-", name, "-role-0123456789\n"));
      ::chmod((dir_ / (std::string(name) + ".token")).c_str(), 0600);
    }
    WriteFileOrDie(dir_ / "metrics.pass", "scrape-secret\n");
    ::chmod((dir_ / "metrics.pass").c_str(), 0600);
    WriteBackup(dir_ / "backups/db.dump", 4096, true);
    WriteFileOrDie(dir_ / "plans/brp.yaml",
                   "id: brp\nname: BRP\nobjectives: {rpo: 1h, rto: 4h}\nsources:\n"
                   "  recovery_point: [db-01/dump]\n");
    auto c = StartCollector(
        dir_.path(), dir_ / "plans",
        absl::StrCat(
            "tls: {ca: ", ca_.ca_pem(), ", cert: ", server_.cert, ", key: ", server_.key,
            "}\n"
            "auth:\n  tokens:\n    - {file: viewer.token, role: viewer}\n    - {file: auditor.token, role: auditor}\n"
            "    - {file: admin.token, role: admin}\n  clients:\n    - {subject: ops-admin, role: admin}\n"
            "metrics_tls: {cert: ",
            server_.cert, ", key: ", server_.key,
            "}\n"
            "metrics_auth: {user: prometheus, password_file: metrics.pass}\n"
            "limits: {agent_results_per_second: 50, agent_results_burst: 100}\n"));
    ASSERT_TRUE(c.ok()) << c.status();
    collector_ = std::move(*c);
  }

  std::string AgentConfig(const std::string& id, const std::string& tls) {
    return absl::StrCat("agent: {id: ", id, "}\ncollector: {address: ", collector_.address(), tls,
                        "}\nspool: {dir: spool-", ++spools_,
                        "}\nchecks:\n"
                        "  - {id: dump, kind: file_backup, interval: 1m, path: backups/*.dump, checksum: sidecar}\n");
  }
  std::string Tls(const CertFiles& c) {
    return absl::StrCat(", tls: {ca: ", ca_.ca_pem(), ", cert: ", c.cert, ", key: ", c.key, "}");
  }
  RunResult Once(const std::string& name, const std::string& config) {
    WriteFileOrDie(dir_ / name, config);
    return RunCommand({AgentBin(), "--config", dir_ / name, "--once", "--flush-timeout", "5s"}, absl::Seconds(60));
  }
  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CtlBin(), "--collector", collector_.address(), "--ca", ca_.ca_pem()});
    return RunCommand(args);
  }
  std::string Metrics() {
    return HttpGet(absl::StrCat("https://127.0.0.1:", collector_.metrics_port, "/metrics"), nullptr,
                   HttpOptions{ca_.ca_pem(), "prometheus", "scrape-secret", {}})
        .value_or("");
  }

  TempDir dir_;
  TestCa ca_;
  CertFiles server_, db01_, db02_, admin_, rogue_;
  CollectorProcess collector_;
  int spools_ = 0;  // every attempt its own spool: refused results must not ride along later
};

TEST_F(SecurityTest, AgentsAreWhoTheirCertificatesSay) {
  // The rightful agent gets in.
  RunResult ok = Once("db01.yaml", AgentConfig("db-01", Tls(db01_)));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // db-02's certificate claiming to be db-01: refused, counted, nothing stored.
  RunResult spoof = Once("spoof.yaml", AgentConfig("db-01", Tls(db02_)));
  EXPECT_EQ(spoof.exit_code, 1);
  EXPECT_THAT(collector_.process->Log(), HasSubstr("claims to be \"db-01\" but its certificate names db-02"));
  EXPECT_GE(MetricValue(Metrics(), "paraat_collector_results_rejected_total{reason=\"identity_mismatch\"}"), 1);
  // A certificate from another CA, or none at all: no way in.
  EXPECT_EQ(Once("rogue.yaml", AgentConfig("db-01", Tls(rogue_))).exit_code, 1);
  RunResult nocert =
      Once("nocert.yaml", AgentConfig("db-01", absl::StrCat(", tls: {ca: ", ca_.ca_pem(), ", cert: ", db01_.cert,
                                                            ", key: ", db01_.key, "}, insecure: true")));
  EXPECT_EQ(nocert.exit_code, 0) << "sanity: the same config with its certificate works";
  // Plaintext to a TLS collector fails.
  EXPECT_EQ(Once("plain.yaml", AgentConfig("db-01", "")).exit_code, 1);

  std::string m = Metrics();
  // Exactly the two deliveries of the rightful agent are stored.
  EXPECT_EQ(MetricValue(m, "paraat_collector_results_received_total"), 2) << m;
}

TEST_F(SecurityTest, AnAgentWithoutAClientCertificateCannotSend) {
  // TLS to the collector with the right CA, but no certificate of its own: the config loader
  // requires cert and key, so speak the protocol directly.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrDie(ca_.ca_pem());
  auto channel = grpc::CreateChannel(collector_.address(), grpc::SslCredentials(ssl));
  auto stub = v1::AgentService::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Stream(&ctx);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_agent_id("db-01");
  stream->Write(hello);
  v1::CollectorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
}

TEST_F(SecurityTest, QueryRolesByTokenAndCertificate) {
  // No credentials: nothing.
  RunResult r = Ctl({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("no credentials"));
  // Viewer: status yes, evidence no.
  r = Ctl({"--token-file", dir_ / "viewer.token", "status"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Ctl({"--token-file", dir_ / "viewer.token", "evidence", "verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("needs the auditor role; the caller has viewer"));
  // Auditor: evidence yes, exercises no.
  r = Ctl({"--token-file", dir_ / "auditor.token", "evidence", "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Ctl({"--token-file", dir_ / "auditor.token", "exercise", "record", "--plan", "brp", "--kind", "tabletop",
           "--date", "1d", "--outcome", "passed"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("needs the admin role"));
  // Admin by token, and by client certificate.
  r = Ctl({"--token-file", dir_ / "admin.token", "exercise", "record", "--plan", "brp", "--kind", "tabletop", "--date",
           "1d", "--outcome", "passed"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Ctl({"--cert", admin_.cert, "--key", admin_.key, "reload"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // An agent's certificate grants no query role.
  r = Ctl({"--cert", db01_.cert, "--key", db01_.key, "status"});
  EXPECT_EQ(r.exit_code, 1);
  // A wrong token is no token.
  WriteFileOrDie(dir_ / "guess.token", "token-for-the-admin-role-0123456788\n");
  r = Ctl({"--token-file", dir_ / "guess.token", "status"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(SecurityTest, MetricsNeedTlsAndThePassword) {
  int status = 0;
  const std::string url = absl::StrCat("https://127.0.0.1:", collector_.metrics_port, "/metrics");
  auto body = HttpGet(url, &status, HttpOptions{ca_.ca_pem(), "", "", {}});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(status, 401);
  body = HttpGet(url, &status, HttpOptions{ca_.ca_pem(), "prometheus", "wrong", {}});
  EXPECT_EQ(status, 401);
  body = HttpGet(url, &status, HttpOptions{ca_.ca_pem(), "prometheus", "scrape-secret", {}});
  EXPECT_EQ(status, 200);
  EXPECT_THAT(*body, HasSubstr("paraat_build_info"));
  // Secrets appear nowhere in what the collector exposes.
  EXPECT_THAT(*body, Not(HasSubstr("scrape-secret")));
  EXPECT_THAT(*body, Not(HasSubstr("token-for-the")));
  EXPECT_FALSE(HttpGet(absl::StrCat("http://127.0.0.1:", collector_.metrics_port, "/metrics"), &status).ok() &&
               status == 200);
}

TEST_F(SecurityTest, SecretFilesReadableByEveryoneAreRefused) {
  ::chmod((dir_ / "admin.token").c_str(), 0644);
  WriteFileOrDie(dir_ / "c2.yaml", absl::StrCat("listen: 127.0.0.1:0\nstorage: sqlite://x.db\nplans_dir: plans\n",
                                                "auth:\n  tokens: [{file: admin.token, role: admin}]\n"));
  RunResult r = RunCommand({CollectorBin(), "--config", dir_ / "c2.yaml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("admin.token is readable by everyone"));
}

// A raw agent stream with the rightful certificate, for messages no real agent would send.
class RawStream {
 public:
  RawStream(const std::string& target, const TestCa& ca, const CertFiles& cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileOrDie(ca.ca_pem());
    ssl.pem_cert_chain = ReadFileOrDie(cert.cert);
    ssl.pem_private_key = ReadFileOrDie(cert.key);
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args);
    stub_ = v1::AgentService::NewStub(channel_);
    stream_ = stub_->Stream(&ctx_);
  }
  bool Send(const v1::AgentMessage& m) { return stream_->Write(m); }
  bool Receive(v1::CollectorMessage* m) { return stream_->Read(m); }
  grpc::Status Finish() {
    stream_->WritesDone();
    v1::CollectorMessage m;
    while (stream_->Read(&m)) {
    }
    return stream_->Finish();
  }
  static v1::AgentMessage Hello(const std::string& id) {
    v1::AgentMessage m;
    m.mutable_hello()->set_agent_id(id);
    m.mutable_hello()->set_spool_epoch(42);
    auto* check = m.mutable_hello()->add_checks();  // results for checks a hello does not list are refused
    check->set_id("dump");
    check->set_kind("file_backup");
    return m;
  }
  static v1::AgentMessage Batch(uint64_t seq, int results, const std::string& check = "dump") {
    v1::AgentMessage m;
    m.mutable_batch()->set_sequence(seq);
    for (int i = 0; i < results; ++i) {
      auto* r = m.mutable_batch()->add_results();
      r->set_check_id(check);
      r->set_kind("file_backup");
      r->set_status(v1::CHECK_STATUS_OK);
      r->set_started_unix_ns(absl::ToUnixNanos(absl::Now()));
    }
    return m;
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AgentService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CollectorMessage>> stream_;
};

TEST_F(SecurityTest, HostileStreamsHurtOnlyThemselves) {
  // A well-behaved stream stays open throughout.
  RawStream good(collector_.address(), ca_, db01_);
  ASSERT_TRUE(good.Send(RawStream::Hello("db-01")));
  v1::CollectorMessage reply;
  ASSERT_TRUE(good.Receive(&reply));
  ASSERT_TRUE(reply.has_welcome());

  {  // A batch before hello.
    RawStream s(collector_.address(), ca_, db01_);
    s.Send(RawStream::Batch(1, 1));
    EXPECT_EQ(s.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // A malformed result.
    RawStream s(collector_.address(), ca_, db01_);
    s.Send(RawStream::Hello("db-01"));
    s.Send(RawStream::Batch(1, 1, "../../etc/passwd"));
    grpc::Status st = s.Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), HasSubstr("check_id"));
  }
  {  // An oversized message (over the collector's 8 MiB limit).
    RawStream s(collector_.address(), ca_, db01_);
    s.Send(RawStream::Hello("db-01"));
    v1::AgentMessage big = RawStream::Batch(1, 1);
    big.mutable_batch()->mutable_results(0)->set_output_tail(std::string(9 << 20, 'x'));
    s.Send(big);
    EXPECT_EQ(s.Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  {  // Too many results at once for this agent's rate limit (50/s, burst 100).
    RawStream s(collector_.address(), ca_, db01_);
    s.Send(RawStream::Hello("db-01"));
    s.Send(RawStream::Batch(7, 500));
    grpc::Status st = s.Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(st.error_message(), HasSubstr("slow down"));
  }
  // The good stream still works: its batch is stored and acknowledged.
  ASSERT_TRUE(good.Send(RawStream::Batch(1, 2)));
  ASSERT_TRUE(good.Receive(&reply));
  EXPECT_TRUE(reply.has_ack());
  EXPECT_EQ(reply.ack().sequence(), 1u);
  EXPECT_TRUE(good.Finish().ok());
  std::string m = Metrics();
  EXPECT_GE(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"invalid\"}"), 1);
  EXPECT_GE(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"no_hello\"}"), 1);
  EXPECT_GE(MetricValue(m, "paraat_collector_results_rejected_total{reason=\"rate_limited\"}"), 500);
}

}  // namespace
}  // namespace paraat::testing
