#!/usr/bin/env python3
"""-h, -p and the local PTR lookup against djb's tcpserver, with a scripted DNS server on
127.55.0.1:53 (UDP and TCP) named by DNSCACHEIP, as djb's resolver and ours both honour it.

    dns_diff.py --ours BIN --reference BIN

The server answers PTR queries for 127.0.0.1 with a mixed-case name and A queries for that name
with a configurable address; then, as a hostile or merely unusual server would, with CNAME
chains (RFC 2317), CNAME loops, several PTRs, 10 KB answers over TCP and TCP answers dripped a
few bytes at a time; and with hostile packets: answers cut short without TC, replies without
QR, owners that point nowhere, rdlengths past the end, 983 and 984 chained pointers, UDP replies
over 512 bytes. Both tcpservers (-v -1 -R, DNSCACHEIP=127.55.0.1) must show the child the
same TCPLOCALHOST / TCPREMOTEHOST and log the same ok line, and no log line of either may hold
a raw control byte. Then ours alone: a client whose PTR answer drips, or never comes, holds up
no other client. No query ever leaves loopback. Needs root (port 53). The server's address
is its own: the other tests' tcpservers send stray lookups to 127.0.0.1, so this one runs
beside them. Prints "N passed, N failed".
"""
import os
import socket
import struct
import sys
import tempfile
import threading
import time

from harness import WAIT, Run, child, ours_and_reference, serve_one_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from checks import Checks  # noqa: E402
from scripted_dns import (RCODE_NXDOMAIN, TC, TYPE_A, TYPE_CNAME, TYPE_PTR,  # noqa: E402
                          ScriptedDns, encode_labels, encode_name, response)

DNS_IP = "127.55.0.1"
DNS_ENV = {"DNSCACHEIP": DNS_IP}


class FakeDns(ScriptedDns):
    """ptr: name for 1.0.0.127.in-addr.arpa, as text or as raw wire labels (a list of bytes);
    None: NXDOMAIN. a: address for a name given as text. how: "" answers; "tcp" answers UDP
    truncated (TC, no records) and the whole over TCP."""

    def __init__(self, ptr, a, how=""):
        self.ptr, self.a, self.how = ptr, a, how
        super().__init__(DNS_IP)

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


PTR1 = "1.0.0.127.in-addr.arpa"       # the question for the client 127.0.0.1
PTR2 = "2.0.0.127.in-addr.arpa"       # and for 127.0.0.2, the other client of the stall checks
CLASSLESS = "1.0/25.0.0.127.in-addr.arpa"  # RFC 2317: where a /25's owner keeps its PTRs


def rr(owner, rtype, value):
    """A record owned by `owner` (text): value is a name (PTR, CNAME) or an address (A)."""
    return (encode_name(owner), rtype,
            socket.inet_aton(value) if rtype == TYPE_A else encode_name(value))


class ZoneDns(ScriptedDns):
    """Answers from a table {(name, qtype): [records as rr() makes them]}, NXDOMAIN for the rest.
    tcp: True, or the names so answered: over UDP the whole answer's first 512 bytes with TC
    set, over TCP the whole. drip (bytes, seconds): a TCP reply goes out that many bytes at a
    time. silent: the names never answered at all."""

    def __init__(self, table, tcp=(), drip=None, silent=()):
        self.table, self.tcp_names, self.drip, self.silent = table, tcp, drip, silent
        super().__init__(DNS_IP)

    def whole(self, name, qtype, packet, question, flags=0):
        if name in self.silent:
            return None
        records = self.table.get((name, qtype))
        if records is None:
            return response(packet, question, [], RCODE_NXDOMAIN, flags)
        return response(packet, question, records, 0, flags)

    def answer(self, name, qtype, packet, question):
        if self.tcp_names is True or name in self.tcp_names:
            cut = self.whole(name, qtype, packet, question, TC)
            return cut and cut[:512]
        return self.whole(name, qtype, packet, question)

    def answer_tcp(self, name, qtype, packet, question):
        return self.whole(name, qtype, packet, question)

    def send_tcp(self, conn, data):
        if not self.drip:
            return conn.sendall(data)
        step, pause = self.drip
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), step):
            conn.sendall(data[i:i + step])
            time.sleep(pause)


