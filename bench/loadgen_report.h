// paraat-loadgen's report: what a run measured, and the one-line summaries fleet_bench.sh
// parses (results_per_second=... p50_ack_ms=... p99_ack_ms=... agents=N batch=B).
#ifndef PARAAT_BENCH_LOADGEN_REPORT_H_
#define PARAAT_BENCH_LOADGEN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace paraat::loadgen {

struct Outcome {
  double results_per_second = 0;
  double p50 = 0, p99 = 0;
  uint64_t duplicates = 0;
  bool ok = true;
};

// The p-quantile (0..1) of `v` (reordered in place); 0 for an empty vector.
double Percentile(std::vector<float>& v, double p);

// "results_per_second=... p50_ack_ms=... p99_ack_ms=... agents=N batch=B"
std::string Line(const Outcome& o, int agents, int batch);

// "result_to_metric_p50_ms=... result_to_metric_p99_ms=... probes=N"
std::string ProbeLine(std::vector<float>& probes_ms);

}  // namespace paraat::loadgen

#endif  // PARAAT_BENCH_LOADGEN_REPORT_H_
