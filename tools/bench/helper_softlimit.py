#!/usr/bin/env python3
"""How little address space `relay-mysql serve` needs: tcpserver and the helper it starts must
serve under daemontools `softlimit -m 15360000` (RLIMIT_AS, DATA, STACK and MEMLOCK).

    helper_softlimit.py RELAY_MYSQL SQL_CONF --check BYTES   exit 0 iff it answers under -m BYTES
    helper_softlimit.py RELAY_MYSQL SQL_CONF --floor         prints the lowest -m that works

One trial: start `softlimit -m BYTES relay-mysql serve SQL_CONF` on a socketpair, send the
requests in one write, and require an OK or NOTFOUND reply to each (the database answered: it
started, connected and looked up; TEMP "out of memory" or a death is a failure; 192.0.2.1 is
recorded first, so the table exists and one of them is OK), then
end-of-input and exit 0. --check sends a burst of 1000 distinct IPs (the lookup queue's bound);
--floor finds the floor for one request and for that burst.
"""
import shutil
import socket
import subprocess
import sys


def netstring(payload):
    return str(len(payload)).encode() + b":" + payload + b","


def requests(count):
    return b"".join(netstring(f"relay 192.0.{n // 250}.{n % 250 + 1}".encode()) for n in range(count))


def read_replies(sock, count):
    data = b""
    replies = []
    while len(replies) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while b":" in data:
            length, rest = data.split(b":", 1)
            size = int(length)
            if len(rest) < size + 1:
                break
            replies.append(rest[:size])
            data = rest[size + 1:]
    return replies


def answers_under(relay_mysql, conf, limit, count):
    softlimit = shutil.which("softlimit") or "/usr/bin/softlimit"
    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([softlimit, "-m", str(limit), relay_mysql, "serve", conf],
                            stdin=theirs, stdout=theirs, stderr=subprocess.PIPE, close_fds=True)
    theirs.close()
    replies = []
    try:
        ours.settimeout(10)
        try:  # a helper that could not even start has closed its end
            ours.sendall(requests(count))
            replies = read_replies(ours, count)
            ours.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        answered = [r for r in replies if r == b"NOTFOUND " or r.startswith(b"OK ")]
        ok = code == 0 and len(answered) == count
        err = proc.stderr.read().decode(errors="replace").strip()
        detail = f"{len(answered)}/{count} answered, first {replies[:1]!r}, exit {code} {err}"
        return ok, detail
    finally:
        ours.close()
        proc.stderr.close()


def floor(relay_mysql, conf, count):
    low, high = 1 << 20, 64 << 20  # fails at 1 MB; must work at 64 MB
    if answers_under(relay_mysql, conf, low, count)[0]:
        raise RuntimeError("answers under 1 MB: softlimit is not limiting anything")
    ok, detail = answers_under(relay_mysql, conf, high, count)
    if not ok:
        raise RuntimeError(f"does not answer even under 64 MB: {detail}")
    while high - low > 4096:
        mid = (low + high) // 2
        if answers_under(relay_mysql, conf, mid, count)[0]:
            high = mid
        else:
            low = mid
    return high


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("--check", "--floor"):
        print(__doc__, file=sys.stderr)
        return 2
    relay_mysql, conf, mode = sys.argv[1:4]
    # The table must exist for the lookups to be answered: a login creates it.
    subprocess.run([relay_mysql, "allow", "-s", f"mysql:{conf}", "-i", "192.0.2.1"], check=True)
    if mode == "--check":
        limit = int(sys.argv[4])
        ok, detail = answers_under(relay_mysql, conf, limit, 1000)
        print(f"softlimit -m {limit}, 1000 requests: {'ok' if ok else 'FAILED'}: {detail}")
        return 0 if ok else 1
    for count in (1, 1000):
        bytes_ = floor(relay_mysql, conf, count)
        print(f"lowest softlimit -m that answers {count} request(s): {bytes_} bytes "
              f"({bytes_ / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
