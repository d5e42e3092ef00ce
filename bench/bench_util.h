// Helpers for the side-by-side benchmarks: timing a command, medians, temporary files.
#ifndef PARAAT_BENCH_BENCH_UTIL_H_
#define PARAAT_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/process.h"

namespace paraat::bench {

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Wall-clock seconds of one run of `argv`; negative when it failed.
inline double TimeCommand(const std::vector<std::string>& argv, std::string* output = nullptr) {
  ProcessOptions o;
  o.argv = argv;
  const absl::Time start = absl::Now();
  auto r = RunProcess(o);
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (output && r.ok()) *output = r->out + r->err;
  if (!r.ok() || !r->success()) return -1;
  return secs;
}

}  // namespace paraat::bench

#endif  // PARAAT_BENCH_BENCH_UTIL_H_
