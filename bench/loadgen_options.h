// paraat-loadgen's command line: what to load the collector with, and for how long.
#ifndef PARAAT_BENCH_LOADGEN_OPTIONS_H_
#define PARAAT_BENCH_LOADGEN_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/grpc_credentials.h"

namespace paraat::loadgen {

extern const char kUsage[];

struct Options {
  std::string collector;
  int agents = 1000;
  int batch = 50;
  int window = 0;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  double rate = 0;
  int checks = 20;
  std::string agent_prefix = "loadgen-";
  std::string agent_id;
  absl::Duration baseline_duration = absl::Seconds(5);
  TlsClientFiles tls;
  bool hold = false;
  std::string probe_metrics;
};

// The options from argv. InvalidArgument with the problem for a bad command line; *help is set
// (and the rest not checked) for --help.
[[nodiscard]] absl::StatusOr<Options> ParseOptions(int argc, char** argv, bool* help);

}  // namespace paraat::loadgen

#endif  // PARAAT_BENCH_LOADGEN_OPTIONS_H_
