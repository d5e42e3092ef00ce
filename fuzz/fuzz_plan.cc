// Plan files: any bytes give a plan or `file:line: key: problem` lines.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/evaluation/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto plan = paraat::ParsePlan(text, "fuzz.yaml");
  if (plan.ok()) {
    if (plan->id.empty() || plan->AllSources().empty() || plan->rpo <= absl::ZeroDuration()) __builtin_trap();
    if (plan->mtpd && plan->rto > *plan->mtpd) __builtin_trap();
    (void)paraat::ToProto(*plan);
  } else if (plan.status().message().rfind("fuzz.yaml", 0) != 0) {
    __builtin_trap();  // every problem names the file
  }
  return 0;
}
