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
import struct
import subprocess
import sys
import tempfile
import threading
import time

CHILD = ("#!/bin/sh\necho \"TCPLOCALHOST=${TCPLOCALHOST-unset}\"\n"
         "echo \"TCPREMOTEHOST=${TCPREMOTEHOST-unset}\"\n")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(packet):
    pos, labels = 12, []
    while packet[pos]:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode().lower())
        pos += 1 + n
    qtype, _ = struct.unpack(">HH", packet[pos + 1:pos + 5])
    return ".".join(labels), qtype, packet[12:pos + 5]


class FakeDns:
    """ptr: name for 1.0.0.127.in-addr.arpa (None: NXDOMAIN); a: address for that name."""

    def __init__(self, ptr, a):
        self.ptr, self.a = ptr, a
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.1)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, packet):
        name, qtype, question = parse_question(packet)
        records = []
        if qtype == 12 and name == "1.0.0.127.in-addr.arpa" and self.ptr:
            records.append((12, encode_name(self.ptr)))
        elif qtype == 1 and self.ptr and name == self.ptr.rstrip(".").lower() and self.a:
            records.append((1, socket.inet_aton(self.a)))
        rcode = 0 if records or (self.ptr and name == self.ptr.rstrip(".").lower()) else 3
        header = packet[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, len(records), 0, 0)
        body = b"".join(struct.pack(">HHHIH", 0xC00C, t, 1, 60, len(d)) + d for t, d in records)
        return header + question + body

    def serve(self):
        while not self.stop:
            try:
                packet, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            try:
                self.sock.sendto(self.answer(packet), peer)
            except (IndexError, struct.error, UnicodeDecodeError):
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


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
