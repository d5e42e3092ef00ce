// Human-readable results for `--once` and `run-check`.
#ifndef PARAAT_AGENT_RESULT_PRINT_H_
#define PARAAT_AGENT_RESULT_PRINT_H_

#include <string>

#include "absl/time/time.h"
#include "paraat/v1/result.pb.h"

namespace paraat {

// A headline ("pg-dump (file_backup): OK  newest backup ...  [0.1s]") and indented lines with
// the facts and details.
std::string FormatResult(const paraat::v1::Result& r, absl::Time now);

}  // namespace paraat

#endif  // PARAAT_AGENT_RESULT_PRINT_H_
