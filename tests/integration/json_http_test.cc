// json_http against a loopback HTTP(S) server the test starts, serving JSON files it writes: the
// kind's own behaviour (pointers, filter, status words, epoch and RFC 3339 times, bearer and basic
// authentication, client certificates, TLS), not any product's API.
#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "collector/serving/http_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testlib/certs.h"
#include "tests/testlib/check_runner.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {
namespace {

using ::testing::HasSubstr;

std::string Detail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

constexpr char kSessions[] = R"({"data": [
  {"name": "Daily DB", "endTime": "2026-12-01T03:10:00Z", "result": {"result": "Running"}},
  {"name": "Daily DB", "endTime": "2026-11-30T03:12:00Z", "result": {"result": "Failed"}, "transferredSize": 0},
  {"name": "Daily DB", "endTime": "2026-11-29T03:11:00Z", "result": {"result": "Success"}, "transferredSize": 52428800,
   "processedObjects": 1200},
  {"name": "Daily Files", "endTime": "2026-11-30T05:00:00+01:00", "result": {"result": "Warning"}},
  {"name": "Daily DB", "endTime": "2026-11-28T03:09:00Z", "result": {"result": "Success"}}
]})";

constexpr char kSnapshots[] = R"({"data": [
  {"backup-type": "vm", "backup-id": "100", "backup-time": 1796100000, "size": "1073741824"},
  {"backup-type": "vm", "backup-id": "100", "backup-time": 1796013600, "size": 1073000000},
  {"backup-type": "vm", "backup-id": "101", "backup-time": 1796120000000, "size": 2048}
]})";

class JsonHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(dir_ / "token", "t0k3n-secret\n");
    WriteFileOrDie(dir_ / "pbs.pass", "pbs-pass\n");
    for (const char* f : {"token", "pbs.pass"}) {
      std::filesystem::permissions(dir_ / f, std::filesystem::perms::owner_read);
    }
    // Files under dir/www: /api/NAME serves www/NAME.json; bearer for /api/, basic for /pbs/.
    WriteFileOrDie(dir_ / "www/sessions.json", kSessions);
    WriteFileOrDie(dir_ / "www/snapshots.json", kSnapshots);
    WriteFileOrDie(dir_ / "www/broken.json", "<html>maintenance</html>");
    auto serve = [this](const std::string& name, bool basic) {
      return [this, name, basic](const HttpRequest& req) {
        HttpResponse out;
        const bool allowed =
            basic ? req.user == "paraat@pbs" && req.password == "pbs-pass" : req.authorization == "Bearer t0k3n-secret";
        if (!allowed) {
          out.status = 401;
          out.body = R"({"error": "unauthorized"})";
          return out;
        }
        out.content_type = "application/json";
        out.body = ReadFileOrDie(dir_ / ("www/" + name));
        return out;
      };
    };
    for (auto* s : {&plain_, &tls_}) {
      s->Handle("/api/sessions", serve("sessions.json", false));
      s->Handle("/api/broken", serve("broken.json", false));
      s->Handle("/pbs/snapshots", serve("snapshots.json", true));
    }
    ASSERT_TRUE(plain_.Start("127.0.0.1:0").ok());
    auto ca = TestCa::Create(dir_ / "ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    auto cert = ca_.Issue("api", "localhost", "DNS:localhost,IP:127.0.0.1", 30);
    ASSERT_TRUE(cert.ok()) << cert.status();
    ASSERT_TRUE(tls_.Start("127.0.0.1:0", HttpServerOptions{cert->cert, cert->key, ""}).ok());
    // An API that authenticates its clients by certificate only: one the CA issued to "paraat".
    mtls_.Handle("/api/sessions", [this](const HttpRequest& req) {
      HttpResponse out;
      if (std::find(req.peer_identities.begin(), req.peer_identities.end(), "paraat") == req.peer_identities.end()) {
        out.status = 403;
        out.body = R"({"error": "client certificate required"})";
        return out;
      }
      out.content_type = "application/json";
      out.body = ReadFileOrDie(dir_ / "www/sessions.json");
      return out;
    });
    ASSERT_TRUE(mtls_.Start("127.0.0.1:0", HttpServerOptions{cert->cert, cert->key, ca_.ca_pem()}).ok());
  }
  std::string Url(const std::string& path, bool tls = false) {
    return absl::StrCat(tls ? "https" : "http", "://127.0.0.1:", tls ? tls_.port() : plain_.port(), path);
  }
  std::string Sessions(const std::string& extra = "", const std::string& url = "") {
    return absl::StrCat(
        "    id: veeam\n    kind: json_http\n    interval: 15m\n    url: ", url.empty() ? Url("/api/sessions") : url,
        "\n    token_file: token\n    items: /data\n    name: /name\n    time: /endTime\n"
        "    status: /result/result\n    status_map: {Success: ok, Warning: warning, Failed: failed}\n"
        "    bytes: /transferredSize\n    files: /processedObjects\n",
        extra);
  }
  TempDir dir_;
  TestCa ca_;
  HttpServer plain_, tls_, mtls_;
};

