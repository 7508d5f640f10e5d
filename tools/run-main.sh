#!/bin/sh
# run-main.sh [PORT]: the main job on a fresh machine. Installs the dependencies, builds, compiles
# a small tcp.smtp with our tcprules, and runs our tcpserver on 127.0.0.1 with those rules and the
# embedded roaming cdb store. It shows one client refused relaying, then relay-allow (what a
# POP/IMAP login runs), then the same client granted relaying; then it keeps serving until ^C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-2525}
# Only what the demo needs (no test tools, no database or POP server): see bootstrap.sh.
BOOTSTRAP=programs "$top/tools/bootstrap.sh" "$top/build" -DBUILD_TESTING=OFF
bin=$top/build/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/ucspi-relay.XXXXXX")
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

# A mail server's tcp.smtp: our own network relays, a known spammer is refused, others may send
# mail but not relay, unless they logged in by POP/IMAP lately (the roaming store).
cat > "$work/tcp.smtp" <<'RULES'
127.0.0.3:deny
10.0.0.0/8:allow,RELAYCLIENT=""
:allow
RULES
"$bin/tcprules" "$work/tcp.smtp.cdb" "$work/tcp.smtp.tmp" < "$work/tcp.smtp"
echo "--- the rules (tcp.smtp, compiled by our tcprules into $work/tcp.smtp.cdb):"
cat "$work/tcp.smtp"

# The child shows what qmail-smtpd would see.
cat > "$work/smtpd" <<'CHILD'
#!/bin/sh
echo "220 demo ESMTP: you are $TCPREMOTEIP, RELAYCLIENT=${RELAYCLIENT-unset} RBLSMTPD=${RBLSMTPD-unset}"
CHILD
chmod +x "$work/smtpd"

store="cdb:$work/relay.cdb"
"$bin/tcpserver" -v -H -R -l demo.local -x "$work/tcp.smtp.cdb" -s "$store" -w 1800 \
  127.0.0.1 "$port" "$work/smtpd" 2> "$work/log" &
server=$!
tail -f "$work/log" >&2 &
tailer=$!
trap 'kill $server $tailer 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

# Started means its status line is out; a server that exits (a port taken, say) is an error.
i=0
until grep -q '^tcpserver: status: ' "$work/log"; do
  if ! kill -0 $server 2>/dev/null || [ $i -ge 50 ]; then
    sleep 0.2
    echo "run-main: tcpserver did not start on 127.0.0.1:$port (its messages are above)." >&2
    echo "run-main: if the port is taken, give another: tools/run-main.sh PORT" >&2
    exit 111
  fi
  i=$((i + 1))
  sleep 0.1
done

ask() {  # ask FROM_IP: connect from that loopback address and print the greeting
  python3 - "$1" "$port" <<'PY'
import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.connect(("127.0.0.1", int(sys.argv[2])))
data = b""
while chunk := s.recv(4096):
    data += chunk
print(data.decode().strip() or "(connection closed without a greeting)")
PY
}

echo "--- 127.0.0.2 before any login:"; ask 127.0.0.2
echo "--- relay-allow -i 127.0.0.2 (what a successful POP/IMAP login runs)"
RELAY_STORE=$store "$bin/relay-allow" -i 127.0.0.2
echo "--- 127.0.0.2 after its login:"; ask 127.0.0.2
echo "--- 127.0.0.3 (denied by tcp.smtp):"; ask 127.0.0.3
echo "--- relay-list:"; RELAY_STORE=$store "$bin/relay-list"
echo "--- tcpserver keeps serving on 127.0.0.1:$port with these rules and store; ^C stops it"
wait $server
