#!/bin/sh
# relay-allow, relay-list and relay-clear against a real MariaDB (the mysql tests' fixture),
# on a table of their own so the MySQL store tests running beside them are untouched.
#   relay_tools_mysql.sh BINDIR FIXTURE_SQL_CONF WORKDIR
set -eu
bin=$1 fixture_conf=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
conf=$work/sql.conf
sed 's/^table .*/table relay_tools_test/; s/^time .*/time 600/' "$fixture_conf" >"$conf"
store=mysql:$conf

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect WHAT ACTUAL WANTED
  [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"
}

# A login through relay-allow: recorded (canonical form), then the program runs.
out=$("$bin/relay-allow" -s "$store" -i ::ffff:198.51.100.7 /bin/echo login)
expect "relay-allow output" "$out" login
TCPREMOTEIP=2001:DB8::77 "$bin/relay-allow" -s "$store" || fail "relay-allow without program"

# relay-list takes the window from the config's `time` (600) unless -w says otherwise.
list=$("$bin/relay-list" -s "$store")
echo "$list" | grep -Eq '^198\.51\.100\.7 [0-9] relay$' || fail "relay-list: [$list]"
echo "$list" | grep -Eq '^2001:db8::77 [0-9] relay$' || fail "relay-list: [$list]"

# The table relay-allow created holds every address; relay-mysql check says so (exit 0).
out=$("$bin/relay-mysql" check "$conf") || fail "relay-mysql check: exit $?: $out"
expect "relay-mysql check" "$out" 'table `relay_tools_test` column ip_addr is varchar(64): holds every address'

# The store helper tcpserver starts answers the login time of what relay-allow recorded.
request="relay 198.51.100.7"
reply=$(printf '%d:%s,' "${#request}" "$request" | "$bin/relay-mysql" serve "$conf")
echo "$reply" | grep -Eq '^[0-9]+:OK [0-9]+,$' || fail "relay-mysql serve: [$reply]"

# relay-clear removes what is older than the window and nothing else.
sleep 2
RELAY_STORE=$store "$bin/relay-allow" -i 198.51.100.8
"$bin/relay-clear" -s "$store" -w 2 || fail "relay-clear"
list=$("$bin/relay-list" -s "$store")
expect "after relay-clear" "$(echo "$list" | cut -d' ' -f1)" 198.51.100.8

# A dead server never costs the login: warning, and the program still runs, within the
# connect timeout.
sed 's/^server .*/server 127.0.0.1/; s/^port .*/port 1/; /^socket /d' "$conf" >"$work/dead.conf"
out=$("$bin/relay-allow" -s "mysql:$work/dead.conf" -i 198.51.100.9 /bin/echo login 2>"$work/err")
expect "relay-allow with a dead server" "$out" login
grep -q '^relay-allow: warning: unable to record 198.51.100.9: ' "$work/err" ||
  fail "warning: $(cat "$work/err")"
"$bin/relay-allow" -s "mysql:$work/dead.conf" -i 198.51.100.9 2>/dev/null && fail "exit 0"
[ $? -eq 111 ] || fail "dead server without program: want exit 111"

# A missing config file is a store failure too, never an open relay.
out=$("$bin/relay-allow" -s "mysql:$work/missing.conf" -i 198.51.100.9 /bin/echo login 2>/dev/null)
expect "relay-allow with a missing config" "$out" login
echo ok
