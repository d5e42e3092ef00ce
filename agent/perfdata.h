// Nagios / Monitoring Plugins performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`,
// space separated, labels optionally single-quoted ('' is a quote inside). Time and size units
// are converted to seconds and bytes (ms, us -> s; KB, MB, GB, TB -> B, 1024-based).
#ifndef PARAAT_AGENT_PERFDATA_H_
#define PARAAT_AGENT_PERFDATA_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace paraat {

struct PerfValue {
  std::string label;
  double value = 0;
  std::string unit;  // after conversion: "s", "B", "%", "c" or ""
  std::optional<double> warn, crit, min, max;
};

// Parses what it can; malformed items are skipped and described in `problems`.
std::vector<PerfValue> ParsePerfdata(absl::string_view text, std::vector<std::string>* problems = nullptr);

// Splits plugin output into the first line's text and all perfdata (from every `|` section).
void SplitPluginOutput(absl::string_view output, std::string* message, std::string* perfdata);

}  // namespace paraat

#endif  // PARAAT_AGENT_PERFDATA_H_