# 150 PTR records of 55 bytes each: a 10 KB answer, the first of which names the client.
MANY = [rr(PTR1, TYPE_PTR, f"Host{i:03d}-{'x' * 40}.Example.") for i in range(150)]
DRIP = (3, 0.08)  # a reply of ~70 bytes takes ~2 s: well inside djb's 10 s for a TCP answer

# (title, flags, table, ZoneDns options)
ZONE_SCENARIOS = [
    ("-h: a PTR through a CNAME (RFC 2317 classless delegation)", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_CNAME, CLASSLESS),
                         rr(CLASSLESS, TYPE_PTR, "Classless.Example.")]}, {}),
    ("-h -p: a PTR through a CNAME, confirmed", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_CNAME, CLASSLESS),
                         rr(CLASSLESS, TYPE_PTR, "classless.example.")],
      ("classless.example", TYPE_A): [rr("classless.example", TYPE_A, "127.0.0.1")]}, {}),
    ("-h: a CNAME loop and no PTR", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_CNAME, CLASSLESS), rr(CLASSLESS, TYPE_CNAME, PTR1)],
      (CLASSLESS, TYPE_PTR): [rr(CLASSLESS, TYPE_CNAME, PTR1), rr(PTR1, TYPE_CNAME, CLASSLESS)]},
     {}),
    ("-h: a CNAME only, no PTR", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_CNAME, CLASSLESS)]}, {}),
    ("-h: three PTR records, the first taken", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, n) for n in ("First.Example.", "second.example.",
                                                          "third.example.")]}, {}),
    # -p checks the name it will set, the first PTR, and no other: here only the second agrees.
    ("-h -p: three PTR records, the first checked (it disagrees)", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, n) for n in ("first.example.", "second.example.")],
      ("first.example", TYPE_A): [rr("first.example", TYPE_A, "127.0.0.9")],
      ("second.example", TYPE_A): [rr("second.example", TYPE_A, "127.0.0.1")]}, {}),
    ("-h: a 10 KB answer, UDP truncated, 150 PTRs over TCP", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): MANY}, {"tcp": True}),
    ("-h -p: a 10 KB PTR answer over TCP, confirmed", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): MANY,
      (f"host000-{'x' * 40}.example", TYPE_A): [rr(f"host000-{'x' * 40}.example", TYPE_A,
                                                   "127.0.0.1")]}, {"tcp": True}),
    ("-h -p: the A answer through a CNAME, confirmed", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, "alias.example.")],
      ("alias.example", TYPE_A): [rr("alias.example", TYPE_CNAME, "real.example."),
                                  rr("real.example", TYPE_A, "127.0.0.1")]}, {}),
    ("-h -p: the A answer through a CNAME chain, another address", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, "alias.example.")],
      ("alias.example", TYPE_A): [rr("alias.example", TYPE_CNAME, "mid.example."),
                                  rr("mid.example", TYPE_CNAME, "real.example."),
                                  rr("real.example", TYPE_A, "127.0.0.9")]}, {}),
    ("-h: a TCP answer dripped 3 bytes every 80 ms", ["-h", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, "Dripped.Example.")]}, {"tcp": True, "drip": DRIP}),
    ("-h -p: PTR and A answers both dripped over TCP", ["-h", "-p", "-l", "NAME"],
     {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, "dripped.example.")],
      ("dripped.example", TYPE_A): [rr("dripped.example", TYPE_A, "127.0.0.1")]},
     {"tcp": True, "drip": DRIP}),
]



class PacketDns(ScriptedDns):
    """Replies built byte by byte: udp(n, qtype, packet, question) for the n-th UDP question
    (from 1), tcp(qtype, packet, question) for one over TCP; either may return None."""

    def __init__(self, udp, tcp=None):
        self.udp, self.tcp_reply, self.n = udp, tcp, 0
        super().__init__(DNS_IP)

    def answer(self, name, qtype, packet, question):
        self.n += 1
        return self.udp(self.n, qtype, packet, question)

    def answer_tcp(self, name, qtype, packet, question):
        return self.tcp_reply(qtype, packet, question) if self.tcp_reply else None


def ptrs(packet, question, *names, flags=0):
    return response(packet, question, [rr(PTR1, TYPE_PTR, n) for n in names], 0, flags)


def with_header(reply, flags=None, answers=None):
    """reply with its flags word or answer count replaced."""
    if flags is not None:
        reply = reply[:2] + struct.pack(">H", flags) + reply[4:]
    if answers is not None:
        reply = reply[:6] + struct.pack(">H", answers) + reply[8:]
    return reply


