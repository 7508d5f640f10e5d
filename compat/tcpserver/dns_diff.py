#!/usr/bin/env python3
"""-h, -p and the local PTR lookup against djb's tcpserver, with a scripted DNS server on
127.0.0.1:53 (UDP) named by DNSCACHEIP, as djb's resolver and ours both honour it.

    dns_diff.py --ours BIN --reference BIN

The server answers PTR queries for 127.0.0.1 with a mixed-case name and A queries for that name
with a configurable address. Both tcpservers (-v -1 -R, DNSCACHEIP=127.0.0.1) must show the child
the same TCPLOCALHOST / TCPREMOTEHOST and log the same ok line. No query ever leaves loopback.
Needs root (port 53). Prints "N passed, N failed".
"""
import os
import socket
import sys
import tempfile

from harness import child, ours_and_reference, serve_one_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from checks import Checks  # noqa: E402
from scripted_dns import (RCODE_NXDOMAIN, TC, TYPE_A, TYPE_PTR, ScriptedDns,  # noqa: E402
                          encode_labels, encode_name, response)


class FakeDns(ScriptedDns):
    """ptr: name for 1.0.0.127.in-addr.arpa, as text or as raw wire labels (a list of bytes);
    None: NXDOMAIN. a: address for a name given as text. how: "" answers; "tcp" answers UDP
    truncated (TC, no records) and the whole over TCP."""

    def __init__(self, ptr, a, how=""):
        self.ptr, self.a, self.how = ptr, a, how
        super().__init__("127.0.0.1")

    def answer_tcp(self, name, qtype, packet, question):
        return self.whole_answer(name, qtype, packet, question)

    def answer(self, name, qtype, packet, question):
        if self.how == "tcp":
            return response(packet, question, [], 0, TC)
        return self.whole_answer(name, qtype, packet, question)

    def whole_answer(self, name, qtype, packet, question):
        records = []
        raw = isinstance(self.ptr, list)
        named = self.ptr and not raw and name == self.ptr.rstrip(".").lower()
        if qtype == TYPE_PTR and name == "1.0.0.127.in-addr.arpa" and self.ptr:
            records.append((TYPE_PTR, encode_labels(self.ptr) if raw else encode_name(self.ptr)))
        elif qtype == TYPE_A and named and self.a:
            records.append((TYPE_A, socket.inet_aton(self.a)))
        return response(packet, question, records, 0 if records or named else RCODE_NXDOMAIN)


CHILD = child("vars", "TCPLOCALHOST", "TCPREMOTEHOST")

SCENARIOS = [
    ("-h: the PTR name, lowercased", ["-h", "-l", "NAME"], "Host.Example.", "127.0.0.1"),
    ("local PTR without -l", ["-H"], "Host.Example.", "127.0.0.1"),
    ("-h -p: forward lookup agrees", ["-h", "-p", "-l", "NAME"], "host.example.", "127.0.0.1"),
    ("-h -p: forward lookup disagrees", ["-h", "-p", "-l", "NAME"], "host.example.", "127.0.0.9"),
    ("-h: no PTR record", ["-h", "-l", "NAME"], None, None),
    ("-h -P: no forward check", ["-h", "-P", "-l", "NAME"], "host.example.", "127.0.0.9"),
    # A hostile name server: control bytes, ':' and blanks in a label reach the child escaped
    # exactly as djb's (a\012b\015c\033d\072f\040g\007.example.com), never raw.
    ("-h: a PTR label with CR, LF, ESC, ':' and blanks, escaped as djb's", ["-h", "-l", "NAME"],
     [b"a\nb\rc\x1bd:f g\x07", b"Example", b"com"], None),
    ("-h: PTR labels with every other byte djb escapes", ["-h", "-l", "NAME"],
     [bytes(range(1, 30)), b"!\"#$%&'()*+,/;<=>?@[\\]^`{|}~\x7f\x80\xff"], None),
    # A NUL or a dot inside a label is part of the label (\000, \056), never the name's end
    # or a label boundary: "evil.com\0" under x must not read as evil.com.
    ("-h: a PTR label holding a dot and a NUL", ["-h", "-l", "NAME"],
     [b"evil.com\x00", b"x"], None),
    ("-h: a PTR label holding a NUL in the middle", ["-h", "-l", "NAME"],
     [b"a\x00e", b"example", b"com"], None),
    ("-h: a PTR name of 247 bytes", ["-h", "-l", "NAME"], [b"a" * 60] * 4, None),
    # djb's dns_ip4 reads a name of digits and dots as addresses and asks no DNS for it: such
    # a PTR confirms itself under -p (mod 256 per byte, whole groups of four only).
    ("-h -p: a numeric PTR name that is the client", ["-h", "-p", "-l", "NAME"],
     [b"127", b"0", b"0", b"1"], None),
    ("-h -p: a numeric PTR name, each byte mod 256", ["-h", "-p", "-l", "NAME"],
     [b"383", b"0", b"256", b"1"], None),
    ("-h -p: a numeric PTR name of five bytes", ["-h", "-p", "-l", "NAME"],
     [b"127", b"0", b"0", b"1", b"9"], None),
    ("-h -p: a numeric PTR name of three bytes", ["-h", "-p", "-l", "NAME"],
     [b"127", b"0", b"1"], None),
    ("-h -p: a numeric PTR name of another address", ["-h", "-p", "-l", "NAME"],
     [b"10", b"0", b"0", b"1"], None),
    ("-h: a PTR answer truncated over UDP, whole over TCP", ["-h", "-l", "NAME"],
     "tcp.example.", None, "tcp"),
]


def seen(binary, flags, workdir):
    """What the child saw of the host names, and the ok line that logs them."""
    return serve_one_client(binary, ["-v", "-R", *flags], CHILD, workdir)


def main():
    a = ours_and_reference(__doc__.split("\n")[0])
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="dns-diff.") as work:
        for title, flags, ptr, addr, *how in SCENARIOS:
            dns = FakeDns(ptr, addr, *how)
            try:
                ours, theirs = seen(a.ours, flags, work), seen(a.reference, flags, work)
            finally:
                dns.close()
            if checks.check(title, ours == theirs and bool(ours[0]),
                            f"\n  ours      {ours}\n  reference {theirs}"):
                print("     " + ours[0].strip().replace("\n", " "))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
