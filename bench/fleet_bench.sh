#!/usr/bin/env bash
# Fleet-scale benchmarks (issue 8): a real collector on this machine, loaded by paraat-loadgen
# over real gRPC on loopback, each figure beside its reference from the same run.
#
#   bench/fleet_bench.sh [--quick] [--only 1,2,...]
#
# 1. ingest:      1,000 agent streams of 20 checks, batches of 50, 1,000 plans; result->metric
#                 latency probed meanwhile; reference: the SQLite ceiling (bench/sqlite_ceiling:
#                 the same number of rows of the same mean size committed by SQLite alone, same
#                 pragmas); loadgen's one-in-flight baseline as an aside.
# 2. /metrics:    scrape time and size, and evaluation time, with 10,000 plans over 10,000 and
#                 over 100,000 checks.
# 3. verify:      `paraatctl evidence verify` over everything ingested; reference: reading the
#                 same rows with the sqlite3 CLI.
# 4. export:      `paraatctl evidence export --format csv` of 1,000,000 records; reference:
#                 `sqlite3 -csv` dumping the same rows.
# 5. connections: 10,000 idle agent streams on a fresh collector; resident memory per stream.
# 6. agent:       paraat-agent with 20 checks against prometheus-node-exporter, resident memory
#                 and idle CPU over the same minute.
# 7. PostgreSQL:  ingest with the evidence in PostgreSQL (a local cluster, fsync and synchronous
#                 commit on), one collector and two collectors on the same database.
# 8. evidence page: the web console's /evidence over every record ingested (newest, a page in
#                 the middle, one plan, one source); reference: sqlite3 reading the same page.
# Needs a release build (scripts/setup.sh) and the benchmark tools (scripts/setup.sh --bench).
# --quick shortens every phase (for a smoke run, not for figures); --only runs the listed
# sections (3, 4 and 8 need 1's data).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$root/build
quick=0 only=
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --only) only=$2; shift ;;
    *) echo "usage: bench/fleet_bench.sh [--quick] [--only 1,2,...]" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ -z $only || ",$only," == *",$1,"* ]]; }
