#!/usr/bin/env bash
# Fleet-scale benchmarks (issue 8): a real collector on this machine, loaded by paraat-loadgen
# over real gRPC on loopback, each figure beside its reference from the same run.
#
#   bench/fleet_bench.sh [--quick]
#
# 1. ingest:      1,000 agent streams, batches of 50, 10,000 plans over 100,000 checks loaded;
#                 reference: loadgen's naive baseline (one stream, one result a message).
# 2. /metrics:    scrape time and size with those 10,000 plans and 100,000 checks.
# 3. verify:      `paraatctl evidence verify` over everything ingested; reference: reading the
#                 same rows with the sqlite3 CLI.
# 4. export:      `paraatctl evidence export --format csv` of 1,000,000 records; reference:
#                 `sqlite3 -csv` dumping the same rows.
# 5. connections: 10,000 idle agent streams on a fresh collector; resident memory per stream.
# 6. agent:       paraat-agent with 20 checks against prometheus-node-exporter, resident memory
#                 and CPU over the same minute.
# Needs a release build (scripts/setup.sh) and the benchmark tools (scripts/setup.sh --bench).
# --quick shortens every phase (for a smoke run, not for figures).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$root/build
quick=0
[[ ${1:-} == --quick ]] && quick=1
for b in collector/paraat-collector agent/paraat-agent ctl/paraatctl bench/paraat-loadgen; do
  [[ -x $bin/$b ]] || { echo "fleet_bench: $bin/$b missing: run scripts/setup.sh first" >&2; exit 2; }
done
for tool in sqlite3 curl prometheus-node-exporter python3; do
  command -v "$tool" >/dev/null || [[ -x /usr/bin/$tool ]] ||
    { echo "fleet_bench: $tool missing: run scripts/setup.sh --bench" >&2; exit 2; }
done

