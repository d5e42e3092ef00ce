// Limits two binaries must agree on, kept in one place: what one side accepts, the other
// refuses up front with a clear message instead of sending it and being refused later.
#ifndef PARAAT_COMMON_LIMITS_H_
#define PARAAT_COMMON_LIMITS_H_

#include <cstddef>

namespace paraat {

// Plan files and the collector's and agent's config files (a plan is a page of YAML; an
// agent's 10,000 checks in flow style take about 600 KiB).
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Token, password and secret files (a line each).
inline constexpr size_t kMaxSecretFileBytes = 64 << 10;

// Checks one agent may run. Its hello lists them; the collector takes results only for checks
// the hello lists and keeps at most this many per agent; `paraat-agent --check-config` refuses
// a config with more.
inline constexpr size_t kMaxChecksPerAgent = 10000;

// An exercise's attachment (`paraatctl exercise record --attachment`): paraatctl refuses a
// larger file before sending, the collector a larger attachment.
inline constexpr size_t kMaxAttachmentBytes = 8 << 20;

// The largest gRPC message the collector reads: an attachment with the rest of its request
// (notes are at most 16 KiB), or an agent's batch.
inline constexpr size_t kMaxReceiveMessageBytes = kMaxAttachmentBytes + (64 << 10);

}  // namespace paraat

#endif  // PARAAT_COMMON_LIMITS_H_
