// command: any Nagios / Icinga / Monitoring Plugins check. Exit 0 OK, 1 WARNING, 2 CRITICAL,
// 3 UNKNOWN (the plugin could not check: an error here); the first output line is the message,
// the performance data become result values.
//
//   - {id: raid, kind: command, interval: 5m, command: [/usr/lib/nagios/plugins/check_raid]}
//   - id: dr-ssh
//     kind: command
//     interval: 1m
//     command: [/usr/lib/nagios/plugins/check_ssh, -H, dr-01.example.org]
//
// argv lists only, never a shell unless you write [sh, -c, ...].
#ifndef PARAAT_AGENT_CHECKS_COMMAND_H_
#define PARAAT_AGENT_CHECKS_COMMAND_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/check.h"
#include "agent/registry.h"

namespace paraat {

class CommandCheck : public Check {
 public:
  static constexpr char kName[] = "command";
  static constexpr char kSummary[] = "a Nagios/Monitoring Plugins check: exit codes and perfdata";
  CommandCheck(std::vector<std::string> argv, std::map<std::string, std::string> env)
      : argv_(std::move(argv)), env_(std::move(env)) {}
  static std::unique_ptr<Check> Create(YamlMap& keys, const CheckEnv& env);
  void Run(const CheckContext& ctx, paraat::v1::Result* r) override;

 private:
  const std::vector<std::string> argv_;
  const std::map<std::string, std::string> env_;
};

}  // namespace paraat

#endif  // PARAAT_AGENT_CHECKS_COMMAND_H_
