// Running a backup tool from a check: argv only, the check's deadline, cancellation, tool
// output forwarded as progress notes, secrets passed through the environment and redacted
// from everything the result carries.
#ifndef PARAAT_AGENT_TOOL_H_
#define PARAAT_AGENT_TOOL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/check.h"
#include "common/process.h"

namespace paraat {

struct ToolRun {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::vector<std::string> secrets;  // redacted from output
  std::string cwd;
  bool forward_progress = true;  // stderr lines become progress notes
};

// NOT_FOUND (with "is it installed?") when the program does not exist; otherwise the result,
// with out/err already redacted.
[[nodiscard]] absl::StatusOr<ProcessResult> RunTool(const CheckContext& ctx, const ToolRun& run);

// A short, redacted description of why a tool failed: the last meaningful line of stderr
// (or stdout), e.g. "Fatal: wrong password or no key found".
std::string ToolError(const ProcessResult& r);

// The last lines of a tool's combined output, bounded, for the result's output tail.
std::string OutputTail(const ProcessResult& r, size_t max_lines = 20, size_t max_bytes = 4096);

}  // namespace paraat

#endif  // PARAAT_AGENT_TOOL_H_
