// dns: a name resolves (through the system resolver), optionally to the expected addresses —
// e.g. that the service name already points at the failover site, or still at the primary.
//
//   - {id: portal-dns, kind: dns, interval: 5m, name: portal.example.org, expect: [192.0.2.10]}
#ifndef PARAAT_AGENT_CHECKS_DNS_H_
#define PARAAT_AGENT_CHECKS_DNS_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class DnsCheck : public Check {
 public:
  static constexpr char kName[] = "dns";
  static constexpr char kSummary[] = "a name resolves, optionally to the expected addresses";
  DnsCheck(std::string name, std::vector<std::string> expect) : name_(std::move(name)), expect_(std::move(expect)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const std::string name_;
  const std::vector<std::string> expect_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_DNS_H_
