#!/usr/bin/env python3
"""tcpserver -y (trusted PROXY protocol sources) against headers written by hand on plain
sockets: the header's client is the child's TCPREMOTE* and TCPLOCAL*, the rules' key, -C's key
and the log's client, with the balancer named on its own line; the child reads the client's
first byte and nothing of the header; a trusted source without a valid header is dropped; an
untrusted one is served as without -y, a PROXY line it sends being data.

    proxy_protocol_test.py --bin DIR

Loopback only: 127.0.0.1 is the trusted balancer, 127.0.0.2 an untrusted client. Needs root
(identds on port 113 of 127.0.0.78 and .79, to show ident is not asked for a proxied client).
"""
import os
import re
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import run_parts  # noqa: E402
from proxied_tcpserver import converse, read_to_end, start_proxied, wait_for_log  # noqa: E402

RULES = """192.0.2.66:deny
192.0.2.:allow,WHO="proxied4"
2001:db8::7:allow,WHO="proxied6"
:allow
"""
# Identds of the test's on port 113 (root): one for a direct client, one for a proxied client
# (another address: -C 1 could still count the direct one's unreaped child).
IDENT_CLIENT = "127.0.0.78"
IDENT_PROXIED = "127.0.0.79"
IDENT_USER = "proxieduser"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(ver_cmd, fam, block):
    return V2_SIGNATURE + bytes([ver_cmd, fam]) + struct.pack(">H", len(block)) + block


def inet(src, dst, sport, dport):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)


def inet6(src, dst, sport, dport):
    return (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
            struct.pack(">HH", sport, dport))


def lines_of_pid(log, pid):
    return [line for line in log.splitlines() if re.match(rf"tcpserver: \w+ {pid}\b", line)]


def proxied_server(c, bin_dir, work):
    proc, port, log = start_proxied(bin_dir, work, RULES,
                                    ["-y", "127.0.0.1,10.0.0.0/8", "-Y", "2", "-C", "1"])
    try:
        run(c, port, log)
    finally:
        proc.kill()
        proc.wait()


