# Debian 12 packages Paraat needs, by purpose. Sourced by setup.sh.
# shellcheck shell=bash

# To build Paraat (clang-format: the formatting check, ctest's format.check).
PARAAT_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev prometheus-cpp-dev libmicrohttpd-dev libyaml-cpp-dev
  libsqlite3-dev libjemalloc-dev libssl-dev libpq-dev libcurl4-openssl-dev libmariadb-dev
  nlohmann-json3-dev libkainjow-mustache-dev libgnutls28-dev libgtest-dev libgmock-dev libbenchmark-dev
  openssl ca-certificates
)

# To run the test suite against real tools and servers. (Node.js and npm for the OSCAL schema
# check come from Debian only when the machine has no npm of its own; see setup.sh.)
PARAAT_TEST_PACKAGES=(
  prometheus
  postgresql postgresql-contrib
  mariadb-server mariadb-client
  restic borgbackup pgbackrest
  monitoring-plugins-basic
  chromium
  clang libclang-rt-14-dev
  procps iproute2 sqlite3 systemd curl python3 jq
  # Bacula. The director needs a mailx: mailutils (listed first, so apt picks it) is one without a
  # mail daemon; bsd-mailx would pull in exim4.
  mailutils bacula-director bacula-director-sqlite3 bacula-sd bacula-fd bacula-console
  # Barman (eatmydata makes its fsyncs no-ops in the tests), Mariabackup, rclone, Redis.
  barman barman-cli rsync eatmydata
  mariadb-backup
  rclone
  redis-server redis-tools
)

# To run the benchmarks in bench/ (their references, and the tools they drive).
PARAAT_BENCH_PACKAGES=(
  prometheus-node-exporter sqlite3 curl python3 openssl procps
)
