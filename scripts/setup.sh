#!/usr/bin/env bash
# Installs what Paraat needs from Debian 12 and builds it.
#
#   scripts/setup.sh            build dependencies, then build into build/
#   scripts/setup.sh --tests    also the tools the test suite runs for real
#   scripts/setup.sh --bench    also what the benchmarks in bench/ compare against
#
# Safe to run again: packages already installed are skipped, the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=packages.sh
source scripts/packages.sh

want=("${PARAAT_BUILD_PACKAGES[@]}")
build_type=${PARAAT_BUILD_TYPE:-RelWithDebInfo}
for arg in "$@"; do
  case "$arg" in
    --tests) want+=("${PARAAT_TEST_PACKAGES[@]}") ;;
    --bench) want+=("${PARAAT_BENCH_PACKAGES[@]}") ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Node.js and npm: many machines bring their own (e.g. NodeSource's nodejs, which bundles npm and
# conflicts with Debian's npm package); install Debian's only when there is none.
if [[ " ${want[*]} " == *" chromium "* ]] && ! command -v npm >/dev/null 2>&1; then
  want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "==> installing ${#missing[@]} Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # policy-rc.d keeps package scripts from starting services (PostgreSQL, MariaDB, Prometheus):
  # the tests start their own instances on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> building Paraat ($build_type) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${PARAAT_CMAKE_ARGS:-} >/dev/null
cmake --build build