for b in collector/paraat-collector agent/paraat-agent ctl/paraatctl bench/paraat-loadgen bench/sqlite_ceiling; do
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
storage: ${3:-sqlite://$1/paraat.db}
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

agents=1000 checks=20 plans=1000 duration=25s baseline=5s conns=10000 agent_seconds=60
big_agents=1000 big_checks=100 big_plans=10000 fill=4s
if ((quick)); then
  agents=100 checks=20 plans=100 duration=3s baseline=1s conns=500 agent_seconds=20
  big_agents=100 big_checks=20 big_plans=500 fill=1s
fi
results_txt=$work/results.txt
: >"$results_txt"
row() { printf '%-46s %-26s %s\n' "$1" "$2" "$3" | tee -a "$results_txt" >&2; }

# write_plans DIR PLANS AGENTS CHECKS: plans spread over the loadgen agents' checks.
write_plans() {
  mkdir -p "$1"
  python3 - "$@" <<'EOF'
import sys
d, plans, agents, checks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = max(1, min(20, agents * checks // plans))
for p in range(plans):
    srcs = []
    for i in range(per):
        n = (p * per + i) % (agents * checks)
        srcs.append(f"loadgen-{n // checks:04d}/check-{n % checks:02d}")
    with open(f"{d}/plan-{p:05d}.yaml", "w") as f:
        f.write(f"id: plan-{p:05d}\nname: Plan {p}\nowner: Team {p % 50}\ntier: {1 + p % 3}\n"
                f"objectives: {{rpo: 1h, rto: 4h}}\nsources:\n  recovery_point: [{', '.join(srcs)}]\n")
EOF
}

# scrape_row LABEL NOTE: /metrics of the running collector, median of 5, and what it holds.
scrape_row() {
  local times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o "$work/metrics.txt" -w '%{time_total}' "http://127.0.0.1:$metrics/metrics")")
  done
  local series checks_seen plans_seen check_series
  series=$(grep -c '^paraat_' "$work/metrics.txt")
  check_series=$(grep -c '^paraat_check_' "$work/metrics.txt")
  checks_seen=$(grep -c '^paraat_check_up{' "$work/metrics.txt")
  plans_seen=$(grep -c '^paraat_plan_ready{' "$work/metrics.txt")
  row "$1" "$(printf '%s\n' "${times[@]}" | median)" "$plans_seen plans, $checks_seen checks ($check_series check series), $series series, $(( $(stat -c %s "$work/metrics.txt") / 1048576 )) MiB; $2"
}
eval_mean_ms() {
  awk '/^paraat_collector_evaluation_duration_seconds_sum/{s=$2} /^paraat_collector_evaluation_duration_seconds_count/{n=$2}
       END{printf "%.1f", n ? s*1000/n : 0}' "$work/metrics.txt"
}

# --- 1. ingest -----------------------------------------------------------------------------
if want 1; then
write_plans "$work/ingest/plans" "$plans" "$agents" "$checks"
start_collector "$work/ingest" "$work/ingest/plans"
say "ingest: $agents streams x $checks checks, batches of 50, $plans plans, $duration (after a $baseline baseline)"
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
# The ceiling: SQLite alone committing as many rows of the same mean size, same pragmas, same disk.
read -r ev_rows ev_bytes < <(sqlite3 -separator ' ' "$work/ingest/paraat.db" \
  'SELECT count(*), CAST(avg(length(payload)) AS INTEGER) FROM evidence')
ceiling=$("$bin/bench/sqlite_ceiling" --db "$work/ceiling.db" --rows "$ev_rows" --payload-bytes "$ev_bytes")
ceiling_rps=$(field rows_per_second <<<"$ceiling")
rm -f "$work/ceiling.db"*
row "SQLite ceiling (rows/s)" "$ceiling_rps" "$ev_rows rows of $ev_bytes bytes, 10,000 a transaction, WAL, synchronous=FULL"
row "ingest, durable (results/s)" "$rps" "$(calc "$rps / $ceiling_rps" 2) x the SQLite ceiling; target >= 1.0; one-in-flight baseline $(field results_per_second <<<"$base")"
row "ack latency p50 / p99 (ms)" "$(field p50_ack_ms <<<"$main") / $(field p99_ack_ms <<<"$main")" "baseline $(field p50_ack_ms <<<"$base") / $(field p99_ack_ms <<<"$base"); target p99 <= 250"
row "result -> /metrics p50 / p99 (ms)" "$(field result_to_metric_p50_ms <<<"$probe") / $(field result_to_metric_p99_ms <<<"$probe")" "$(field probes <<<"$probe") probes, /metrics polled every 100ms; target p99 <= 250"
row "collector CPU per stored result (us)" "$(calc "($cpu1 - $cpu0) * 1e6 / $stored" 2)" "$stored results stored in total; target <= 2.5"
row "collector peak resident memory (MiB)" "$(( $(hwm_kib "$collector_pid") / 1024 ))" "target <= 256"
scrape_row "/metrics scrape at that load (s)" "median of 5"
row "evaluation of all plans, under load (ms, mean)" "$(eval_mean_ms)" "$plans plans"

fi

# --- 2. /metrics and evaluation for 10,000 plans -------------------------------------------
if want 2; then
ingest_pid=${collector_pid:-} ingest_grpc=${grpc:-} ingest_metrics=${metrics:-}
# 10,000 checks; about 100,000 check series (13,000 checks, 7.7 series each); 100,000 checks.
for spec in "$big_plans $((big_agents / 10)) $big_checks" "$big_plans $((big_agents * 13 / 100)) $big_checks" \
  "$big_plans $big_agents $big_checks"; do
  read -r np na nc <<<"$spec"
  dir=$work/metrics-$na
  write_plans "$dir/plans" "$np" "$na" "$nc"
  start_collector "$dir" "$dir/plans"
  say "/metrics with $np plans over $((na * nc)) checks (filling for $fill)"
  "$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc" --agents "$na" --batch 50 --checks "$nc" \
    --duration "$fill" --warmup 1s --baseline-duration 0 >/dev/null 2>"$work/fill.err" || { cat "$work/fill.err" >&2; exit 1; }
  sleep 2
  scrape_row "/metrics, $np plans, $((na * nc)) checks (s)" "target < 0.5 for 10,000 plans and 100,000 check series"
  row "evaluation of $np plans (ms, mean)" "$(eval_mean_ms)" "while filling and idle; target <= 50 (micro_bench: isolated)"
  stop_collector
done
collector_pid=$ingest_pid grpc=$ingest_grpc metrics=$ingest_metrics

fi

# --- 3. chain verification -----------------------------------------------------------------
if want 3; then
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

fi

# --- 4. CSV export -------------------------------------------------------------------------
if want 4; then
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
csv_s=$(printf '%s\n' "${ours[@]}" | median)
row "CSV export (s, median of 3)" "$csv_s" "$(calc "$csv_s * 1000000 / $rows" 2) s per 1,000,000 rows; $rows rows, $(( $(stat -c %s "$work/export.csv") / 1048576 )) MiB; sqlite3 -csv of the same rows: $(printf '%s\n' "${ref[@]}" | median)s; target <= 5 for 1,000,000"

fi

# --- 8. the web console's evidence page over everything ingested -----------------------------
if want 8; then
records=$(sqlite3 "$work/ingest/paraat.db" 'SELECT count(*) FROM evidence')
say "evidence page over $records records"
mid=$(sqlite3 "$work/ingest/paraat.db" "SELECT seq FROM evidence ORDER BY seq LIMIT 1 OFFSET $((records / 2))")
# page_row LABEL PATH TOP: the console page (median of 5; loopback without auth is admin) beside
# sqlite3 reading the records that page had to read (from below TOP down to the oldest it shows:
# the "older" link's seq), from the same file.
page_row() {
  local ours=() ref=() code t low
  curl -s -o "$work/page.html" "http://127.0.0.1:$metrics$2"
  low=$({ grep -o 'before=[0-9]*' "$work/page.html" || true; } | tail -1 | cut -d= -f2)
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    sqlite3 "$work/ingest/paraat.db" \
      "SELECT seq, recorded_ns, type, payload FROM evidence WHERE seq >= ${low:-1} AND seq < $3 ORDER BY seq DESC" >/dev/null
    t1=$(date +%s.%N)
    ref+=("$(calc "$t1 - $t0" 4)")
    read -r code t < <(curl -s -o "$work/page.html" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$metrics$2")
    [[ $code == 200 ]] || { echo "fleet_bench: GET $2 answered $code" >&2; exit 1; }
    ours+=("$t")
  done
  row "$1" "$(printf '%s\n' "${ours[@]}" | median)" "$(( $(grep -c '<tr' "$work/page.html" || true) - 1 )) records shown of $records, $(( $3 - ${low:-1} )) read; sqlite3 reading those: $(printf '%s\n' "${ref[@]}" | median)s; target < 1"
}
top=$(( $(sqlite3 "$work/ingest/paraat.db" 'SELECT max(seq) FROM evidence') + 1 ))
page_row "evidence page, newest (s)" "/evidence" "$top"
page_row "evidence page, mid-store (s)" "/evidence?before=$mid" "$mid"
page_row "evidence page, one plan (s)" "/evidence?plan=plan-00042" "$top"
page_row "evidence page, one source (s)" "/evidence?source=loadgen-0042/check-07" "$top"

fi
if want 4 || want 8; then stop_collector; fi

# --- 5. connections ------------------------------------------------------------------------
if want 5; then
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

fi

# --- 6. agent footprint --------------------------------------------------------------------
if want 6; then
# 20 checks at the intervals a server would use: 10 backup files with checksums every 15 minutes,
# 5 failover ports every minute, 5 disks every 5 minutes. The first runs happen at start (all
# ten checksums among them); idle CPU is measured after them, over $agent_seconds.
say "agent with 20 checks against prometheus-node-exporter, ${agent_seconds}s"
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
    echo "  - {id: dump-$i, kind: file_backup, interval: 15m, path: $work/agent/backups/db$i.dump, checksum: sidecar}"
  done
  for i in $(seq 1 5); do echo "  - {id: port-$i, kind: tcp, interval: 1m, target: \"127.0.0.1:$grpc\"}"; done
  for i in $(seq 1 5); do echo "  - {id: disk-$i, kind: disk_space, interval: 5m, path: $work, min_free: 1MiB}"; done
} >"$work/agent/agent.yaml"
"$bin/agent/paraat-agent" --config "$work/agent/agent.yaml" >"$work/agent/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" >"$work/agent/ne.log" 2>&1 &
ne_pid=$!
pids+=("$ne_pid")
sleep 10
a0=$(cpu_seconds "$agent_pid")
n0=$(cpu_seconds "$ne_pid")
for _ in $(seq $((agent_seconds / 15))); do
  curl -s -o /dev/null "http://127.0.0.1:$ne_port/metrics"  # as Prometheus scrapes it
  sleep 15
done
a1=$(cpu_seconds "$agent_pid")
n1=$(cpu_seconds "$ne_pid")
pss_mib() { awk '/^Pss:/{printf "%.1f", $2/1024}' "/proc/$1/smaps_rollup"; }
row "agent resident memory, 20 checks (MiB)" "$(calc "$(rss_kib "$agent_pid") / 1024" 1)" "node_exporter $(calc "$(rss_kib "$ne_pid") / 1024" 1); proportional (PSS): agent $(pss_mib "$agent_pid"), node_exporter $(pss_mib "$ne_pid"); peak agent $(( $(hwm_kib "$agent_pid") / 1024 )); target <= 10"
row "agent idle CPU, 20 checks (%)" "$(calc "($a1 - $a0) * 100 / $agent_seconds" 3)" "node_exporter scraped every 15s: $(calc "($n1 - $n0) * 100 / $agent_seconds" 3); target < 0.5"

fi

# --- 7. PostgreSQL -------------------------------------------------------------------------
if want 7; then
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -n $pgbin ]]; then
  say "ingest on PostgreSQL"
  chmod 755 "$work"
  mkdir -p "$work/pg" "$work/pg1/plans" "$work/pg2/plans"
  chown postgres "$work/pg"
  pgport=$(free_port)
  runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-k $work/pg -p $pgport -c listen_addresses='' -c max_connections=200 -c shared_buffers=1GB" start >/dev/null
  stop_pg() { runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true; }
  trap 'stop_pg; cleanup' EXIT
  runuser -u postgres -- "$pgbin/psql" -h "$work/pg" -p "$pgport" -Atc "CREATE DATABASE paraat" >/dev/null
  pgurl="postgresql:///paraat?host=$work/pg&port=$pgport&user=postgres"
  start_collector "$work/pg1" "$work/pg1/plans" "$pgurl"
  pg1=$collector_pid grpc1=$grpc
  "$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc1" --agents "$agents" --batch 50 --duration "$duration" \
    --baseline-duration 0 >"$work/pg1.out" 2>"$work/pg1.err" || { cat "$work/pg1.err" >&2; exit 1; }
  one=$(grep '^results_per_second' "$work/pg1.out")
  row "ingest on PostgreSQL, 1 collector (results/s)" "$(field results_per_second <<<"$one")" "ack p50 / p99 $(field p50_ack_ms <<<"$one") / $(field p99_ack_ms <<<"$one") ms; $agents streams"
  start_collector "$work/pg2" "$work/pg2/plans" "$pgurl"
  grpc2=$grpc
  "$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc1" --agents $((agents / 2)) --batch 50 --duration "$duration" \
    --agent-prefix two-a- --baseline-duration 0 >"$work/pg2a.out" 2>"$work/pg2a.err" &
  la=$!
  "$bin/bench/paraat-loadgen" --collector "127.0.0.1:$grpc2" --agents $((agents / 2)) --batch 50 --duration "$duration" \
    --agent-prefix two-b- --baseline-duration 0 >"$work/pg2b.out" 2>"$work/pg2b.err" &
  lb=$!
  wait "$la" "$lb" || { cat "$work/pg2a.err" "$work/pg2b.err" >&2; exit 1; }
  ra=$(grep '^results_per_second' "$work/pg2a.out" | field results_per_second)
  rb=$(grep '^results_per_second' "$work/pg2b.out" | field results_per_second)
  row "ingest on PostgreSQL, 2 collectors (results/s)" "$(calc "$ra + $rb" 0)" "$ra + $rb; one chain: $("$bin/ctl/paraatctl" --collector "127.0.0.1:$grpc1" evidence verify 2>&1 | head -c 60)"
fi
fi

echo
echo "Paraat fleet benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
cat "$results_txt"