def run(c, port, log):
    server = ("127.0.0.1", port)

    def served(name, send, want_env, want_read, **kw):
        """want_env: the child's variables line, a regex when it is one."""
        got = converse(server, send, **kw)
        env = want_env if isinstance(want_env, re.Pattern) else re.compile(re.escape(want_env))
        c.check(f"{name}: environment", re.search(rf"^{env.pattern}\n", got, re.M) is not None,
                repr(got))
        c.check(f"{name}: the child's first line", f"READ={want_read}\n" in got, repr(got))
        return got

    served("v1 TCP4, header and data in one segment",
           b"PROXY TCP4 192.0.2.7 198.51.100.2 5555 25\r\nEHLO one\r\n",
           "REMOTE=192.0.2.7:5555 LOCAL=198.51.100.2:25 PROTO=TCP INFO=unset WHO=proxied4",
           "EHLO one\r")
    text = wait_for_log(log, r"proxy \d+ via 127\.0\.0\.1:\d+ v1$")
    m = re.search(r"^tcpserver: pid (\d+) from 192\.0\.2\.7$", text, re.M)
    c.check("v1 TCP4: the pid line names the client", m is not None, text)
    if m:
        mine = lines_of_pid(text, m.group(1))
        c.check("v1 TCP4: pid, proxy (the balancer) and ok lines, in that order",
                [line.split()[1] for line in mine[:3]] == ["pid", "proxy", "ok"] and
                re.fullmatch(rf"tcpserver: proxy {m.group(1)} via 127\.0\.0\.1:\d+ v1", mine[1])
                is not None and
                mine[2] == f"tcpserver: ok {m.group(1)} x:198.51.100.2:25 :192.0.2.7::5555",
                "\n".join(mine))

    served("v2 TCP6 with TLVs, sent a few bytes at a time",
           [piece for header in [v2(0x21, 0x21, inet6("2001:db8::7", "2001:db8::25", 6666, 587) +
                                    b"\x01\x00\x04smtp" + b"\x04\x00\x00")]
            for piece in (header[:5], header[5:14], header[14:17], header[17:])] + [b"EHLO two\n"],
           "REMOTE=2001:db8::7:6666 LOCAL=2001:db8::25:587 PROTO=TCP6 INFO=unset WHO=proxied6",
           "EHLO two", pause=0.05)
    served("v2 TCP4, the same address as v1",
           v2(0x21, 0x11, inet("192.0.2.17", "198.51.100.2", 5556, 25)) + b"three\n",
           "REMOTE=192.0.2.17:5556 LOCAL=198.51.100.2:25 PROTO=TCP INFO=unset WHO=proxied4",
           "three")
    served("v1 TCP6 with v4-mapped addresses reads as IPv4",
           b"PROXY TCP6 ::ffff:192.0.2.27 ::ffff:198.51.100.2 5557 25\r\nfour\n",
           "REMOTE=192.0.2.27:5557 LOCAL=198.51.100.2:25 PROTO=TCP INFO=unset WHO=proxied4",
           "four")
    got = converse(server, b"PROXY TCP4 192.0.2.66 198.51.100.2 5558 25\r\nfive\n")
    c.check("a rule denying the header's client closes it unserved", got == "", repr(got))
    text = wait_for_log(log, r"^tcpserver: deny \d+ x:198\.51\.100\.2:25 :192\.0\.2\.66::5558$")
    c.check("the deny line names the client",
            re.search(r"^tcpserver: deny \d+ x:198\.51\.100\.2:25 :192\.0\.2\.66::5558$", text,
                      re.M) is not None, text)

    balancer_env = re.compile(rf"REMOTE=127\.0\.0\.1:\d+ LOCAL=127\.0\.0\.1:{port} PROTO=TCP "
                              r"INFO=unset WHO=unset")
    served("v2 LOCAL (a health check) is served as the balancer",
           v2(0x20, 0x00, b"") + b"six\n", balancer_env, "six")
    text = wait_for_log(log, r"proxy \d+ via 127\.0\.0\.1:\d+ v2 LOCAL$")
    c.check("the LOCAL connection's proxy line says LOCAL",
            re.search(r"^tcpserver: proxy \d+ via 127\.0\.0\.1:\d+ v2 LOCAL$", text, re.M)
            is not None, text)
    served("v1 UNKNOWN is served as the balancer", b"PROXY UNKNOWN\r\nseven\n", balancer_env,
           "seven")

    got = converse(server, b"PROXY TCP4 192.0.2.9 198.51.100.2 5559 25\r\nuntrusted\n",
                   source="127.0.0.2")
    c.check("an untrusted source's PROXY line is the child's data, its own address the client",
            "REMOTE=127.0.0.2:" in got and
            "READ=PROXY TCP4 192.0.2.9 198.51.100.2 5559 25\r\n" in got, repr(got))
    text = wait_for_log(log, r"^tcpserver: ok \d+ x:127\.0\.0\.1:\d+ :127\.0\.0\.2::\d+$")
    m = re.search(r"^tcpserver: pid (\d+) from 127\.0\.0\.2$", text, re.M)
    c.check("an untrusted source's lines are djb's: pid then ok, no proxy line",
            m is not None and [line.split()[1] for line in lines_of_pid(text, m.group(1))][:2] ==
            ["pid", "ok"], text)

    dropped = [
        ("a trusted source without a header", b"EHLO x\r\n", "no PROXY signature"),
        ("a bad v1 port", b"PROXY TCP4 192.0.2.8 198.51.100.2 65536 25\r\n",
         "v1 line with a bad port"),
        ("v2 UDP", v2(0x21, 0x12, inet("192.0.2.8", "198.51.100.2", 1, 2)),
         "v2 DGRAM (UDP) is not served"),
        ("v2 UNIX", v2(0x21, 0x31, bytes(216)), "v2 UNIX addresses are not served"),
        ("a v2 TLV overrunning the block",
         v2(0x21, 0x11, inet("192.0.2.8", "198.51.100.2", 1, 2) + b"\x04\x00\x09abc"),
         "v2 TLV overruns the block"),
        ("a trusted source silent past -Y", b"", "timed out"),
        ("a header cut by the balancer's close", None, "connection closed before the header ended"),
    ]
    for name, send, why in dropped:
        if send is None:
            got = half_closed(server, b"PROXY TCP4 192.0.2.8 ")
        else:
            got = converse(server, send)
        c.check(f"{name}: closed unserved", got == "", repr(got))
        line = f"tcpserver: warning: dropping connection, bad PROXY header from 127.0.0.1: {why}"
        text = wait_for_log(log, "^" + re.escape(line) + "$")
        c.check(f"{name}: the warning says why", f"\n{line}\n" in text, text[-2000:])

    per_ip_limit(c, server, log)
    no_ident(c, server)
    return c