work=$(mktemp -d /tmp/paraat-fleet-bench.XXXXXX)
pids=()
hold_fd=
cleanup() {
  [[ -n $hold_fd ]] && exec {hold_fd}>&-
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${PARAAT_KEEP_BENCH_DIR:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"; }
calc() { awk "BEGIN{printf \"%.${2:-6}f\", $1}"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | tail -1; }
say() { echo "==> $*" >&2; }

# start_collector DIR PLANS_DIR: starts a collector, sets $collector_pid, $grpc, $metrics.
start_collector() {
  grpc=$(free_port)
  metrics=$(free_port)
  cat >"$1/collector.yaml" <<EOF
listen: 127.0.0.1:$grpc
metrics_listen: 127.0.0.1:$metrics
storage: sqlite://$1/paraat.db
plans_dir: $2
limits: {agent_results_per_second: 100000000, agent_results_burst: 1000000000}
EOF
  "$bin/collector/paraat-collector" --config "$1/collector.yaml" >"$1/collector.log" 2>&1 &
  collector_pid=$!
  pids+=("$collector_pid")
  for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$metrics/healthz" && return 0
    sleep 0.1
  done
  cat "$1/collector.log" >&2
  exit 1
}
stop_collector() { kill "$collector_pid"; wait "$collector_pid" || true; }

agents=1000 checks=100 plans=10000 duration=20s baseline=5s conns=10000 agent_minutes=60
if ((quick)); then agents=100 checks=20 plans=500 duration=3s baseline=1s conns=500 agent_minutes=5; fi
results_txt=$work/results.txt
: >"$results_txt"
row() { printf '%-44s %-28s %s\n' "$1" "$2" "$3" | tee -a "$results_txt" >&2; }

# --- 1. ingest -----------------------------------------------------------------------------
say "writing $plans plans over $((agents * checks)) checks"
mkdir -p "$work/ingest/plans"
python3 - "$work/ingest/plans" "$plans" "$agents" "$checks" <<'EOF'
import sys
d, plans, agents, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = max(1, agents * checks // plans)
for p in range(plans):
    srcs = []
    for i in range(per):
        n = (p * per + i) % (agents * checks)
        srcs.append(f"loadgen-{n // checks:04d}/check-{n % checks:02d}")
    with open(f"{d}/plan-{p:05d}.yaml", "w") as f:
        f.write(f"id: plan-{p:05d}\nname: Plan {p}\nowner: Team {p % 50}\ntier: {1 + p % 3}\n"
                f"objectives: {{rpo: 1h, rto: 4h}}\nsources:\n  recovery_point: [{', '.join(srcs)}]\n")
EOF
start_collector "$work/ingest" "$work/ingest/plans"
say "ingest: $agents streams, batches of 50, $duration (after a $baseline baseline)"
cpu0=$(cpu_seconds "$collector_pid")
"$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc" --agents "$agents" --batch 50 --checks "$checks" \
  --duration "$duration" --baseline-duration "$baseline" \
  --probe-metrics "http://127.0.0.1:$metrics/metrics" >"$work/loadgen.out" 2>"$work/loadgen.err" ||
  { cat "$work/loadgen.err" >&2; exit 1; }
cpu1=$(cpu_seconds "$collector_pid")
cat "$work/loadgen.out" >&2
base=$(grep '^baseline ' "$work/loadgen.out")
main=$(grep '^results_per_second' "$work/loadgen.out")
probe=$(grep '^result_to_metric' "$work/loadgen.out" || true)
stored=$(curl -s "http://127.0.0.1:$metrics/metrics" | awk '/^paraat_collector_results_received_total /{print $2}')
rps=$(field results_per_second <<<"$main")
row "ingest, durable (results/s)" "$rps" "baseline $(field results_per_second <<<"$base") (ratio $(awk -v a="$rps" -v b="$(field results_per_second <<<"$base")" 'BEGIN{printf "%.0f", a/b}'))"
row "ack latency p50 / p99 (ms)" "$(field p50_ack_ms <<<"$main") / $(field p99_ack_ms <<<"$main")" "baseline $(field p50_ack_ms <<<"$base") / $(field p99_ack_ms <<<"$base")"
row "result -> /metrics p50 / p99 (ms)" "$(field result_to_metric_p50_ms <<<"$probe") / $(field result_to_metric_p99_ms <<<"$probe")" "$(field probes <<<"$probe") probes, /metrics polled every 100ms"
row "collector CPU per stored result (us)" "$(calc "($cpu1 - $cpu0) * 1e6 / $stored" 2)" "$stored results stored in total"
row "collector peak resident memory (MiB)" "$(( $(hwm_kib "$collector_pid") / 1024 ))" ""

# --- 2. /metrics ---------------------------------------------------------------------------
say "/metrics with $plans plans and $((agents * checks)) checks"
times=()
for _ in 1 2 3 4 5; do
  times+=("$(curl -s -o "$work/metrics.txt" -w '%{time_total}' "http://127.0.0.1:$metrics/metrics")")
done
series=$(grep -c '^paraat_' "$work/metrics.txt")
checks_seen=$(grep -c '^paraat_check_up{' "$work/metrics.txt")
plans_seen=$(grep -c '^paraat_plan_ready{' "$work/metrics.txt")
row "/metrics scrape (s, median of 5)" "$(printf '%s\n' "${times[@]}" | median)" "$plans_seen plans, $checks_seen checks, $series series, $(( $(stat -c %s "$work/metrics.txt") / 1048576 )) MiB; target < 0.5"
eval_sum=$(awk '/^paraat_collector_evaluation_duration_seconds_sum/{print $2}' "$work/metrics.txt")
eval_n=$(awk '/^paraat_collector_evaluation_duration_seconds_count/{print $2}' "$work/metrics.txt")
row "evaluation of all plans, under load (ms, mean)" "$(awk -v s="$eval_sum" -v n="$eval_n" 'BEGIN{printf "%.1f", s*1000/n}')" "$eval_n evaluations of $plans_seen plans; target <= 50"

# --- 3. chain verification -----------------------------------------------------------------
say "evidence verify"
records=$(sqlite3 "$work/ingest/paraat.db" 'SELECT count(*) FROM evidence')
ref=()
ours=()
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  sqlite3 "$work/ingest/paraat.db" 'SELECT sum(length(payload)) + sum(length(hash)) FROM evidence' >/dev/null
  t1=$(date +%s.%N)
  "$bin/ctl/paraatctl" --collector "127.0.0.1:$grpc" evidence verify >"$work/verify.out" 2>&1 ||
    { cat "$work/verify.out" >&2; exit 1; }
  t2=$(date +%s.%N)
  ref+=("$(calc "$t1 - $t0" 3)")
  ours+=("$(calc "$t2 - $t1" 3)")
done
v=$(printf '%s\n' "${ours[@]}" | median)
r=$(printf '%s\n' "${ref[@]}" | median)
row "evidence verify (records/s)" "$(awk -v n="$records" -v t="$v" 'BEGIN{printf "%.0f", n/t}')" "$records records in ${v}s; sqlite3 reading them: ${r}s; target >= 500000"

# --- 4. CSV export -------------------------------------------------------------------------
say "CSV export"
# The first 1,000,000 result records (or all, if fewer), as `--since/--until` select them.
last=$(sqlite3 "$work/ingest/paraat.db" 'SELECT recorded_ns FROM evidence ORDER BY seq LIMIT 1 OFFSET 999999' || true)
[[ -n $last ]] || last=$(sqlite3 "$work/ingest/paraat.db" 'SELECT max(recorded_ns) FROM evidence')
until=$(date -u -d "@$(( last / 1000000000 + 1 ))" +%Y-%m-%dT%H:%M:%SZ)
first=$(sqlite3 "$work/ingest/paraat.db" 'SELECT min(recorded_ns) FROM evidence')
since=$(date -u -d "@$(( first / 1000000000 ))" +%Y-%m-%dT%H:%M:%SZ)
ref=()
ours=()
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  sqlite3 -csv "$work/ingest/paraat.db" \
    "SELECT seq, recorded_ns, type, hex(hash), hex(payload) FROM evidence WHERE recorded_ns <= $(( (last / 1000000000 + 1) * 1000000000 ))" \
    >"$work/ref.csv"
  t1=$(date +%s.%N)
  "$bin/ctl/paraatctl" --collector "127.0.0.1:$grpc" evidence export --all --since "$since" --until "$until" \
    --format csv -o "$work/export.csv" >"$work/export.out" 2>&1 || { cat "$work/export.out" >&2; exit 1; }
  t2=$(date +%s.%N)
  ref+=("$(calc "$t1 - $t0" 3)")
  ours+=("$(calc "$t2 - $t1" 3)")
done
rows=$(( $(wc -l <"$work/export.csv") - 1 ))
row "CSV export (s, median of 3)" "$(printf '%s\n' "${ours[@]}" | median)" "$rows rows, $(( $(stat -c %s "$work/export.csv") / 1048576 )) MiB; sqlite3 -csv of the same rows: $(printf '%s\n' "${ref[@]}" | median)s; target <= 5 for 1,000,000"
stop_collector

# --- 5. connections ------------------------------------------------------------------------
say "$conns idle agent streams"
mkdir -p "$work/conns/plans"
start_collector "$work/conns" "$work/conns/plans"
sleep 2
before=$(rss_kib "$collector_pid")
mkfifo "$work/hold"
"$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc" --agents "$conns" --batch 1 --rate 0.05 --duration 10s \
  --warmup 1s --baseline-duration 0 --hold <"$work/hold" >"$work/conns.out" 2>"$work/conns.err" &
lg=$!
pids+=("$lg")
exec {hold_fd}>"$work/hold"
for _ in $(seq 600); do grep -q '^holding' "$work/conns.out" && break; sleep 0.5; done
grep -q '^holding' "$work/conns.out" || { cat "$work/conns.err" >&2; exit 1; }
sleep 2
after=$(rss_kib "$collector_pid")
streams=$(curl -s "http://127.0.0.1:$metrics/metrics" | awk '/^paraat_collector_agent_streams /{print $2}')
exec {hold_fd}>&-
hold_fd=
wait "$lg" || true
row "memory per connected agent (KiB)" "$(( (after - before) / conns ))" "$streams streams open; collector $((before / 1024)) -> $((after / 1024)) MiB; target <= 64"
stop_collector

# --- 6. agent footprint --------------------------------------------------------------------
say "agent with 20 checks against prometheus-node-exporter, ${agent_minutes}s"
mkdir -p "$work/agent/backups" "$work/agent/plans"
start_collector "$work/agent" "$work/agent/plans"
for i in $(seq -w 1 10); do
  head -c 1048576 /dev/urandom >"$work/agent/backups/db$i.dump"
  (cd "$work/agent/backups" && sha256sum "db$i.dump" >"db$i.dump.sha256")
done
{
  echo "agent: {id: bench-agent}"
  echo "collector: {address: 127.0.0.1:$grpc}"
  echo "spool: {dir: $work/agent/spool}"
  echo "checks:"
  for i in $(seq -w 1 10); do
    echo "  - {id: dump-$i, kind: file_backup, interval: 10s, path: $work/agent/backups/db$i.dump, checksum: sidecar}"
  done
  for i in $(seq 1 5); do echo "  - {id: port-$i, kind: tcp, interval: 10s, target: \"127.0.0.1:$grpc\"}"; done
  for i in $(seq 1 5); do echo "  - {id: disk-$i, kind: disk_space, interval: 10s, path: $work, min_free: 1MiB}"; done
} >"$work/agent/agent.yaml"
"$bin/agent/paraat-agent" --config "$work/agent/agent.yaml" >"$work/agent/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" >"$work/agent/ne.log" 2>&1 &
ne_pid=$!
pids+=("$ne_pid")
sleep 5
a0=$(cpu_seconds "$agent_pid")
n0=$(cpu_seconds "$ne_pid")
for _ in $(seq $((agent_minutes / 15))); do
  curl -s -o /dev/null "http://127.0.0.1:$ne_port/metrics"  # as Prometheus scrapes it
  sleep 15
done
a1=$(cpu_seconds "$agent_pid")
n1=$(cpu_seconds "$ne_pid")
row "agent resident memory, 20 checks (MiB)" "$(awk -v k="$(rss_kib "$agent_pid")" 'BEGIN{printf "%.1f", k/1024}')" "node_exporter $(awk -v k="$(rss_kib "$ne_pid")" 'BEGIN{printf "%.1f", k/1024}') (peak: agent $(( $(hwm_kib "$agent_pid") / 1024 )), node_exporter $(( $(hwm_kib "$ne_pid") / 1024 ))); target <= 12"
row "agent CPU, checks every 10s (%)" "$(calc "($a1 - $a0) * 100 / $agent_minutes" 2)" "node_exporter scraped every 15s: $(calc "($n1 - $n0) * 100 / $agent_minutes" 2); target < 0.5"

echo
echo "Paraat fleet benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
cat "$results_txt"
