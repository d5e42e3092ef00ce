#!/bin/bash
# The Debian packages as an operator gets them: build them with CPack, install them on this
# machine with dpkg, check the users, directories, configs and systemd units they bring, run the
# installed binaries end to end (agent -> collector -> paraatctl), and purge them again.
#
# Usage: package_test.sh BUILD_DIR
# Needs root (dpkg -i). Skips (exit 77) when not root, or when Paraat packages are already
# installed here: it does not touch an installation it did not make.
set -euo pipefail

build=$(cd "$1" && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: installing packages needs root"
  exit 77
fi
if dpkg-query -W -f='${Status}' paraat-agent paraat-collector 2>/dev/null | grep -q installed; then
  echo "SKIP: Paraat packages are installed on this machine; this test leaves them alone"
  exit 77
fi

work=$(mktemp -d /tmp/paraat-package-test.XXXXXX)
chmod 0755 "$work"
created_users=()
collector_pid=
cleanup() {
  [[ -n $collector_pid ]] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
  dpkg --purge paraat-agent paraat-collector >/dev/null 2>&1 || true
  for u in "${created_users[@]}"; do deluser --system --quiet "$u" >/dev/null 2>&1 || true; done
  rm -rf "$work" /var/lib/paraat /var/lib/paraat-agent
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for u in paraat paraat-agent; do getent passwd "$u" >/dev/null || created_users+=("$u"); done

echo "--- cpack"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
agent_deb=$(ls "$work"/pkg/paraat-agent_*.deb)
collector_deb=$(ls "$work"/pkg/paraat-collector_*.deb)
dpkg-deb -f "$collector_deb" Depends | grep -q libsqlite3 || fail "collector package does not depend on libsqlite3"
dpkg-deb -f "$agent_deb" Depends | grep -q libc6 || fail "agent package does not depend on libc6"
dpkg-deb -f "$agent_deb" Recommends | grep -q libpq5 || fail "agent package does not recommend libpq5"

echo "--- dpkg -i"
dpkg -i "$agent_deb" "$collector_deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
for f in /usr/bin/paraat-agent /usr/bin/paraat-collector /usr/bin/paraatctl \
         /etc/paraat/agent.yaml /etc/paraat/collector.yaml \
         /lib/systemd/system/paraat-agent.service /lib/systemd/system/paraat-collector.service \
         /usr/share/paraat/dashboards/paraat-overview.json /usr/share/paraat/prometheus/paraat-alerts.yml \
         /usr/share/doc/paraat-collector/examples/gemeente/plans/brp.yaml \
         /usr/share/doc/paraat-agent/examples/ziekenhuis/agent-pacs.yaml; do
  [[ -e $f ]] || fail "$f not installed"
done
/usr/bin/paraat-collector --version | grep -q "paraat-collector" || fail "installed collector --version"

echo "--- users and directories"
getent passwd paraat >/dev/null || fail "no user paraat"
getent passwd paraat-agent >/dev/null || fail "no user paraat-agent"
expect_eq "$(stat -c '%U %a' /var/lib/paraat)" "paraat 750" "/var/lib/paraat"
expect_eq "$(stat -c '%U %a' /var/lib/paraat-agent)" "paraat-agent 700" "/var/lib/paraat-agent"

echo "--- shipped configs pass --check-config as their service user"
out=$(runuser -u paraat -- paraat-collector --config /etc/paraat/collector.yaml --check-config) ||
  fail "collector.yaml: $out"
grep -q "warning: no plans in /etc/paraat/plans" <<<"$out" || fail "no warning about the empty plans directory: $out"
out=$(runuser -u paraat-agent -- paraat-agent --config /etc/paraat/agent.yaml --check-config) ||
  fail "agent.yaml: $out"
for f in /usr/share/doc/paraat-collector/examples/*/collector.yaml; do
  paraat-collector --config "$f" --check-config --ignore-missing-files >/dev/null || fail "example $f"
done
# The examples name TLS and password files and restore scripts of the servers they are written
# for; --check-config requires those, so here it may refuse an example for that reason only.
for f in /usr/share/doc/paraat-agent/examples/*/agent*.yaml; do
  rc=0
  out=$(paraat-agent --config "$f" --check-config 2>&1) || rc=$?
  [[ $rc == 0 ]] && continue
  [[ $rc == 2 ]] && ! grep -vqE ': (/etc/paraat/|/usr/local/sbin/)[^ ]* does not exist$' <<<"$out" ||
    fail "example $f: $out"
done

echo "--- systemd units"
systemd-analyze verify /lib/systemd/system/paraat-collector.service /lib/systemd/system/paraat-agent.service ||
  fail "systemd-analyze verify"
grep -q "^User=paraat$" /lib/systemd/system/paraat-collector.service || fail "collector unit runs as root"

echo "--- the installed binaries, end to end, as their service users"
grpc=$(free_port)
metrics=$(free_port)
install -d -o paraat -g paraat "$work/plans"
cat >"$work/plans/files.yaml" <<'EOF'
id: files
name: File server
objectives: {rpo: 24h, rto: 4h}
sources:
  recovery_point: [pkg-agent/etc-copy]
EOF
# The test's own evidence store: a run before this one (dpkg --purge keeps evidence) must not
# answer for this one.
rm -f /var/lib/paraat/package-test.db /var/lib/paraat/package-test.db-wal /var/lib/paraat/package-test.db-shm
cat >"$work/collector.yaml" <<EOF
listen: 127.0.0.1:$grpc
metrics_listen: 127.0.0.1:$metrics
storage: sqlite:///var/lib/paraat/package-test.db
plans_dir: $work/plans
EOF
mkdir -p "$work/backup"
cp /etc/paraat/agent.yaml "$work/backup/etc-copy.yaml"
chmod -R a+rX "$work/backup" "$work/collector.yaml" "$work/plans"
cat >"$work/agent.yaml" <<EOF
agent: {id: pkg-agent}
collector: {address: 127.0.0.1:$grpc}
spool: {dir: /var/lib/paraat-agent/spool}
checks:
  - {id: etc-copy, kind: file_backup, interval: 1h, path: $work/backup/*.yaml}
EOF
chmod a+r "$work/agent.yaml"
# setpriv execs the collector itself, so the signal below reaches it and its exit status comes back.
setpriv --reuid=paraat --regid=paraat --init-groups paraat-collector --config "$work/collector.yaml" >"$work/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$metrics/metrics" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$metrics/metrics" >/dev/null || { cat "$work/collector.log"; fail "collector did not start"; }
runuser -u paraat-agent -- paraat-agent --config "$work/agent.yaml" --once >"$work/agent.log" 2>&1 ||
  { cat "$work/agent.log"; fail "agent --once"; }
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$metrics/metrics" | grep -Eq 'paraat_check_up\{[^}]*check="etc-copy"[^}]*\} 1' && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$metrics/metrics" | grep -Eq 'paraat_check_up\{[^}]*check="etc-copy"[^}]*\} 1' || {
  cat "$work/agent.log" "$work/collector.log"
  curl -sf "http://127.0.0.1:$metrics/metrics" | grep -E 'etc-copy|pkg-agent|duplicate'
  fail "the agent's result did not reach the collector's metrics"
}
paraatctl --collector "127.0.0.1:$grpc" status >"$work/status.txt" || { cat "$work/status.txt"; fail "paraatctl status"; }
grep -q "^files " "$work/status.txt" || fail "paraatctl status does not list the plan: $(cat "$work/status.txt")"
kill "$collector_pid"
wait "$collector_pid" || fail "collector did not stop cleanly on SIGTERM"
collector_pid=
[[ $(stat -c %U /var/lib/paraat/package-test.db) == paraat ]] || fail "evidence store not owned by paraat"

echo "--- upgrade keeps a changed conffile"
echo "# changed by the operator" >>/etc/paraat/collector.yaml
dpkg -i --force-confold "$collector_deb" >"$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log"; fail "reinstall"; }
grep -q "changed by the operator" /etc/paraat/collector.yaml || fail "reinstall overwrote the operator's collector.yaml"

echo "--- remove keeps configuration and evidence; purge removes configuration, never evidence"
dpkg -r paraat-agent paraat-collector >/dev/null
[[ ! -e /usr/bin/paraat-collector ]] || fail "binary left after dpkg -r"
[[ -e /etc/paraat/collector.yaml ]] || fail "dpkg -r removed the configuration"
[[ -e /var/lib/paraat/package-test.db ]] || fail "dpkg -r removed the evidence store"
dpkg --purge paraat-agent paraat-collector >/dev/null
[[ ! -e /etc/paraat ]] || fail "dpkg --purge left /etc/paraat: $(ls -R /etc/paraat)"
[[ ! -e /var/lib/paraat-agent ]] || fail "dpkg --purge left the agent's spool"
[[ -e /var/lib/paraat/package-test.db ]] || fail "dpkg --purge removed the evidence store"
echo "PASS"