def chained(packet, question, hops):
    """A PTR answer whose name, chain.example, is reached through hops + 1 pointers, each to the
    one before, kept in a record of type 99 ahead of the PTR. djb's reader gives up after 1000
    steps (each pointer, label length and label byte one): 983 hops read, 984 do not."""
    head = with_header(response(packet, question, []), answers=2)
    start = len(head) + 12  # where the type 99 record's rdata begins
    body, previous = encode_name("chain.example"), len(head) + 12
    for _ in range(hops):
        here = start + len(body)
        body += struct.pack(">H", 0xC000 | previous)
        previous = here
    return head + b"".join(b"\xc0\x0c" + struct.pack(">HHIH", rtype, 1, 60, len(data)) + data
                          for rtype, data in ((99, body),
                                              (TYPE_PTR, struct.pack(">H", 0xC000 | previous))))


def long_rdlength(reply, name):
    """reply, a PTR answer for name, with the record's rdlength made 65535."""
    n = len(encode_name(name))
    return reply[:-n - 2] + b"\xff\xff" + reply[-n:]


def truncated_udp(n, qtype, packet, question):
    return response(packet, question, [], 0, TC)


def name_then_a(addresses_reply):
    """PTR a.example; the A question for it answered by addresses_reply(packet, question)."""
    return lambda n, qtype, packet, question: (
        ptrs(packet, question, "a.example.") if qtype == TYPE_PTR
        else addresses_reply(packet, question))


LOCALHOST_A = socket.inet_aton("127.0.0.1")

# Hostile packets, each compared with djb's. Ours differed from djb's in every one of these
# but the 984 pointers, TC over TCP and the cut A answer: see RELIABILITY.md, "Hostile peers".
PACKET_SCENARIOS = [
    ("-h: a UDP answer cut inside its second PTR, no TC: the first PTR is the name",
     ["-h", "-l", "NAME"],
     lambda n, qt, p, q: ptrs(p, q, "first.example.", "second.example.")[:-8], None),
    ("-h: a reply without the QR bit is the reply", ["-h", "-l", "NAME"],
     lambda n, qt, p, q: with_header(ptrs(p, q, "noqr.example."), flags=0x0580), None),
    ("-h: a reply with opcode 2 is the reply", ["-h", "-l", "NAME"],
     lambda n, qt, p, q: with_header(ptrs(p, q, "opcode.example."), flags=0x9580), None),
    ("-h: a PTR owned by a pointer past the packet's end (owners are skipped)",
     ["-h", "-l", "NAME"],
     lambda n, qt, p, q: response(p, q, [(b"\xc0\xff", TYPE_PTR, encode_name("owner.example"))]),
     None),
    ("-h: a PTR whose rdlength runs past the packet's end", ["-h", "-l", "NAME"],
     lambda n, qt, p, q: long_rdlength(ptrs(p, q, "long.example."), "long.example."), None),
    ("-h: an unreadable PTR is the answer: no name, no second question", ["-h", "-l", "NAME"],
     lambda n, qt, p, q: (response(p, q, [(TYPE_PTR, b"\x80\x01")]) if n == 1
                          else ptrs(p, q, "second.example.")), None),
    # djb's reads a UDP reply into 513 bytes and ignores one that fills them: it waits, asks
    # again after its first round's second, and takes the second answer (so does ours).
    ("-h: a UDP answer over 512 bytes is no answer: the one asked again is", ["-h", "-l", "NAME"],
     lambda n, qt, p, q: (ptrs(p, q, "big.example.", *(f"pad{i}.example." for i in range(40)))
                          if n == 1 else ptrs(p, q, "retry.example.")), None),
    ("-h: a PTR name behind 983 chained pointers, over TCP", ["-h", "-l", "NAME"],
     truncated_udp, lambda qt, p, q: chained(p, q, 983)),
    ("-h: a PTR name behind 984 chained pointers (djb's 1000 steps), over TCP",
     ["-h", "-l", "NAME"], truncated_udp, lambda qt, p, q: chained(p, q, 984)),
    ("-h: TC set over TCP as well", ["-h", "-l", "NAME"],
     truncated_udp, lambda qt, p, q: ptrs(p, q, "tc.example.", flags=TC)),
    ("-h -p: an A record owned by a pointer past the packet's end", ["-h", "-p", "-l", "NAME"],
     name_then_a(lambda p, q: response(p, q, [(b"\xc0\xff", TYPE_A, LOCALHOST_A)])), None),
    ("-h -p: an A answer cut after the matching record (djb's: no address at all)",
     ["-h", "-p", "-l", "NAME"],
     name_then_a(lambda p, q: response(p, q, [(TYPE_A, LOCALHOST_A), (TYPE_A, LOCALHOST_A)])[:-3]),
     None),
]

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
    return serve_one_client(binary, ["-v", "-R", *flags], CHILD, workdir, env=DNS_ENV)


