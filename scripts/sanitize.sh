#!/usr/bin/env bash
# The sanitizer pass: builds everything with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (and libFuzzer instrumentation) into build-sanitize/, runs the test suite against those
# binaries, then runs every libFuzzer target for a short while on its seed corpus.
#
#   scripts/sanitize.sh                   build, the whole test suite, fuzzing
#   scripts/sanitize.sh --fuzz-seconds N  fuzz each target N seconds (default 10)
#   scripts/sanitize.sh --no-tests        build and fuzz only
#   scripts/sanitize.sh -- -L unit        pass the rest to ctest
#
# Longer fuzzing: build-sanitize/fuzz/fuzz_plan -max_total_time=3600 fuzz/corpus/plan
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
fuzz_seconds=10
run_tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    --no-tests) run_tests=0; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "sanitize.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

echo "==> building with clang, ASan, UBSan and libFuzzer instrumentation in build-sanitize/"
CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DPARAAT_FUZZ=ON -DPARAAT_BUILD_BENCH=OFF >/dev/null
cmake --build build-sanitize

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [ "$run_tests" = 1 ]; then
  echo "==> the test suite against the sanitized binaries"
  (cd build-sanitize && ctest --output-on-failure -j2 --timeout 900 "$@")
fi

echo "==> fuzzing each target for ${fuzz_seconds}s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in units plan config perfdata batch evidence text; do
  mkdir -p "$work/$target"
  cp -r fuzz/corpus/$target/. "$work/$target/"
  build-sanitize/fuzz/fuzz_$target -max_total_time="$fuzz_seconds" -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/crash-$target-" "$work/$target" 2>"$work/$target.log" || {
    echo "fuzz_$target found a problem:" >&2
    tail -40 "$work/$target.log" >&2
    exit 1
  }
  echo "    fuzz_$target: $(grep -m1 'stat::number_of_executed_units' "$work/$target.log" | awk '{print $2}') inputs, no crash"
done