def answering_identd(address, stop):
    """An identd on address:113 that names IDENT_USER to every query, until stop is set."""
    identd = socket.socket()
    identd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    identd.bind((address, 113))
    identd.listen(16)
    identd.settimeout(0.2)

    def serve():
        with identd:
            while not stop.is_set():
                try:
                    conn, _ = identd.accept()
                except socket.timeout:
                    continue
                with conn:
                    query = conn.recv(100).decode().strip()
                    conn.sendall(f"{query} : USERID : UNIX : {IDENT_USER}\r\n".encode())

    thread = threading.Thread(target=serve)
    thread.start()
    return thread


def no_ident(c, server):
    """Ident is never asked for a proxied client: an identd answers a client that connects
    directly (so the check below can fail), but the same identd on a proxied client's address
    is never asked."""
    stop = threading.Event()
    threads = [answering_identd(address, stop) for address in (IDENT_CLIENT, IDENT_PROXIED)]
    try:
        got = converse(server, b"direct\n", source=IDENT_CLIENT)
        c.check("ident: a direct client's identd is asked", f"INFO={IDENT_USER} " in got,
                repr(got))
        got = converse(server, f"PROXY TCP4 {IDENT_PROXIED} 127.0.0.1 4000 {server[1]}\r\n"
                               f"proxied\n".encode())
        c.check("ident: not asked for a proxied client", f"REMOTE={IDENT_PROXIED}:4000 " in got
                and "INFO=unset " in got and "READ=proxied" in got, repr(got))
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def half_closed(server, data):
    with socket.create_connection(server, timeout=30) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return read_to_end(s)


def per_ip_limit(c, server, log):
    """-C 1 counts the header's client, not the balancer: with one client's connection held
    open, another client is served through the same balancer and the same client is refused."""
    holder = socket.create_connection(server, timeout=30)
    try:
        holder.sendall(b"PROXY TCP4 192.0.2.20 198.51.100.2 7000 25\r\n")
        first = holder.recv(4096).decode()  # the environment line; the child waits to read
        c.check("-C: the first client's connection is served", "REMOTE=192.0.2.20:7000" in first,
                repr(first))
        got = converse(server, b"PROXY TCP4 192.0.2.21 198.51.100.2 7001 25\r\nother\n")
        c.check("-C: another client through the same balancer is served",
                "REMOTE=192.0.2.21:7001" in got and "READ=other" in got, repr(got))
        got = converse(server, b"PROXY TCP4 192.0.2.20 198.51.100.2 7002 25\r\nsame\n")
        c.check("-C: the same client again is refused", got == "", repr(got))
        text = wait_for_log(log, r"^tcpserver: limit \d+ :198\.51\.100\.2:25 :192\.0\.2\.20::7002$")
        c.check("-C: the limit line names the client and follows a proxy line",
                re.search(r"^tcpserver: proxy (\d+) via 127\.0\.0\.1:\d+ v1\n"
                          r"tcpserver: limit \1 :198\.51\.100\.2:25 :192\.0\.2\.20::7002$",
                          text, re.M) is not None, text[-2000:])
    finally:
        holder.close()


if __name__ == "__main__":
    sys.exit(run_parts(proxied_server))
