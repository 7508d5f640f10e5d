#!/usr/bin/env python3
"""-r (ident, RFC 1413) against djb's tcpserver, with a scripted identd on 127.0.0.1:113.

    ident_diff.py --ours BIN --reference BIN

For each reply the identd gives, both servers (-v -1 -H -r -t 2 -l NAME) must show the child
the same TCPREMOTEINFO and log the same ok line (pid and ports masked), with no raw control
byte in any log line: plain replies, then hostile ones (dripped a byte at a time, 10 KB without
a newline, NULs, control bytes and newlines inside, a reply after the timeout). Then ours
alone: an identd that accepts and never answers, or drips, must not hold up other clients:
with -t 2, a second client whose ident is answered at once is served while the first still
waits.
Needs root (port 113). Prints "N passed, N failed".
"""
import os
import socket
import sys
import tempfile
import threading
import time

from harness import Run, child, ours_and_reference, serve_one_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from checks import Checks  # noqa: E402

OPTS = ["-v", "-H", "-r", "-t", "2", "-l", "NAME"]
CHILD = child("vars", "TCPREMOTEINFO")

REPLIES = [
    b"1 , 2 : USERID : UNIX : j o:e\r\n",  # blanks dropped, later colons kept
    b"ERROR : NO-USER\r\n",                 # set, but empty
    b"no newline at all",                   # unset
    b"1,2:USERID:UNIX:" + b"x" * 300 + b"\r\n",  # cut after 257 bytes
    b"",                                    # closed at once: unset
]

# A hostile identd, each compared with djb's: (title, reply, Identd options). The ok line
# shows the user id through djb's safecats ('?' for control bytes, 100 bytes then "..."); the
# child gets it raw, up to a NUL.
HOSTILE = [
    ("a reply dripped one byte every 50 ms, complete within -t 2",
     b"1,2:USERID:UNIX:drip\r\n", {"drip": 0.05}),
    ("a 10 KB reply without a newline, then EOF (257 bytes kept)",
     b"1,2:USERID:UNIX:" + b"z" * 10240, {}),
    ("a 10 KB reply without a newline, held open (257 bytes kept)",
     b"1,2:USERID:UNIX:" + b"z" * 10240, {"hold": True}),
    ("10 KB without a colon or a newline, then EOF", b"y" * 10240, {}),
    ("a NUL, control bytes and a newline inside, more data after",
     b"1,2:USERID:UNIX:a\x00b\x01c\x1bd\nUSERID:more\r\n", {}),
    ("control, DEL and 8-bit bytes, a newline, more data after",
     b"1,2:USERID:UNIX:a\x01b\x1bc\x7fd\xffe\x0bf\nUSERID:more\r\n", {}),
    ("a reply that comes 0.7 s after -t 2 ran out", b"1,2:USERID:UNIX:late\r\n",
     {"delay": 2.7}),
]


class Identd:
    """Answers each query with reply, each connection in a thread of its own. drip: seconds
    between the reply's bytes; delay: seconds before it; hold: the connection is kept open
    after it (until close()). first: the first connection only is treated so ("silent": never
    answered, "drip": dripped), the others answered at once."""

    def __init__(self, reply, drip=0, delay=0, hold=False, first=None):
        self.reply, self.drip, self.delay, self.hold, self.first = reply, drip, delay, hold, first
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 113))
        self.sock.listen(16)
        self.conns = []
        self.workers = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            special = self.first is not None and not self.conns
            self.conns.append(conn)
            if special and self.first == "silent":
                continue
            drip = self.drip if not special else 0.04
            worker = threading.Thread(target=self.answer, daemon=True,
                                      args=(conn, drip, self.delay, self.hold and not special))
            worker.start()
            self.workers.append(worker)

    def answer(self, conn, drip, delay, hold):
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.recv(100)
            if delay and self.stop.wait(delay):
                return
            if drip:
                for i in range(len(self.reply)):
                    conn.sendall(self.reply[i:i + 1])
                    if self.stop.wait(drip):
                        return
            else:
                conn.sendall(self.reply)
            if hold:
                self.stop.wait(10)
            conn.shutdown(socket.SHUT_RDWR)  # EOF now, as a closed identd
        except OSError:
            pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for w in self.workers:
            w.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


def check_reply(checks, title, reply, ours, reference, workdir, **how):
    results = []
    for binary in (ours, reference):
        identd = Identd(reply, **how)
        try:
            started = time.monotonic()
            results.append((*serve_one_client(binary, OPTS, CHILD, workdir),
                            time.monotonic() - started))
        finally:
            identd.close()
    mine, theirs = results
    # Both served, the same way, and no raw control byte in either log.
    if checks.check(title, mine[:3] == theirs[:3] and bool(mine[0]) and not mine[2] and
                    not theirs[2], f"\n  ours      {mine}\n  reference {theirs}"):
        print(f"     {mine[0][:70]!r} in {mine[3]:.2f} s (djb's {theirs[3]:.2f} s)")
        print(f"     {' '.join(mine[1])[:150]}")


def check_other_client(checks, ours, workdir, first, title):
    """The parent never waits for ident: an identd that is silent, or drips, for the first
    client holds that client only; a second client whose ident is answered at once is served
    while the first still waits."""
    identd = Identd(b"1 , 2 : USERID : UNIX : second\r\n", first=first)
    server = Run("ours", ours, None, workdir).start(OPTS, lookups=False, program=CHILD)
    try:
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("first", server.fetch()))
        started = time.monotonic()
        t.start()
        time.sleep(0.3)
        second = server.fetch()
        second_after = time.monotonic() - started
        first_waiting = "first" not in out
        t.join()
        first_after = time.monotonic() - started
    finally:
        server.kill_all()
        identd.close()
    # Silent: the first gets no TCPREMOTEINFO after -t 2. Dripped (34 bytes, one every
    # 40 ms): the first gets the user id, ~1.3 s after it came.
    if first == "silent":
        want, slowest, fastest = "TCPREMOTEINFO=unset\n", 1.5, 5
    else:
        want, slowest, fastest = "TCPREMOTEINFO=second\n", 1.0, 2.5
    ok = (second == "TCPREMOTEINFO=second\n" and second_after < 1.5 and first_waiting and
          out.get("first") == want and slowest < first_after < fastest)
    timing = f"second served after {second_after:.2f} s, first after {first_after:.2f} s"
    checks.check(f"{title} ({timing}, -t 2)", ok,
                 f"second {second!r}, first {out.get('first')!r}, first waiting then "
                 f"{first_waiting}")


def main():
    a = ours_and_reference(__doc__.split("\n")[0])
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="ident-diff.") as work:
        for reply in REPLIES:
            check_reply(checks, f"ident reply {reply[:40]!r}", reply, a.ours, a.reference, work)
        for title, reply, how in HOSTILE:
            check_reply(checks, title, reply, a.ours, a.reference, work, **how)
        check_other_client(checks, a.ours, work, "silent",
                           "a silent identd delays only its own client")
        check_other_client(checks, a.ours, work, "drip",
                           "an identd dripping one byte every 40 ms delays only its own client")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
