#!/bin/bash
# The web console over many plans: times GET / (the overview of every plan), /plans/ID and
# /evidence against /metrics for the same plans in the same run (the reference: the
# collector's other full rendering of every plan). Usage: bench/console_bench.sh BUILD_DIR [PLANS]
set -euo pipefail
build=${1:?usage: console_bench.sh BUILD_DIR [PLANS]}
plans=${2:-10000}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -p "$dir/plans"
for ((i = 0; i < plans; i++)); do
  printf 'id: plan-%05d\nname: Plan %d\nowner: Team %d\ntier: %d\nobjectives: {rpo: 15m, rto: 4h}\nsources: {recovery_point: [agent-%d/db]}\n' \
    "$i" "$i" $((i % 40)) $((i % 3 + 1)) "$i" > "$dir/plans/plan-$i.yaml"
done
printf 'listen: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nstorage: sqlite://paraat.db\nplans_dir: plans\n' > "$dir/collector.yaml"
"$build/collector/paraat-collector" --config "$dir/collector.yaml" > "$dir/collector.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "metrics on http://" "$dir/collector.log" && break; sleep 0.1; done
port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$dir/collector.log" | head -1)
time_get() {  # best of 5, in seconds
  local best=999
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$1")
    best=$(python3 -c "print(min($best, $t))")
  done
  printf '%-22s %8.3f s  %9d bytes\n' "$1" "$best" "$(curl -s "http://127.0.0.1:$port$1" | wc -c)"
}
echo "$plans plans"
time_get /metrics
time_get /
time_get "/?state=unknown&owner=Team%205"
time_get /plans/plan-00042
time_get /evidence
time_get /agents
