#!/bin/bash
# Two throwaway MariaDB servers on loopback, a primary and its replica (GTID replication), each
# a mariadb-fixture.sh server in its own datadir, for the replicated roaming layout
# (doc/guides/replicated-roaming.md).
#
#   mariadb-replication-fixture.sh start DIR   DIR/primary and DIR/replica, replicating; writes
#                                              DIR/primary.conf (the primary's sql file, as a
#                                              POP/IMAP host has it) and DIR/replica.conf (the
#                                              local replica plus primary_server/primary_port,
#                                              as an SMTP host has it)
#   mariadb-replication-fixture.sh stop DIR    both servers
#   mariadb-replication-fixture.sh purge DIR   both servers, and their datadirs
#   mariadb-replication-fixture.sh sql primary|replica DIR   runs stdin as root there
#
# The primary logs statements (binlog_format STATEMENT), the harder case for relay-clear's
# DELETE: what it deletes on the replica must be decided by the statement alone. The replica is
# read_only, retries its primary every second and gives up on a silent one after 4 s.
# A missing server is a failure, never a skip.
set -euo pipefail

usage() { echo "usage: $0 start|stop|purge DIR | sql primary|replica DIR" >&2; exit 2; }
fixture="$(cd "$(dirname "$0")" && pwd)/mariadb-fixture.sh"

fail() { echo "mariadb-replication-fixture: FAILED: $*" >&2; exit 1; }

client() {  # client SERVER-DIR [OPTION...]: the mariadb client as root on that server's socket
  local mariadb server=$1
  shift
  mariadb=$(command -v mariadb || echo /usr/bin/mariadb)
  [ -x "$mariadb" ] || fail "mariadb (the client) not found: apt-get install mariadb-client"
  "$mariadb" --no-defaults --socket="$(cat "$server/socket")" -uroot --batch "$@"
}

wait_replicating() {
  local i status
  for i in $(seq 1 300); do
    status=$(echo "SHOW SLAVE STATUS\G" | client "$replica" | grep -E "Slave_(IO|SQL)_Running:" || true)
    if [ "$(echo "$status" | grep -c ": Yes$")" -eq 2 ]; then return 0; fi
    sleep 0.1
  done
  echo "SHOW SLAVE STATUS\G" | client "$replica" >&2 || true
  fail "the replica did not start replicating within 30 s"
}

start() {
  mkdir -p "$primary" "$replica"
  printf '%s\n' --server-id=1 --log-bin=primary-bin --binlog-format=STATEMENT \
    >"$primary/server-args"
  printf '%s\n' --server-id=2 --skip-log-bin --read-only --slave-net-timeout=4 \
    >"$replica/server-args"
  bash "$fixture" start "$primary"
  bash "$fixture" start "$replica"
  client "$primary" <<'SQL' || fail "creating the replication user on the primary failed"
SET SESSION sql_log_bin = 0;
CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-secret';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
SQL
  # The SMTP hosts' reader needs SLAVE MONITOR on its replica for SHOW SLAVE STATUS.
  client "$replica" <<SQL || fail "setting up replication on the replica failed"
GRANT SLAVE MONITOR ON *.* TO 'relay'@'127.0.0.1';
GRANT SLAVE MONITOR ON *.* TO 'relay'@'localhost';
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(cat "$primary/port"),
  MASTER_USER='repl', MASTER_PASSWORD='repl-secret', MASTER_USE_GTID=slave_pos,
  MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
  wait_replicating
  cp "$primary/sql.conf" "$dir/primary.conf"
  { cat "$replica/sql.conf"
    printf 'primary_server 127.0.0.1\nprimary_port %s\n' "$(cat "$primary/port")"
  } >"$dir/replica.conf"
  echo "mariadb-replication-fixture: primary on 127.0.0.1:$(cat "$primary/port")," \
       "replica on 127.0.0.1:$(cat "$replica/port")"
}

case ${1-} in
  start|stop|purge) [ $# -eq 2 ] || usage; action=$1; dir=$(mkdir -p "$2" && cd "$2" && pwd) ;;
  sql) [ $# -eq 3 ] || usage
       case $2 in primary|replica) ;; *) usage ;; esac
       dir=$(cd "$3" && pwd); client "$dir/$2" --skip-column-names; exit ;;
  *) usage ;;
esac
primary=$dir/primary
replica=$dir/replica
case $action in
  start) start ;;
  stop) bash "$fixture" stop "$replica"; bash "$fixture" stop "$primary" ;;
  purge) bash "$fixture" purge "$replica"; bash "$fixture" purge "$primary" ;;
esac
