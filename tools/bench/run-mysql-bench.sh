#!/bin/bash
# Figures for BENCHMARKS.md: lookups through make_mysql_login_lookup against a private MariaDB
# (mariadb-fixture.sh), at concurrency 1 and 64, direct and through a proxy that holds every
# chunk 20 ms each way.
#   tools/bench/run-mysql-bench.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
seconds=${2:-5}
fixture=$(cd "$(dirname "$0")/../../tests/support" && pwd)/mariadb-fixture.sh
dir=$(mktemp -d /tmp/ucspi-mysql-bench-XXXXXX)
trap 'bash "$fixture" stop "$dir" >/dev/null; rm -rf "$dir"' EXIT
bash "$fixture" start "$dir" >/dev/null
bench=$(find "$build" -name bench_mysql_lookup -type f -perm -u+x | head -1)
for conf in sql.conf sql-socket.conf; do
  for c in 1 64; do
    echo -n "$conf: "; "$bench" "$dir/$conf" --concurrency "$c" --seconds "$seconds"
  done
done
for c in 1 64; do
  echo -n "sql.conf via proxy: "; "$bench" "$dir/sql.conf" --concurrency "$c" --seconds "$seconds" --delay-ms 20
done
