#!/usr/bin/env python3
"""Limits set by the rules, as the "tcpserver limits" patch (qmailtoaster's ucspi-tcp) documents
them, against our tcpserver with real clients held open from several loopback addresses.

    rule_limits_test.py --bin DIR

The patch's own examples: `:allow,MAXCONNIP="5"` with -c 50 (a sixth connection from one address
is refused while others still connect), `:allow,MAXCONNC="15"` with -c 200 (15 from one /24, the
16th refused, another /24 served), DIEMSG's 421 line, MAXLOAD; and ours: 0 always refuses, a
value in tcpserver's environment is the default that a rule overrides, a value that is not a
number is a warning and no limit, a refused client's slot is free at once, and the deny line
ends with the flag. Loopback only (127.0.0.0/8 needs no setup on Linux).
"""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import run_parts  # noqa: E402
from child_script import write_child  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402

# Says so, then holds the connection until the client closes it.
CHILD = "#!/bin/sh\necho served\nexec cat >/dev/null\n"
DIEMSG = "421 example.com Service temporarily not available, closing transmission channel"


class Server:
    def __init__(self, bin_dir, work, rules, extra=(), env=None):
        text = os.path.join(work, "rules.txt")
        cdb = os.path.join(work, f"rules-{time.monotonic_ns()}.cdb")
        with open(text, "w") as f:
            f.write(rules)
        with open(text) as f:
            subprocess.run([os.path.join(bin_dir, "tcprules"), cdb, cdb + ".tmp"], stdin=f,
                           check=True)
        self.proc, self.port, self.log = start_tcpserver(
            os.path.join(bin_dir, "tcpserver"), work,
            ["-v", "-1", "-R", "-H", "-l", "x", *extra, "-x", cdb, "127.0.0.1", "0",
             write_child(work, CHILD)], env=env)
        self.held = []

    def connect(self, source):
        """The first line a client from source gets ("" when closed without one); the
        connection is kept open when it was served."""
        s = socket.socket()
        s.settimeout(5)
        s.bind((source, 0))
        s.connect(("127.0.0.1", self.port))
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(200)
            if not chunk:
                break
            data += chunk
        if data == b"served\n":
            self.held.append(s)
        else:
            s.close()
        return data.decode(errors="replace")

    def text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def release_one(self):
        """Closes the oldest held client and waits until tcpserver has seen its child end."""
        ends = self.text().count(" end ")
        self.held.pop(0).close()
        deadline = time.monotonic() + 10
        while self.text().count(" end ") == ends and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self):
        for s in self.held:
            s.close()
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def deny_lines(text, flag):
    return [line for line in text.splitlines()
            if line.startswith("tcpserver: deny ") and line.endswith(" " + flag)]


def per_ip(c, bin_dir, work):
    s = Server(bin_dir, work, ':allow,MAXCONNIP="5"\n', ["-c", "50"])
    try:
        first = [s.connect("127.0.0.1") for _ in range(5)]
        c.check("MAXCONNIP=5: five connections from one address served", first == ["served\n"] * 5,
                first)
        c.check("MAXCONNIP=5: the sixth closed without a child (no DIEMSG: nothing written)",
                s.connect("127.0.0.1") == "")
        c.check("MAXCONNIP=5: another address still served", s.connect("127.0.0.2") == "served\n")
        c.check("MAXCONNIP=5: the refusal's deny line ends with MAXCONNIP:5",
                len(deny_lines(s.text(), "MAXCONNIP:5")) == 1, s.text()[-1500:])
        s.release_one()
        c.check("MAXCONNIP=5: served again once one of the five has ended",
                s.connect("127.0.0.1") == "served\n")
    finally:
        s.stop()


def per_network(c, bin_dir, work):
    s = Server(bin_dir, work, f':allow,MAXCONNC="15",DIEMSG="{DIEMSG}"\n', ["-c", "200"])
    try:
        first = [s.connect(f"127.0.0.{n}") for n in range(1, 16)]
        c.check("MAXCONNC=15: 15 connections from 15 addresses of one /24 served",
                first == ["served\n"] * 15, first)
        c.check("MAXCONNC=15: the 16th, from a new address of that /24, gets DIEMSG and CRLF",
                s.connect("127.0.0.16") == DIEMSG + "\r\n")
        c.check("MAXCONNC=15: another /24 still served", s.connect("127.0.1.1") == "served\n")
        c.check("MAXCONNC=15: the refusal's deny line ends with MAXCONNC:15",
                len(deny_lines(s.text(), "MAXCONNC:15")) == 1, s.text()[-1500:])
    finally:
        s.stop()


def zero_load_default_and_bad(c, bin_dir, work):
    rules = ('127.0.0.3:allow,MAXCONNIP="0",DIEMSG="421 no"\n'
             '127.0.0.4:allow,MAXLOAD="0"\n'
             '127.0.0.5:allow,MAXLOAD="100000"\n'
             '127.0.0.6:allow,MAXCONNIP="five"\n'
             '127.0.0.9:allow,MAXCONNIP="3"\n'
             ':allow\n')
    env = dict(os.environ, MAXCONNIP="1")
    s = Server(bin_dir, work, rules, env=env)
    try:
        c.check("MAXCONNIP=0 always refuses", s.connect("127.0.0.3") == "421 no\r\n")
        c.check("MAXLOAD=0 refuses (no load is below 0.00), deny line flagged LOAD:",
                s.connect("127.0.0.4") == "" and any(" LOAD:" in line for line in
                                                     s.text().splitlines()), s.text()[-800:])
        c.check("MAXLOAD=100000 (a load of 1000) serves", s.connect("127.0.0.5") == "served\n")
        answers = [s.connect("127.0.0.1") for _ in range(2)]
        c.check("MAXCONNIP=1 from tcpserver's environment applies where no rule sets one",
                answers == ["served\n", ""], answers)
        answers = [s.connect("127.0.0.9") for _ in range(4)]
        c.check("a rule's MAXCONNIP=3 overrides the environment's 1",
                answers == ["served\n"] * 3 + [""], answers)
        answers = [s.connect("127.0.0.6") for _ in range(2)]
        c.check("MAXCONNIP=five: a warning, and no per-address limit (not even the environment's)",
                answers == ["served\n"] * 2 and
                "tcpserver: warning: MAXCONNIP=five is not a number: that limit is not applied"
                in s.text(), (answers, s.text()[-800:]))
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(run_parts(per_ip, per_network, zero_load_default_and_bad))
