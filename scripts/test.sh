#!/usr/bin/env bash
# Sets everything up (Debian packages for the build and for the real tools the tests run:
# Prometheus, PostgreSQL, MariaDB, restic, borg, pgBackRest, monitoring plugins, Chromium, clang;
# npm test tools) and runs the whole test suite:
#   0. the formatting check first, so a formatting slip shows at the top (ctest runs it again as
#      format.check, which fails the suite);
#   1. ctest on the release build (build/), unit and integration tests;
#   2. the sanitizer pass (scripts/sanitize.sh): the same suite against clang builds with
#      AddressSanitizer and UndefinedBehaviorSanitizer, then a short libFuzzer run per target.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only the unit tests (ctest arguments apply to both passes)
#   PARAAT_SANITIZE=0 scripts/test.sh    skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
echo "==> formatting"
format_rc=0
scripts/check-format.sh || format_rc=$?
if ((format_rc == 1)); then
  echo "==> formatting differs (see above): the suite runs on, and its format.check will fail"
fi
if [ -f tests/js/package.json ]; then
  # --ignore-scripts and PUPPETEER_SKIP_DOWNLOAD: nothing downloads a browser; the web console's
  # tests drive Debian's chromium (scripts/packages.sh).
  (cd tests/js && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
echo "==> the test suite (release build)"
(cd build && ctest --output-on-failure -j2 --timeout 900 "$@")
if [ "${PARAAT_SANITIZE:-1}" != 0 ]; then
  scripts/sanitize.sh -- "$@"
fi
echo "==> all tests passed"