def compare(checks, title, make_dns, flags, ours_bin, reference_bin, work):
    """One scenario, each binary against a fresh server: the same child view and ok line, and
    no raw control byte in either log."""
    results = []
    for binary in (ours_bin, reference_bin):
        dns = make_dns()
        try:
            results.append(seen(binary, flags, work))
        finally:
            dns.close()
    ours, theirs = results
    if checks.check(title, ours == theirs and bool(ours[0]) and not ours[2] and not theirs[2],
                    f"\n  ours      {ours}\n  reference {theirs}"):
        print("     " + ours[0].strip().replace("\n", " "))
        print("     " + " ".join(ours[1]))


def check_no_stall(checks, ours, work, title, first_table, first_name, **how):
    """Ours alone: while the PTR answer for 127.0.0.1 drips in (or never comes), a client from
    127.0.0.2, whose PTR is answered at once, is served with its name; the first then gets its
    own (first_name; None: not waited for)."""
    table = dict(first_table)
    table[(PTR2, TYPE_PTR)] = [rr(PTR2, TYPE_PTR, "two.example.")]
    dns = ZoneDns(table, **how)
    run = Run("ours", ours, None, work)
    first = {}
    started = time.monotonic()

    def fetch_first():
        c = server.connect()
        c.read_all()
        c.close()
        first["out"], first["after"] = c.text(), time.monotonic() - started

    server = run.start(["-v", "-R", "-h", "-l", "NAME"], lookups=False, program=CHILD,
                       env=DNS_ENV)
    t = threading.Thread(target=fetch_first, daemon=True)
    try:
        started = time.monotonic()
        t.start()
        time.sleep(0.4)  # the first client's lookup is under way
        second_started = time.monotonic()
        c = server.connect(source="127.0.0.2")
        c.read_all()
        c.close()
        second, second_after = c.text(), time.monotonic() - second_started
        first_waiting = "out" not in first
        if first_name is not None:
            t.join(WAIT + 5)
    finally:
        server.kill_all()
        t.join(WAIT)
        dns.close()
    ok = ("TCPREMOTEHOST=two.example\n" in second and second_after < 1.0 and first_waiting and
          (first_name is None or f"TCPREMOTEHOST={first_name}\n" in first.get("out", "")))
    timing = f"the second served in {second_after:.2f} s, " + (
        f"the first after {first.get('after', 0):.2f} s" if first_name is not None
        else "the first still waiting")
    checks.check(f"{title} ({timing})", ok,
                 f"second {second!r}, first {first.get('out')!r}, first waiting then "
                 f"{first_waiting}")


def main():
    a = ours_and_reference(__doc__.split("\n")[0])
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="dns-diff.") as work:
        for title, flags, ptr, addr, *how in SCENARIOS:
            compare(checks, title, lambda: FakeDns(ptr, addr, *how), flags, a.ours, a.reference,
                    work)
        for title, flags, table, how in ZONE_SCENARIOS:
            compare(checks, title, lambda: ZoneDns(table, **how), flags, a.ours, a.reference,
                    work)
        for title, flags, udp, tcp in PACKET_SCENARIOS:
            compare(checks, title, lambda: PacketDns(udp, tcp), flags, a.ours, a.reference, work)
        dripped = {(PTR1, TYPE_PTR): [rr(PTR1, TYPE_PTR, "dripped.example.")]}
        check_no_stall(checks, a.ours, work, "a dripped PTR answer delays only its own client",
                       dripped, "dripped.example", tcp={PTR1}, drip=DRIP)
        check_no_stall(checks, a.ours, work, "a PTR never answered delays only its own client",
                       {}, None, silent={PTR1})
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
