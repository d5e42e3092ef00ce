#!/usr/bin/env bash
# Sets Paraat up (Debian packages, build) and runs it on its embedded default: a collector on
# SQLite with the example plans in examples/demo/plans, and an agent verifying example backups
# that a simulated backup job keeps writing into a scratch folder. Prints where the metrics and
# the web console are and a readiness summary every minute. Ctrl-C stops everything cleanly.
#
# Environment: PARAAT_DEMO_DIR (scratch folder, default /tmp/paraat-demo),
#              PARAAT_DEMO_GRPC_PORT (7443), PARAAT_DEMO_METRICS_PORT (9464),
#              PARAAT_DEMO_SECONDS (stop after this many seconds; default: run until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh

demo=${PARAAT_DEMO_DIR:-/tmp/paraat-demo}
grpc_port=${PARAAT_DEMO_GRPC_PORT:-7443}
metrics_port=${PARAAT_DEMO_METRICS_PORT:-9464}
bin=$root/build

rm -rf "$demo"
mkdir -p "$demo/backups/brp" "$demo/backups/zaak" "$demo/backups/archief"
cp -r examples/demo/. "$demo/"
sed -i "s|@DEMO@|$demo|" "$demo/agent.yaml"
sed -i "s/127.0.0.1:7443/127.0.0.1:$grpc_port/; s/127.0.0.1:9464/127.0.0.1:$metrics_port/" "$demo/collector.yaml"
sed -i "s/127.0.0.1:7443/127.0.0.1:$grpc_port/" "$demo/agent.yaml"
ctl() { "$bin/ctl/paraatctl" --collector "127.0.0.1:$grpc_port" "$@"; }

# A backup file with a sha256sum sidecar, as a backup job would leave it.
make_backup() {  # dir name size
  head -c "$3" /dev/urandom >"$1/$2.tmp" && mv "$1/$2.tmp" "$1/$2"
  (cd "$1" && sha256sum "$2" >"$2.sha256")
}
stamp() { date -u +%Y%m%dT%H%M%S; }
make_backup "$demo/backups/brp" "brp-$(stamp).dump" 2097152
make_backup "$demo/backups/zaak" "zaak-$(stamp).tar" 262144
head -c 4096 /dev/urandom >"$demo/backups/archief/archief-export.zip"
touch -d '3 days ago' "$demo/backups/archief/archief-export.zip"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "==> stopping Paraat"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "    evidence, logs and spool stay in $demo"
  exit 0
}
trap cleanup INT TERM EXIT

echo "==> starting the collector (SQLite evidence store $demo/paraat.db)"
"$bin/collector/paraat-collector" --config "$demo/collector.yaml" >"$demo/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
  ctl status >/dev/null 2>&1 && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "the collector did not start:" >&2
    cat "$demo/collector.log" >&2
    exit 1
  fi
  sleep 0.2
done

echo "==> starting the agent (checks in $demo/agent.yaml)"
"$bin/agent/paraat-agent" --config "$demo/agent.yaml" >"$demo/agent.log" 2>&1 &
pids+=($!)

# The simulated backup jobs: a BRP dump every minute, a Zaaksysteem archive every 4.5 minutes.
(
  i=0
  while sleep 30; do
    i=$((i + 1))
    make_backup "$demo/backups/brp" "brp-$(stamp).dump" 2097152
    if ((i % 9 == 0)); then make_backup "$demo/backups/zaak" "zaak-$(stamp).tar" 262144; fi
    ls -t "$demo/backups/brp"/*.dump | tail -n +6 | while read -r f; do rm -f "$f" "$f.sha256"; done
  done
) &
pids+=($!)

sleep 8
cat <<MSG

Paraat is running.
  metrics       http://127.0.0.1:$metrics_port/metrics
  web console   http://127.0.0.1:$metrics_port/
  query API     127.0.0.1:$grpc_port   (e.g. build/ctl/paraatctl --collector 127.0.0.1:$grpc_port plan show brp)
  logs          $demo/collector.log, $demo/agent.log
Press Ctrl-C to stop.

MSG
ctl status || true
end=$((SECONDS + ${PARAAT_DEMO_SECONDS:-315360000}))
while ((SECONDS < end)); do
  sleep $((end - SECONDS < 60 ? end - SECONDS : 60)) &
  wait $! || true
  ((SECONDS < end)) || break
  echo
  ctl status || true
done
