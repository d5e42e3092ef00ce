// Nagios plugin output and performance data, as hostile plugins might print it.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/perfdata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string message, perf;
  paraat::SplitPluginOutput(text, &message, &perf);
  std::vector<std::string> problems;
  for (const auto& v : paraat::ParsePerfdata(perf, &problems)) {
    if (!std::isfinite(v.value) || v.label.empty()) __builtin_trap();
  }
  if (problems.size() > 20) __builtin_trap();
  return 0;
}
