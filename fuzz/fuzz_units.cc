// Durations, sizes, rates, percentages and time arguments: any input parses or is refused
// with a message; nothing crashes, nothing overflows silently.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/time_util.h"
#include "common/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto d = paraat::ParseDuration(text); d.ok()) {
    if (*d < absl::ZeroDuration()) __builtin_trap();
    (void)paraat::HumanDuration(*d);
  }
  if (auto s = paraat::ParseSize(text); s.ok()) (void)paraat::HumanSize(*s);
  (void)paraat::ParseRate(text);
  if (auto p = paraat::ParsePercent(text); p.ok() && (*p <= 0 || *p > 1)) __builtin_trap();
  (void)paraat::ParseTimeArg(text, absl::FromUnixSeconds(1'800'000'000));
  return 0;
}
