// Runs one check the way the agent does — from its YAML, through the config loader, with its
// state directory — so check-kind tests exercise config parsing and state as well.
#ifndef PARAAT_TESTS_TESTLIB_CHECK_RUNNER_H_
#define PARAAT_TESTS_TESTLIB_CHECK_RUNNER_H_

#include <string>

#include "agent/config.h"
#include "agent/scheduler.h"
#include "gtest/gtest.h"
#include "tests/testlib/test_util.h"

namespace paraat::testing {

// `check_yaml` is the check's mapping body, indented by four spaces, without "- ".
inline absl::StatusOr<AgentConfig> CheckConfig(const TempDir& dir, const std::string& check_yaml,
                                               const std::string& name = "agent.yaml") {
  WriteFileOrDie(dir / name, "agent: {id: t1}\ncollector: {address: 127.0.0.1:1}\nspool: {dir: spool}\nchecks:\n  - " +
                                 check_yaml.substr(4) + "\n");
  return LoadAgentConfig(dir / name);
}

// The value of a result's detail `key`, or "" when it has none.
inline std::string ResultDetail(const v1::Result& r, const std::string& key) {
  for (const auto& d : r.details()) {
    if (d.key() == key) return d.value();
  }
  return "";
}

inline v1::Result RunYamlCheck(const TempDir& dir, const std::string& check_yaml) {
  auto config = CheckConfig(dir, check_yaml);
  if (!config.ok()) {
    ADD_FAILURE() << config.status();
    return v1::Result();
  }
  return RunCheck(config->checks[0], Clock::Real(), config->state_dir);
}

}  // namespace paraat::testing

#endif  // PARAAT_TESTS_TESTLIB_CHECK_RUNNER_H_
