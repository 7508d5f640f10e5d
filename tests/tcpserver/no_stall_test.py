#!/usr/bin/env python3
"""No client can stall another: PTR and -p forward lookups for one address never delay the
decision for another address.

    no_stall_test.py --bin DIR

A scripted DNS server on 127.54.0.1:53 (named by DNSCACHEIP, as djb's resolver and ours
honour it) never answers the PTR query for 127.0.0.66, nor the A query of the name it gives
127.0.0.68, and answers everything else at once. tcpserver runs as a vpopmail-style run file
has it, with remote and local name lookups on (no -H, no -l). 200 connections from 127.0.0.66
(or 127.0.0.68 with -p) are held open waiting for their lookups; then a client from 127.0.0.67
must be served while every one of the 200 is still waiting, each of which must in turn be
served (without a name) once its own lookup times out. Needs root (port 53); loopback only.
Prints one line per check and "N passed, N failed".
"""
import argparse
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402
from scripted_dns import (RCODE_NXDOMAIN, TYPE_A, TYPE_PTR, ScriptedDns,  # noqa: E402
                          encode_name, response)

DNS_IP = "127.54.0.1"
STUCK = 200
CHILD = "#!/bin/sh\necho \"TCPREMOTEHOST=${TCPREMOTEHOST-unset}\"\n"


class StallingDns(ScriptedDns):
    """PTR: 66 never answered, 67 -> fast.test, 68 -> slow.test, anything else NXDOMAIN.
    A: slow.test never answered, fast.test -> 127.0.0.67."""

    NEVER = {("66.0.0.127.in-addr.arpa", TYPE_PTR), ("slow.test", TYPE_A)}
    PTR = {"67.0.0.127.in-addr.arpa": "fast.test", "68.0.0.127.in-addr.arpa": "slow.test"}

    def __init__(self):
        self.unanswered = 0
        super().__init__(DNS_IP)

    def answer(self, name, qtype, packet, question):
        if (name, qtype) in self.NEVER:
            self.unanswered += 1
            return None
        records = []
        if qtype == TYPE_PTR and name in self.PTR:
            records.append((TYPE_PTR, encode_name(self.PTR[name])))
        elif qtype == TYPE_A and name == "fast.test":
            records.append((TYPE_A, socket.inet_aton("127.0.0.67")))
        return response(packet, question, records, 0 if records else RCODE_NXDOMAIN)


def start_server(bin_dir, work, flags):
    env = dict(os.environ, DNSCACHEIP=DNS_IP)
    return start_tcpserver(os.path.join(bin_dir, "tcpserver"), work,
                           ["-1", "-R", "-c", "400", *flags, "127.0.0.1", "0",
                            os.path.join(work, "child.sh")], env=env)


def connect_from(source, port):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def answered(s):
    """Whether the server has done anything with this connection yet (data or close)."""
    try:
        s.recv(1, socket.MSG_PEEK)
        return True
    except BlockingIOError:
        return False


def read_all(s, timeout):
    s.setblocking(True)
    s.settimeout(timeout)
    data = b""
    try:
        while chunk := s.recv(4096):
            data += chunk
    except socket.timeout:
        return None
    return data.decode(errors="replace")


def scenario(c, bin_dir, work, dns, title, stuck_source, flags):
    proc, port, log = start_server(bin_dir, work, flags)
    held = []
    try:
        before = dns.unanswered
        held = [connect_from(stuck_source, port) for _ in range(STUCK)]
        deadline = time.monotonic() + 10
        while dns.unanswered == before and time.monotonic() < deadline:
            time.sleep(0.05)
        c.check(f"{title}: the lookups for {stuck_source} reached the DNS server and hang",
                dns.unanswered > before)
        time.sleep(0.5)  # every held connection is accepted and waiting
        fast = connect_from("127.0.0.67", port)
        env = read_all(fast, 30)
        waiting = sum(1 for s in held if not answered(s))
        c.check(f"{title}: 127.0.0.67 is served with its name while {waiting} of {STUCK} "
                f"connections from {stuck_source} wait for theirs",
                env is not None and "TCPREMOTEHOST=fast.test" in env and waiting == STUCK,
                f"env {env!r}, waiting {waiting}")
        fast.close()
        c.check(f"{title}: the {STUCK} held connections cost {dns.unanswered - before} "
                "unanswered queries (one question in flight, not one per connection)",
                dns.unanswered - before < STUCK // 4, dns.unanswered - before)
        served = [read_all(s, 60) for s in held]
        unnamed = sum(1 for e in served if e is not None and "TCPREMOTEHOST=unset" in e)
        c.check(f"{title}: each held connection is served without a name once its lookup "
                f"times out ({unnamed} of {STUCK})", unnamed == STUCK)
    finally:
        for s in held:
            s.close()
        proc.kill()
        proc.wait()
        log.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    a = p.parse_args()
    if os.geteuid() != 0:
        print("FAIL no_stall_test needs root: its DNS server binds port 53")
        return 1
    work = tempfile.mkdtemp(prefix="no-stall.")
    child = os.path.join(work, "child.sh")
    with open(child, "w") as f:
        f.write(CHILD)
    os.chmod(child, 0o755)
    c = Checks()
    dns = StallingDns()
    try:
        scenario(c, a.bin, work, dns, "PTR", "127.0.0.66", [])
        scenario(c, a.bin, work, dns, "-p forward", "127.0.0.68", ["-p"])
    finally:
        dns.close()
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
