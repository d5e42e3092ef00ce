#include "bench/loadgen_report.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_format.h"

namespace paraat::loadgen {

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::string Line(const Outcome& o, int agents, int batch) {
  return absl::StrFormat("results_per_second=%.0f p50_ack_ms=%.2f p99_ack_ms=%.2f agents=%d batch=%d",
                         o.results_per_second, o.p50, o.p99, agents, batch);
}

std::string ProbeLine(std::vector<float>& probes_ms) {
  return absl::StrFormat("result_to_metric_p50_ms=%.0f result_to_metric_p99_ms=%.0f probes=%d",
                         Percentile(probes_ms, 0.50), Percentile(probes_ms, 0.99), probes_ms.size());
}

}  // namespace paraat::loadgen
