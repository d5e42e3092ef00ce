// Agent and collector config files: any bytes give a config or located problems.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config.h"
#include "collector/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto agent = paraat::ParseAgentConfig(text, "/nonexistent/agent.yaml");
  if (agent.ok() && agent->checks.empty()) __builtin_trap();
  auto collector = paraat::ParseCollectorConfig(text, "/nonexistent/collector.yaml");
  if (collector.ok() && collector->storage.empty()) __builtin_trap();
  return 0;
}
