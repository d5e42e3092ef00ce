// What an agent stream may carry: any bytes, decoded as an agent message and validated as
// the collector does before storing anything.
#include <cstddef>
#include <cstdint>

#include "collector/ingest/validation.h"
#include "paraat/v1/agent.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  paraat::v1::AgentMessage msg;
  if (!msg.ParseFromArray(data, static_cast<int>(size))) return 0;
  paraat::IngestLimits limits;
  if (msg.has_hello()) (void)paraat::ValidateHello(msg.hello(), limits);
  if (msg.has_batch()) {
    absl::Status st = paraat::ValidateBatch(msg.batch(), limits);
    if (st.ok()) {
      for (const auto& r : msg.batch().results()) {
        if (r.check_id().empty() || r.status() < 1 || r.status() > 4) __builtin_trap();
      }
    }
  }
  return 0;
}
