#!/usr/bin/env python3
"""-r (ident, RFC 1413) against djb's tcpserver, with a scripted identd on 127.0.0.1:113.

    ident_diff.py --ours BIN --reference BIN

For each reply the identd gives, both servers (-v -1 -H -r -t 2 -l NAME) must show the child
the same TCPREMOTEINFO and log the same ok line (pid and ports masked). Then ours alone: an
identd that accepts and never answers must not hold up other clients: with -t 2, a second
client whose ident is answered at once is served while the first still waits.
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


class Identd:
    """Answers each query with reply; hold_first keeps the first connection silent."""

    def __init__(self, reply, hold_first=False):
        self.reply, self.hold_first = reply, hold_first
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 113))
        self.sock.listen(16)
        self.held = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.hold_first and not self.held:
                self.held.append(conn)
                continue
            try:
                conn.recv(100)
                conn.sendall(self.reply)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        for c in self.held:
            c.close()
        self.sock.close()


def check_reply(checks, reply, ours, reference, workdir):
    identd = Identd(reply)
    try:
        mine, theirs = [serve_one_client(binary, OPTS, CHILD, workdir)
                        for binary in (ours, reference)]
    finally:
        identd.close()
    if checks.check(f"ident reply {reply[:40]!r}", mine == theirs,
                    f"\n  ours      {mine}\n  reference {theirs}"):
        print(f"     {mine[0][:60]!r}")


def check_silent_identd(checks, ours, workdir):
    """The parent never waits for ident: a silent identd holds one client, not the next."""
    identd = Identd(b"1 , 2 : USERID : UNIX : second\r\n", hold_first=True)
    server = Run("ours", ours, None, workdir).start(OPTS, lookups=False, program=CHILD)
    try:
        first = {}
        t = threading.Thread(target=lambda: first.setdefault("out", server.fetch()))
        started = time.monotonic()
        t.start()
        time.sleep(0.3)
        second = server.fetch()
        second_after = time.monotonic() - started
        t.join()
        first_after = time.monotonic() - started
    finally:
        server.kill_all()
        identd.close()
    ok = (second == "TCPREMOTEINFO=second\n" and second_after < 1.5 and
          first.get("out") == "TCPREMOTEINFO=unset\n" and 1.5 < first_after < 5)
    timing = f"second served after {second_after:.2f} s, first after {first_after:.2f} s"
    checks.check(f"a silent identd delays only its own client ({timing}, -t 2)", ok,
                 f"second {second!r}, first {first.get('out')!r}")


def main():
    a = ours_and_reference(__doc__.split("\n")[0])
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="ident-diff.") as work:
        for reply in REPLIES:
            check_reply(checks, reply, a.ours, a.reference, work)
        check_silent_identd(checks, a.ours, work)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
