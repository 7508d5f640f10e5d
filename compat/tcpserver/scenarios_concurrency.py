"""Scenarios: more than one client at a time: the -c limit and its status lines, a slow client
that must not hold up another, a burst, and our per-IP limit -C (an extension no reference has,
so its expected transcript is written out here)."""

import re
import time

from harness import SHORT, scenario


@scenario()
def s_limit_garbage_is_zero(run):
    """`-c abc` scans as 0: status 0/0 and no accept() ever; the client waits in the backlog."""
    server = run.start(["-v", "-c", "abc"])
    c = server.connect()
    run.note("client idle while limit 0: %s" % c.idle_for(SHORT))
    c.close()
    server.settle()
    run.finish()


@scenario()
def s_big_banner_slow_reader(run):
    """A 120000-byte banner to a client that does not read yet must not hold up another
    client (djb writes it in the child; a server that writes it in the parent must not block)."""
    banner = "".join(chr(ord("a") + i % 26) for i in range(120000))
    server = run.start(["-v", "-B", banner])
    slow = server.connect()
    fast = server.connect()
    run.note("fast: %s, %d bytes, banner first: %s" % (
        fast.read_all(), len(fast.buf), fast.buf.startswith(banner.encode())))
    run.note("slow: %s, %d bytes, banner first: %s" % (
        slow.read_all(), len(slow.buf), slow.buf.startswith(banner.encode())))
    server.settle(ends=2)
    server.unordered = True  # two children interleave: compare the lines as a set
    run.finish()


@scenario()
def s_limit_one_serialises(run):
    """-c 1: a second client waits in the backlog until the first child exits."""
    server = run.start(["-v", "-c", "1"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    b = server.connect()
    run.note("B idle while A runs: %s" % b.idle_for(SHORT))
    a.send(b"go\n")
    run.note_client("A", a, a.read_all())
    run.ready("B ready after A", b)
    b.send(b"go\n")
    run.note_client("B", b, b.read_all())
    server.settle(ends=2)
    run.finish()


@scenario()
def s_limit_two_status_counts(run):
    """-c 2: status climbs to 2/2 and falls back, one line per change."""
    server = run.start(["-v", "-c", "2"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    server.wait_log(r"^tcpserver: ok ", 1)
    b = server.connect()
    run.ready("B ready", b)
    server.wait_log(r"^tcpserver: ok ", 2)
    run.release("A", a, b"a\n")
    server.settle(ends=1)
    run.release("B", b, b"b\n")
    server.settle(ends=2)
    run.finish()


@scenario()
def s_burst_under_limit(run):
    """16 clients at once against -c 4 and a rules file: every one is served with its own
    environment (its own TCPREMOTEPORT), the count never passes 4, every child ends with 0."""
    run.rules('127.0.0.1:allow,WHICH="burst"\n:deny\n')
    server = run.start(["-v", "-c", "4", "-x", "rules.cdb"])
    clients = [server.connect() for _ in range(16)]
    own_env = 0
    for c in clients:
        how = c.read_all()
        port = c.sock.getsockname()[1]
        text = c.buf.decode("utf-8", "replace")
        if how == "eof" and "TCPREMOTEPORT=%d\n" % port in text and "WHICH=burst\n" in text:
            own_env += 1
        c.close()
    server.settle(ends=16)
    counts = [int(m.group(1)) for l in server.lines
              for m in [re.match(r"tcpserver: status: (\d+)/4$", l)] if m]
    run.note("clients served with their own env: %d of 16" % own_env)
    run.note("highest status count: %d" % max(counts, default=-1))
    run.note("ok lines: %d" % sum(l.startswith("tcpserver: ok ") for l in server.lines))
    run.note("end lines with status 0: %d" % sum(
        bool(re.match(r"tcpserver: end \d+ status 0$", l)) for l in server.lines))
    run.note("last line: %s" % (server.lines[-1] if server.lines else "none"))
    server.lines = []  # the interleaving of 16 children is not deterministic; summarised above
    run.finish()


def per_ip_limit_expected(_ours):
    """Hand-written: no reference has -C. Format from tcpserver/README.md: the limited
    connection is closed at once, logs one `limit N :LOCALIP:LOCALPORT :REMOTEIP::REMOTEPORT`
    line under -v, gets no status/pid/end lines and does not count against -c."""
    log = "server log: tcpserver: "
    return [
        "A ready: True",
        "B (2nd from 127.0.0.1) closed at once without data: True",
        "C (from 127.0.0.2) ready: True",
        "A: eof",
        "D (127.0.0.1 again, after A left) ready: True",
        "D: eof",
        "C: eof",
        "server: exit 0",
        log + "status: 0/10",
        log + "status: 1/10",
        log + "pid PID1 from 127.0.0.1",
        log + "ok PID1 NAME:127.0.0.1:LPORT :127.0.0.1::RPORT1",
        log + "limit PID2 :127.0.0.1:LPORT :127.0.0.1::RPORT2",
        log + "status: 2/10",
        log + "pid PID3 from 127.0.0.2",
        log + "ok PID3 NAME:127.0.0.1:LPORT :127.0.0.2::RPORT3",
        log + "end PID1 status 0",
        log + "status: 1/10",
        log + "status: 2/10",
        log + "pid PID4 from 127.0.0.1",
        log + "ok PID4 NAME:127.0.0.1:LPORT :127.0.0.1::RPORT4",
        log + "end PID4 status 0",
        log + "status: 1/10",
        log + "end PID3 status 0",
        log + "status: 0/10",
    ]


@scenario(ref=None, ours_only=per_ip_limit_expected)
def s_per_ip_limit_C(run):
    """Our extension `-C 1`: a second connection from one IP is closed at once; another IP,
    and the same IP once its first connection is gone, are served."""
    server = run.start(["-v", "-c", "10", "-C", "1"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    b = server.connect()
    t0 = time.monotonic()
    closed = b.read_all() == "eof" and b.buf == b"" and time.monotonic() - t0 < 1.0
    run.note("B (2nd from 127.0.0.1) closed at once without data: %s" % closed)
    server.wait_log(r"^tcpserver: limit ")
    c = server.connect(source="127.0.0.2")
    run.ready("C (from 127.0.0.2) ready", c)
    server.wait_log(r"^tcpserver: ok ", 2)
    run.release("A", a, b"go\n")
    server.settle(ends=1)
    d = server.connect()
    run.ready("D (127.0.0.1 again, after A left) ready", d)
    run.release("D", d, b"go\n")
    server.settle(ends=2)
    run.release("C", c, b"go\n")
    server.settle(ends=3)
    run.finish()
