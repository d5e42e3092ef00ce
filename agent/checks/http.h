// http: a failover target answers over HTTP(S) — status code, optionally a body match, and the
// TLS certificate's remaining validity.
//
//   - id: dr-portal
//     kind: http
//     interval: 1m
//     url: https://dr.example.org/health
//     expect_status: 200              # or a list: [200, 204]
//     body_contains: '"status":"up"'  # optional
//     ca_file: /etc/paraat/dr-ca.pem  # optional; default: the system's CAs
//     cert_min_validity: 14d          # warning when the certificate expires sooner
//
// An expired or untrusted certificate fails the check: a standby nobody can connect to
// securely is not ready.
#ifndef PARAAT_AGENT_CHECKS_HTTP_H_
#define PARAAT_AGENT_CHECKS_HTTP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class HttpCheck : public Check {
 public:
  static constexpr char kName[] = "http";
  static constexpr char kSummary[] = "an HTTP(S) endpoint answers; status, body, certificate validity";
  struct Options {
    std::string url;
    std::vector<int> expect_status = {200};
    std::string body_contains;
    std::string ca_file;
    absl::Duration cert_min_validity = absl::Hours(24 * 14);
  };
  explicit HttpCheck(Options o) : options_(std::move(o)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const Options options_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_HTTP_H_