TEST_F(JsonHttpTest, TheNewestFailedBackupFailsAndTheLastGoodOneIsTheRecoveryPoint) {
  v1::Result r = RunYamlCheck(dir_, Sessions("    filter: {/name: Daily DB}\n"));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message();
  EXPECT_EQ(r.message(),
            "newest backup Daily DB at 2026-11-30T03:12:00Z (Failed) failed; newest successful Daily DB at "
            "2026-11-29T03:11:00Z (Success) (4 items, 1 with a status not in status_map)");
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(absl::FromUnixSeconds(1795921860)));
  EXPECT_EQ(Detail(r, "bytes"), "52428800");
  // The size of the backup behind the recovery point, not of the failed one after it.
  EXPECT_EQ(r.facts().backup_bytes(), 52428800u);
  EXPECT_EQ(r.facts().backup_files(), 1200u);
  EXPECT_EQ(Detail(r, "newest_status"), "failed");
  EXPECT_THAT(r.DebugString(), ::testing::Not(HasSubstr("t0k3n-secret")));

  // Every job: the newest mapped item is the Warning of 04:00 UTC (a zone offset in its time).
  r = RunYamlCheck(dir_, Sessions());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_WARNING) << r.message();
  EXPECT_THAT(r.message(), HasSubstr("newest backup Daily Files at 2026-11-30T04:00:00Z (Warning) succeeded with"));
  // A filter nothing matches.
  r = RunYamlCheck(dir_, Sessions("    filter: {/name: Weekly}\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("no items in"));
  // Only failed ones.
  r = RunYamlCheck(
      dir_, absl::StrReplaceAll(Sessions("    filter: {/name: Daily DB}\n"), {{"Success: ok", "Success: failed"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_FAILED);
  EXPECT_THAT(r.message(), HasSubstr("no successful backup: newest Daily DB at 2026-11-30T03:12:00Z (Failed)"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
}

TEST_F(JsonHttpTest, EpochTimesBasicAuthenticationAndNoStatusOverHttps) {
  v1::Result r = RunYamlCheck(
      dir_, absl::StrCat("    id: pbs\n    kind: json_http\n    interval: 1h\n    url: ", Url("/pbs/snapshots", true),
                         "\n    ca_file: ", ca_.ca_pem(),
                         "\n    user: paraat@pbs\n    password_file: pbs.pass\n    items: /data\n"
                         "    filter: {/backup-id: \"100\"}\n    name: /backup-id\n    time: /backup-time\n"
                         "    bytes: /size\n"));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(absl::FromUnixSeconds(1796100000)));
  EXPECT_EQ(Detail(r, "bytes"), "1073741824");
  EXPECT_EQ(r.facts().backup_bytes(), 1073741824u) << "a size sent as a string of digits";
  EXPECT_FALSE(r.facts().has_backup_files()) << "no files pointer";
  EXPECT_THAT(r.message(), HasSubstr("newest backup 100 at"));
  // Milliseconds since the epoch read as such.
  r = RunYamlCheck(
      dir_, absl::StrCat("    id: pbs\n    kind: json_http\n    interval: 1h\n    url: ", Url("/pbs/snapshots", true),
                         "\n    verify_tls: false\n    user: paraat@pbs\n    password_file: pbs.pass\n"
                         "    items: /data\n    filter: {/backup-id: \"101\"}\n    time: /backup-time\n"));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_OK) << r.message();
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(absl::FromUnixSeconds(1796120000)));
  EXPECT_FALSE(r.facts().has_backup_bytes()) << "no bytes pointer";
  // The server's certificate is not trusted without its CA.
  r = RunYamlCheck(
      dir_, absl::StrCat("    id: pbs\n    kind: json_http\n    interval: 1h\n    url: ", Url("/pbs/snapshots", true),
                         "\n    user: paraat@pbs\n    password_file: pbs.pass\n    time: /backup-time\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("certificate"));
}

TEST_F(JsonHttpTest, AClientCertificateAuthenticatesAndAWrongOneIsAnError) {
  auto mine = ca_.Issue("paraat-client", "paraat", "", 30);
  ASSERT_TRUE(mine.ok()) << mine.status();
  auto other_ca = TestCa::Create(dir_ / "other-ca", "Some Other CA");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  auto stranger = other_ca->Issue("stranger", "paraat", "", 30);
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  auto check = [&](const std::string& cert, const std::string& key) {
    return absl::StrCat(
        "    id: api\n    kind: json_http\n    interval: 15m\n    url: https://127.0.0.1:", mtls_.port(),
        "/api/sessions\n    ca_file: ", ca_.ca_pem(), "\n    cert: ", cert, "\n    key: ", key,
        "\n    items: /data\n    name: /name\n    time: /endTime\n    status: /result/result\n"
        "    status_map: {Success: ok, Warning: warning, Failed: failed}\n"
        "    bytes: /transferredSize\n    filter: {/name: Daily DB}\n");
  };
  v1::Result r = RunYamlCheck(dir_, check(mine->cert, mine->key));
  ASSERT_EQ(r.status(), v1::CHECK_STATUS_FAILED) << r.message() << " (the newest Daily DB failed)";
  EXPECT_EQ(r.facts().recovery_point_unix_ns(), absl::ToUnixNanos(absl::FromUnixSeconds(1795921860)));
  EXPECT_EQ(r.facts().backup_bytes(), 52428800u);

  // A certificate from a CA the server does not trust: refused, and the message names the certificate.
  r = RunYamlCheck(dir_, check(stranger->cert, stranger->key));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("refused the request (403): check the credentials (client certificate " +
                                     stranger->cert + ")"));
  EXPECT_FALSE(r.facts().has_recovery_point_unix_ns());
  // A key that is not the certificate's: the client cannot use it at all.
  r = RunYamlCheck(dir_, check(mine->cert, stranger->key));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("private key")) << r.message();
  // No certificate at all.
  r = RunYamlCheck(dir_,
                   absl::StrReplaceAll(check(mine->cert, mine->key),
                                       {{absl::StrCat("    cert: ", mine->cert, "\n    key: ", mine->key, "\n"), ""}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("refused the request (403)"));
  // Config: a certificate without its key.
  auto config = CheckConfig(dir_, absl::StrCat("    id: x\n    kind: json_http\n    interval: 1m\n    url: https://h/\n"
                                               "    time: /t\n    cert: ",
                                               mine->cert, "\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("cert: needs both cert and key"));
}

TEST_F(JsonHttpTest, RefusalsWrongShapesAndADownServerAreErrors) {
  WriteFileOrDie(dir_ / "token", "wrong\n");
  v1::Result r = RunYamlCheck(dir_, Sessions());
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("refused the request (401): check the credentials"));
  WriteFileOrDie(dir_ / "token", "t0k3n-secret\n");
  r = RunYamlCheck(dir_, Sessions("    token_prefix: \"PBSAPIToken=\"\n"));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR) << "the server wants Bearer";
  r = RunYamlCheck(dir_, Sessions("", Url("/api/broken")));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("not JSON: <html>maintenance</html>"));
  r = RunYamlCheck(dir_, Sessions("", Url("/api/missing")));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("answered 404"));
  r = RunYamlCheck(dir_, absl::StrReplaceAll(Sessions(), {{"items: /data", "items: /items"}}));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_EQ(r.message(), "the answer has no array at /items");
  r = RunYamlCheck(dir_, Sessions("", absl::StrCat("http://127.0.0.1:", FreePort(), "/api/sessions")));
  EXPECT_EQ(r.status(), v1::CHECK_STATUS_ERROR);
  EXPECT_THAT(r.message(), HasSubstr("Couldn't connect to server"));
  // Config: a pointer that is none, a status without its map.
  auto config = CheckConfig(dir_,
                            "    id: x\n    kind: json_http\n    interval: 1m\n    url: http://h/\n"
                            "    time: endTime\n    status: /s\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("time: \"endTime\" is not a JSON pointer"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("status_map: needed with status"));
}

}  // namespace
}  // namespace paraat::testing
