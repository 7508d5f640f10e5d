#!/usr/bin/env python3
"""-h, -p and the local PTR lookup against djb's tcpserver, with a scripted DNS server on
127.0.0.1:53 (UDP) named by DNSCACHEIP, as djb's resolver and ours both honour it.

    dns_diff.py --ours BIN --reference BIN

The server answers PTR queries for 127.0.0.1 with a mixed-case name and A queries for that name
with a configurable address. Both tcpservers (-v -1 -R, DNSCACHEIP=127.0.0.1) must show the child
the same TCPLOCALHOST / TCPREMOTEHOST and log the same ok line. No query ever leaves loopback.
Needs root (port 53). Prints "N passed, N failed".
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from scripted_dns import (RCODE_NXDOMAIN, TYPE_A, TYPE_PTR, ScriptedDns,  # noqa: E402
                          encode_name, response)

CHILD = ("#!/bin/sh\necho \"TCPLOCALHOST=${TCPLOCALHOST-unset}\"\n"
         "echo \"TCPREMOTEHOST=${TCPREMOTEHOST-unset}\"\n")


class FakeDns(ScriptedDns):
    """ptr: name for 1.0.0.127.in-addr.arpa (None: NXDOMAIN); a: address for that name."""

    def __init__(self, ptr, a):
        self.ptr, self.a = ptr, a
        super().__init__("127.0.0.1")

    def answer(self, name, qtype, packet, question):
        records = []
        named = self.ptr and name == self.ptr.rstrip(".").lower()
        if qtype == TYPE_PTR and name == "1.0.0.127.in-addr.arpa" and self.ptr:
            records.append((TYPE_PTR, encode_name(self.ptr)))
        elif qtype == TYPE_A and named and self.a:
            records.append((TYPE_A, socket.inet_aton(self.a)))
        return response(packet, question, records, 0 if records or named else RCODE_NXDOMAIN)


def run(binary, flags, work):
    env = dict(os.environ, DNSCACHEIP="127.0.0.1")
    log = open(os.path.join(work, f"log-{time.monotonic_ns()}"), "w+b")
    proc = subprocess.Popen([binary, "-v", "-1", "-R", *flags, "127.0.0.1", "0",
                             os.path.join(work, "child.sh")], stdout=subprocess.PIPE,
                            stderr=log, env=env, start_new_session=True)
    try:
        port = int(proc.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            data = b""
            while chunk := s.recv(4096):
                data += chunk
    finally:
        time.sleep(0.2)
        proc.kill()
        proc.wait()
    log.seek(0)
    text = log.read().decode(errors="replace")
    log.close()
    ok = [re.sub(r" \d+ ", " PID ", re.sub(r":\d+", ":PORT", l)) for l in text.splitlines() if " ok " in l]
    return data.decode(errors="replace"), ok


SCENARIOS = [
    ("-h: the PTR name, lowercased", ["-h", "-l", "NAME"], "Host.Example.", "127.0.0.1"),
    ("local PTR without -l", ["-H"], "Host.Example.", "127.0.0.1"),
    ("-h -p: forward lookup agrees", ["-h", "-p", "-l", "NAME"], "host.example.", "127.0.0.1"),
    ("-h -p: forward lookup disagrees", ["-h", "-p", "-l", "NAME"], "host.example.", "127.0.0.9"),
    ("-h: no PTR record", ["-h", "-l", "NAME"], None, None),
    ("-h -P: no forward check", ["-h", "-P", "-l", "NAME"], "host.example.", "127.0.0.9"),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ours", required=True)
    p.add_argument("--reference", required=True)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="dns-diff.")
    child = os.path.join(work, "child.sh")
    with open(child, "w") as f:
        f.write(CHILD)
    os.chmod(child, 0o755)
    passed = failed = 0
    for title, flags, ptr, addr in SCENARIOS:
        dns = FakeDns(ptr, addr)
        try:
            ours, theirs = run(a.ours, flags, work), run(a.reference, flags, work)
        finally:
            dns.close()
        if ours == theirs and ours[0]:
            passed += 1
            print(f"ok   {title}: {ours[0].strip().replace(chr(10), ' ')}")
        else:
            failed += 1
            print(f"FAIL {title}:\n  ours      {ours}\n  reference {theirs}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
