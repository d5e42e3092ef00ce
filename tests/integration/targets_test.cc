// Failover targets against real listeners: TCP, HTTP and HTTPS servers started by the test
// (certificates made with openssl, one of them long expired), the system resolver, a real file
// system, and real plugins from Debian's monitoring-plugins-basic. Plus the plan's view: a
// failover target that goes down makes its plan not_ready.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "collector/serving/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testlib/certs.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

// A listening TCP socket on a free loopback port, accepting nothing (the kernel completes
// handshakes into the backlog).
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_, port_;
};

std::string Detail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

const std::string kPlugins = "/usr/lib/nagios/plugins";

TEST(TcpCheck, OpenAndClosedPorts) {
  TempDir dir;
  Listener l;
  v1::Result r =
      RunYamlCheck(dir, absl::StrCat("    {id: db, kind: tcp, interval: 30s, target: \"127.0.0.1:", l.port(), "\"}"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().ready());
  r = RunYamlCheck(dir, absl::StrCat("    {id: db, kind: tcp, interval: 30s, target: \"127.0.0.1:", FreePort(), "\"}"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_FALSE(r.facts().ready());
  EXPECT_THAT(r.message(), HasSubstr("Connection refused"));
}

class HttpCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto handler = [](const HttpRequest&) {
      HttpResponse r;
      r.body = "{\"status\":\"up\"}";
      return r;
    };
    plain_.Handle("/health", handler);
    ASSERT_TRUE(plain_.Start("127.0.0.1:0").ok());
    auto ca = TestCa::Create(dir_ / "ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    const std::string san = "DNS:localhost,IP:127.0.0.1";
    auto valid = ca_.Issue("valid", "localhost", san, 365);
    auto soon = ca_.Issue("soon", "localhost", san, 3);
    auto expired = ca_.Issue("expired", "localhost", san, "20200101000000Z", "20200201000000Z");
    ASSERT_TRUE(valid.ok() && soon.ok() && expired.ok()) << valid.status() << soon.status() << expired.status();
    for (auto* s : {&valid_, &soon_, &expired_}) s->Handle("/health", handler);
    ASSERT_TRUE(valid_.Start("127.0.0.1:0", HttpServerOptions{valid->cert, valid->key, ""}).ok());
    ASSERT_TRUE(soon_.Start("127.0.0.1:0", HttpServerOptions{soon->cert, soon->key, ""}).ok());
    ASSERT_TRUE(expired_.Start("127.0.0.1:0", HttpServerOptions{expired->cert, expired->key, ""}).ok());
  }
  v1::Result Check(const std::string& url, const std::string& extra = "") {
    return RunYamlCheck(dir_, absl::StrCat("    id: portal\n    kind: http\n    interval: 1m\n    url: ", url,
                                           "\n    ca_file: ", ca_.ca_pem(), "\n", extra));
  }
  TempDir dir_;
  TestCa ca_;
  HttpServer plain_, valid_, soon_, expired_;
};

TEST_F(HttpCheckTest, StatusAndBody) {
  const std::string url = absl::StrCat("http://127.0.0.1:", plain_.port(), "/health");
  v1::Result r = Check(url, "    body_contains: '\"status\":\"up\"'\n");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_TRUE(r.facts().ready());
  r = Check(url, "    body_contains: maintenance\n");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("does not contain \"maintenance\""));
  r = Check(absl::StrCat("http://127.0.0.1:", plain_.port(), "/missing"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("answered 404"));
  r = Check(absl::StrCat("http://127.0.0.1:", FreePort(), "/health"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_FALSE(r.facts().ready());
}

TEST_F(HttpCheckTest, CertificateValidity) {
  v1::Result r = Check(absl::StrCat("https://127.0.0.1:", valid_.port(), "/health"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_FALSE(Detail(r, "certificate_expires").empty());
  r = Check(absl::StrCat("https://127.0.0.1:", soon_.port(), "/health"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("certificate expires"));
  EXPECT_TRUE(r.facts().ready());  // still usable today
  r = Check(absl::StrCat("https://127.0.0.1:", expired_.port(), "/health"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("expired"));
  EXPECT_FALSE(r.facts().ready());
}

TEST(DnsCheck, ResolvesAndCompares) {
  TempDir dir;
  v1::Result r = RunYamlCheck(dir, "    {id: n, kind: dns, interval: 5m, name: localhost, expect: [127.0.0.1]}");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  r = RunYamlCheck(dir, "    {id: n, kind: dns, interval: 5m, name: localhost, expect: [192.0.2.10]}");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("not to 192.0.2.10"));
  r = RunYamlCheck(dir, "    {id: n, kind: dns, interval: 5m, name: no-such-host.invalid}");
  EXPECT_NE(r.status(), v1::CHECK_STATUS_OK);
  EXPECT_FALSE(r.facts().ready());
}

TEST(DiskSpaceCheck, Thresholds) {
  TempDir dir;
  v1::Result r = RunYamlCheck(
      dir, absl::StrCat("    {id: d, kind: disk_space, interval: 5m, path: ", dir.path(), ", min_free: 1MiB}"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_GT(r.facts().free_bytes(), 1u << 20);
  EXPECT_GT(r.facts().total_bytes(), r.facts().free_bytes());
  EXPECT_TRUE(r.facts().ready());
  r = RunYamlCheck(
      dir, absl::StrCat("    {id: d, kind: disk_space, interval: 5m, path: ", dir.path(), ", min_free: 5000TB}"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_FALSE(r.facts().ready());
  r = RunYamlCheck(dir, "    {id: d, kind: disk_space, interval: 5m, path: /nonexistent/x, min_free: 1B}");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
}

TEST(CommandCheck, RealMonitoringPlugins) {
  ASSERT_TRUE(HaveProgram(kPlugins + "/check_tcp"))
      << "monitoring-plugins-basic is needed: scripts/test.sh installs it";
  TempDir dir;
  Listener l;
  v1::Result r = RunYamlCheck(dir, absl::StrCat("    id: p\n    kind: command\n    interval: 1m\n    command: [",
                                                kPlugins, "/check_tcp, -H, 127.0.0.1, -p, \"", l.port(), "\"]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("TCP OK"));
  ASSERT_GE(r.values_size(), 1);
  EXPECT_EQ(r.values(0).name(), "time");
  EXPECT_EQ(r.values(0).unit(), "s");
  r = RunYamlCheck(dir, absl::StrCat("    id: p\n    kind: command\n    interval: 1m\n    command: [", kPlugins,
                                     "/check_tcp, -H, 127.0.0.1, -p, \"", FreePort(), "\"]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_FALSE(r.facts().ready());
  r = RunYamlCheck(dir, absl::StrCat("    id: p\n    kind: command\n    interval: 1m\n    command: [", kPlugins,
                                     "/check_disk, -w, \"1%\", -c, \"0%\", -p, ", dir.path(), "]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  ASSERT_GE(r.values_size(), 1);
  EXPECT_EQ(r.values(0).unit(), "B");
  EXPECT_GT(r.values(0).max(), 0);
  r = RunYamlCheck(dir, absl::StrCat("    id: p\n    kind: command\n    interval: 1m\n    command: [", kPlugins,
                                     "/check_dummy, \"1\", \"degraded but working\"]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING);
  EXPECT_EQ(r.message(), "WARNING: degraded but working");
  EXPECT_TRUE(r.facts().ready());
  r = RunYamlCheck(dir, absl::StrCat("    id: p\n    kind: command\n    interval: 1m\n    command: [", kPlugins,
                                     "/check_dummy, \"3\", \"cannot tell\"]\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("UNKNOWN"));
  r = RunYamlCheck(dir, "    {id: p, kind: command, interval: 1m, command: [/usr/lib/nagios/plugins/check_nothing]}");
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("not found"));
}

TEST(FailoverPlan, ATargetGoingDownMakesThePlanNotReady) {
  TempDir dir;
  auto listener = std::make_unique<Listener>();
  const int port = listener->port();
  WriteFileOrDie(dir / "plans/epd.yaml", R"(id: epd
name: EPD
objectives: {rpo: 1h, rto: 4h}
sources:
  failover: [t1/dr-db, t1/dr-disk]
)");
  auto collector = StartCollector(dir.path(), dir / "plans", "evaluation_interval: 500ms\n");
  ASSERT_TRUE(collector.ok()) << collector.status();
  WriteFileOrDie(dir / "agent.yaml", absl::StrCat("agent: {id: t1}\ncollector: {address: ", collector->address(),
                                                  "}\nspool: {dir: spool}\nchecks:\n"
                                                  "  - {id: dr-db, kind: tcp, interval: 1s, target: \"127.0.0.1:",
                                                  port, "\"}\n  - {id: dr-disk, kind: disk_space, interval: 1s, path: ",
                                                  dir.path(), ", min_free: 1MiB}\n"));
  auto agent = Process::Start({AgentBin(), "--config", dir / "agent.yaml"}, dir / "agent.log");
  ASSERT_TRUE(agent.ok());
  auto plan = [&] {
    auto j = nlohmann::json::parse(
        RunCommand({CtlBin(), "--collector", collector->address(), "status", "--json"}).output, nullptr, false);
    return j.is_object() && !j["plans"].empty() ? j["plans"][0] : nlohmann::json();
  };
  ASSERT_TRUE(WaitFor([&] { return plan().value("state", "") == "ready"; }, absl::Seconds(20)));
  EXPECT_TRUE(plan().value("failover_ready", false));
  listener.reset();  // the DR database goes away
  EXPECT_TRUE(WaitFor([&] { return plan().value("state", "") == "not_ready"; }, absl::Seconds(20)));
  auto p = plan();
  EXPECT_FALSE(p.value("failover_ready", true));
  EXPECT_THAT(p.dump(), HasSubstr("failover_not_ready"));
}

}  // namespace
}  // namespace paraat::testing
