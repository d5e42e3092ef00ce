#!/usr/bin/env bash
# Sets everything up (Debian packages for the build and for the real tools the tests run:
# Prometheus, PostgreSQL, MariaDB, restic, borg, pgBackRest, monitoring plugins, Chromium;
# npm test tools) and runs the whole test suite with ctest.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only the unit tests (any ctest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
if [ -f tests/js/package.json ]; then
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi
cd build
exec ctest --output-on-failure -j2 --timeout 900 "$@"
