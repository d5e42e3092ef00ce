#include "agent/checks/support/client.h"

#include <algorithm>

namespace paraat {

absl::Duration ClientTimeout(const CheckContext& ctx, absl::Duration unbounded, absl::Duration min,
                             absl::Duration max) {
  const absl::Duration left = ctx.TimeLeft();
  return std::clamp(left == absl::InfiniteDuration() ? unbounded : left, min, max);
}

std::optional<std::string> ReadSecret(const SecretRef& ref, paraat::v1::Result* r) {
  if (ref.empty()) return std::string();
  auto value = ref.Read();
  if (!value.ok()) {
    Error(r, std::string(value.status().message()));
    return std::nullopt;
  }
  return *std::move(value);
}

}  // namespace paraat
