#!/bin/sh
# bootstrap.sh [BUILD_DIR [CMAKE_ARGS...]]: install every dependency from Debian's packages (once),
# then configure and build. Used by both README commands and by CI, so a fresh machine works.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift

# The end-to-end chain (tests/e2e) also runs Debian's own Dovecot (POP3), curl, swaks and
# daemontools (supervise, svc, svstat, softlimit, multilog); doc.run_files runs the example run
# files under runit (runsv) and s6 (s6-supervise) and checks the units with systemd-analyze;
# pyflakes checks the Python tests; package.deb builds the .deb (dpkg-dev's dpkg-shlibdeps, and
# file, for cpack), lints it and installs it beside ucspi-tcp.
# clang and its runtimes (libFuzzer, ASan, UBSan) build the fuzz targets (tools/run-fuzz.sh).
# haproxy (started by the test on loopback with its own config, never the system service) sends
# PROXY headers v1 and v2 to tcpserver -y (tests/tcpserver/proxy_haproxy_test.py).
# gnuplot-nox draws tcpserver-bench's SVG curves, which its smoke test (bench.tcpserver_bench) checks.
packages="cmake g++ make pkg-config libcdb-dev libevent-dev libmariadb-dev catch2 \
mariadb-server mariadb-client python3 python3-pyflakes groff-base man-db \
dovecot-core dovecot-pop3d curl swaks daemontools runit s6 systemd clang libclang-rt-14-dev \
dpkg-dev file lintian gnuplot-nox haproxy"

# BOOTSTRAP=programs (run-main.sh): only what builds and runs the programs, with
# -DBUILD_TESTING=OFF: no test tools, no clang, and no MariaDB or Dovecot server on a mail host.
if [ "${BOOTSTRAP:-all}" = programs ]; then
  packages="cmake g++ make pkg-config libcdb-dev libevent-dev libmariadb-dev python3"
fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing$missing" >&2
  $sudo apt-get update -q
  # The server packages must not start a system MariaDB, Dovecot (on 110/143) or HAProxy: tests start
  # their own. RUNLEVEL=1 makes invoke-rc.d refuse their start (rc1.d has only K links).
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -q --no-install-recommends $missing
fi

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build" -j"$(nproc)"
