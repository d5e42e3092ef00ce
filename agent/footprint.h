// The agent's resident memory after start. Most of it is not data but the agent's own code: the
// static binary's pages that starting touched (static initialisers of gRPC, protobuf and
// abseil, config parsing, every check kind's first run), brought in with their neighbours by
// the kernel's fault-around, and kept mapped although an idle agent runs a small part of them.
// ReleaseStartupPages() asks the kernel to page those out again (madvise MADV_PAGEOUT, Linux
// 5.4 or later) for the mappings of the agent's own executable: clean, file-backed, so nothing is
// written anywhere; what the agent runs later faults back in from the page cache or the file.
// Measured in bench/RESULTS.md (fleet_bench section 6).
#ifndef PARAAT_AGENT_FOOTPRINT_H_
#define PARAAT_AGENT_FOOTPRINT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace paraat {

// Pages out the read-only mappings of this process's executable. Returns the bytes of the
// mappings advised; an error when /proc/self/maps cannot be read or the kernel refuses.
absl::StatusOr<uint64_t> ReleaseStartupPages();

// This process's resident file-backed memory in bytes (RssFile in /proc/self/status), 0 when
// unknown.
uint64_t ResidentFileBytes();

}  // namespace paraat

#endif  // PARAAT_AGENT_FOOTPRINT_H_
