// tcp: a failover target accepts connections.
//
//   - {id: dr-db-port, kind: tcp, interval: 30s, target: "dr-db.example.org:5432"}
#ifndef PARAAT_AGENT_CHECKS_TCP_H_
#define PARAAT_AGENT_CHECKS_TCP_H_

#include <memory>
#include <string>

#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class TcpCheck : public Check {
 public:
  static constexpr char kName[] = "tcp";
  static constexpr char kSummary[] = "a failover target accepts TCP connections";
  TcpCheck(std::string host, int port) : host_(std::move(host)), port_(port) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const std::string host_;
  const int port_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_TCP_H_
