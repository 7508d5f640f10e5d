#!/bin/bash
# A throwaway MariaDB for the tests: Debian's own server binaries (apt package mariadb-server)
# on a private datadir, listening on a unix socket and on 127.0.0.1 only (a free port).
#
#   mariadb-fixture.sh start DIR     fresh datadir, database vpopmail, user relay; writes
#                                    DIR/sql.conf (TCP) and DIR/sql-socket.conf (unix socket)
#   mariadb-fixture.sh restart DIR   start again on the same datadir and port (outage tests)
#   mariadb-fixture.sh stop DIR      SIGTERM, then SIGKILL if it has not exited within 20 s
#   mariadb-fixture.sh purge DIR     stop, then delete the datadir (about 100 MB)
#
# The socket is DIR/mysqld.sock, or a /tmp path (recorded in DIR/socket) when DIR is too deep.
# A file DIR/server-args, one mariadbd option a line, replaces the default --skip-log-bin (the
# replication fixture, mariadb-replication-fixture.sh, writes one for each of its servers).
#
# A missing server is a failure, never a skip: a test suite that quietly skips its database
# tests proves nothing about the store.
set -euo pipefail

usage() { echo "usage: $0 start|restart|stop|purge DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

fail() {
  echo "mariadb-fixture: FAILED: $*" >&2
  if [ -f "$dir/error.log" ]; then echo "--- $dir/error.log (tail) ---" >&2; tail -n 30 "$dir/error.log" >&2; fi
  exit 1
}

find_tool() {
  local name=$1 path
  for path in "$(command -v "$name" 2>/dev/null || true)" "/usr/sbin/$name" "/usr/bin/$name"; do
    if [ -n "$path" ] && [ -x "$path" ]; then echo "$path"; return 0; fi
  done
  fail "$name not found: install Debian's mariadb-server package (apt-get install mariadb-server)"
}

alive() {  # a zombie (killed, not yet reaped by init) counts as gone
  local pid=$1 state
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
  [ "$state" != Z ]
}

# A unix socket path must fit in sun_path (108 bytes); a deep build directory may not.
socket_path() {
  if [ -f "$dir/socket" ]; then cat "$dir/socket"; return 0; fi
  local path="$dir/mysqld.sock"
  if [ ${#path} -gt 100 ]; then path=$(mktemp -u /tmp/ucspi-mysqld-XXXXXX.sock); fi
  echo "$path" >"$dir/socket"
  echo "$path"
}

pick_port() {  # a port nothing answers on; mariadbd's bind is the final check
  local port i
  # Below the kernel's ephemeral range (32768 and up): the tests' own servers bind port 0 and
  # their clients connect from there, and must not take the port between this check and bind.
  for i in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  fail "no free TCP port found on 127.0.0.1"
}

server_args() {
  if [ -f "$dir/server-args" ]; then cat "$dir/server-args"; else echo --skip-log-bin; fi
}

launch() {
  local mariadbd admin port=$1 socket args
  mapfile -t args < <(server_args)
  socket=$(socket_path)
  mariadbd=$(find_tool mariadbd)
  admin=$(find_tool mariadb-admin)
  "$mariadbd" --version >/dev/null || fail "$mariadbd --version does not run"
  rm -f "$socket" "$dir/mysqld.pid"
  # setsid and no inherited stdio: ctest waits for every holder of its pipes to exit.
  setsid "$mariadbd" --no-defaults --user=root --datadir="$dir/data" \
    --socket="$socket" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --skip-name-resolve \
    "${args[@]}" --innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=500 </dev/null >>"$dir/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  local pid=$! i
  for i in $(seq 1 600); do
    if ! alive "$pid"; then
      # Someone took the port between pick_port and the bind: the caller picks another.
      grep -q "Bind on TCP/IP port" "$dir/error.log" 2>/dev/null && return 2
      fail "mariadbd exited during startup"
    fi
    if "$admin" --no-defaults --socket="$socket" -uroot --connect-timeout=1 ping \
        >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  fail "mariadbd did not answer within 60 s"
}

write_configs() {
  local port=$1 common
  common="database vpopmail
table relay
user relay
pass relay-secret
time 1800"
  printf '# written by mariadb-fixture.sh\nserver 127.0.0.1\nport %s\n%s\n' "$port" "$common" \
    >"$dir/sql.conf"
  printf '# written by mariadb-fixture.sh\nsocket %s\n%s\n' "$(socket_path)" "$common" \
    >"$dir/sql-socket.conf"
}

stop() {
  [ -f "$dir/pid" ] || return 0
  local pid i
  pid=$(cat "$dir/pid")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 200); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      echo "mariadb-fixture: mariadbd $pid ignored SIGTERM for 20 s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$dir/pid"
}

case $action in
  start)
    stop
    rm -rf "$dir/data" "$dir/error.log" "$dir/stdout.log" "$dir/socket"
    mkdir -p "$dir/data"
    "$(find_tool mariadb-install-db)" --no-defaults --user=root --datadir="$dir/data" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; fail "mariadb-install-db failed"; }
    for attempt in 1 2 3; do
      port=$(pick_port)
      status=0
      launch "$port" || status=$?
      [ "$status" -eq 0 ] && break
      [ "$attempt" -lt 3 ] || fail "no port could be bound in three tries"
    done
    "$(find_tool mariadb)" --no-defaults --socket="$(socket_path)" -uroot <<'SQL' \
      || fail "creating the database and user failed"
CREATE DATABASE IF NOT EXISTS vpopmail;
CREATE USER IF NOT EXISTS 'relay'@'localhost' IDENTIFIED BY 'relay-secret';
CREATE USER IF NOT EXISTS 'relay'@'127.0.0.1' IDENTIFIED BY 'relay-secret';
GRANT ALL PRIVILEGES ON vpopmail.* TO 'relay'@'localhost';
GRANT ALL PRIVILEGES ON vpopmail.* TO 'relay'@'127.0.0.1';
SQL
    write_configs "$port"
    echo "mariadb-fixture: mariadbd $(cat "$dir/pid") on 127.0.0.1:$port and $(socket_path)"
    ;;
  restart)
    [ -f "$dir/port" ] && [ -d "$dir/data" ] || fail "nothing to restart in $dir (run start first)"
    stop
    launch "$(cat "$dir/port")"
    ;;
  stop)
    stop
    ;;
  purge)
    stop
    rm -rf "$dir/data"
    ;;
  *)
    usage
    ;;
esac
