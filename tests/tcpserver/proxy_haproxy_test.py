#!/usr/bin/env python3
"""Debian's HAProxy in front of tcpserver -y 127.0.0.1: one backend with send-proxy (v1), one
with send-proxy-v2, both health-checked with check-send-proxy. Clients connect to HAProxy
from addresses of their own on the loopback; the child's environment, the rules and the log
must be about those clients, HAProxy's checks must pass, and its own connections must be named.

    proxy_haproxy_test.py --bin DIR

HAProxy runs in the foreground with a config file in a temporary directory, never as the
system service. Fails (does not skip) when haproxy is not installed.
"""
import argparse
import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from proxied_tcpserver import converse, read_to_end, start_proxied, wait_for_log  # noqa: E402

RULES = """127.0.0.66:deny
127.0.0.5:allow,WHO="client5"
:allow
"""

CONFIG = """global
    maxconn 100
    stats socket {work}/admin.sock mode 600 level admin
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend v1
    bind 127.0.0.1:{v1}
    default_backend v1
backend v1
    server tcpserver 127.0.0.1:{server} send-proxy check check-send-proxy inter 200
frontend v2
    bind 127.0.0.1:{v2}
    bind [::1]:{v2_6}
    default_backend v2
backend v2
    server tcpserver 127.0.0.1:{server} send-proxy-v2 check check-send-proxy inter 200
"""


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stats(work):
    """HAProxy's "show stat" as rows of dicts."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(os.path.join(work, "admin.sock"))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    text = data.decode().lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


def wait_checks_pass(work, bound=30):
    """The two servers' status and last check once both are UP after a passed check."""
    deadline = time.monotonic() + bound
    while True:
        rows = {r["pxname"]: (r["status"], r["check_status"]) for r in stats(work)
                if r["svname"] == "tcpserver"}
        if all(v == ("UP", "L4OK") for v in rows.values()) and len(rows) == 2:
            return rows
        if time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def start_haproxy(work, ports):
    path = os.path.join(work, "haproxy.cfg")
    with open(path, "w") as f:
        f.write(CONFIG.format(work=work, **ports))
    check = subprocess.run(["haproxy", "-c", "-f", path], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"haproxy -c: {check.stdout}{check.stderr}")
    log = open(os.path.join(work, "haproxy.log"), "w+b")
    proc = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=log, stderr=log,
                            start_new_session=True)
    deadline = time.monotonic() + 20
    while not os.path.exists(os.path.join(work, "admin.sock")):
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"haproxy did not start: {log.read().decode(errors='replace')}")
        time.sleep(0.05)
    return proc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    a = p.parse_args()
    c = Checks()
    if shutil.which("haproxy") is None:
        c.check("haproxy is installed (tools/bootstrap.sh installs it)", False, "not on PATH")
        return c.finish()
    with tempfile.TemporaryDirectory() as work:
        tcpserver, port, log = start_proxied(a.bin, work, RULES, ["-y", "127.0.0.1"])
        ports = {"server": port, "v1": free_port(), "v2": free_port(),
                 "v2_6": free_port(socket.AF_INET6, "::1")}
        haproxy = None
        try:
            haproxy = start_haproxy(work, ports)
            run(c, work, ports, log)
        finally:
            for proc in (haproxy, tcpserver):
                if proc is not None:
                    proc.kill()
                    proc.wait()
    return c.finish()


def run(c, work, ports, log):
    rows = wait_checks_pass(work)
    c.check("check-send-proxy: both backends' health checks pass",
            rows == {"v1": ("UP", "L4OK"), "v2": ("UP", "L4OK")}, repr(rows))
    text = wait_for_log(log, r"^tcpserver: proxy \d+ via 127\.0\.0\.1:\d+ v2 LOCAL$")
    c.check("a v2 health check is served as the balancer, its proxy line saying LOCAL",
            re.search(r"^tcpserver: proxy \d+ via 127\.0\.0\.1:\d+ v2 LOCAL$", text, re.M)
            is not None, text[-3000:])
    c.check("no health check is dropped", "bad PROXY header" not in text, text[-3000:])
    # HAProxy 2.6's v1 check sends TCP4 with its check connection's own two ends.
    text = wait_for_log(log, r"^tcpserver: proxy \d+ via 127\.0\.0\.1:\d+ v1$")
    c.check("a v1 health check is served as the balancer's own connection",
            re.search(r"^tcpserver: pid (\d+) from 127\.0\.0\.1\n"
                      r"tcpserver: proxy \1 via 127\.0\.0\.1:(\d+) v1\n"
                      rf"tcpserver: ok \1 x:127\.0\.0\.1:{ports['server']} :127\.0\.0\.1::\2$",
                      text, re.M) is not None, text[-3000:])

    for version in ("v1", "v2"):
        front = ("127.0.0.1", ports[version])
        client_port, got = converse_from(front, b"hello " + version.encode() + b"\r\n",
                                         "127.0.0.5")
        c.check(f"send-proxy {version}: the child sees the client, and HAProxy's frontend as local",
                f"REMOTE=127.0.0.5:{client_port} LOCAL=127.0.0.1:{ports[version]} PROTO=TCP "
                f"INFO=unset WHO=client5\n" in got, repr(got))
        c.check(f"send-proxy {version}: the child's first line is the client's",
                f"READ=hello {version}\r\n" in got, repr(got))
        text = wait_for_log(log, rf"^tcpserver: ok \d+ x:127\.0\.0\.1:{ports[version]} "
                                 rf":127\.0\.0\.5::{client_port}$")
        m = re.search(rf"^tcpserver: pid (\d+) from 127\.0\.0\.5\n"
                      rf"tcpserver: proxy \1 via 127\.0\.0\.1:\d+ {version}\n"
                      rf"tcpserver: ok \1 x:127\.0\.0\.1:{ports[version]} "
                      rf":127\.0\.0\.5::{client_port}$", text, re.M)
        c.check(f"send-proxy {version}: the log names the client and the balancer", m is not None,
                text[-3000:])
        got = converse(front, b"denied\r\n", source="127.0.0.66")
        c.check(f"send-proxy {version}: a rule denying the client closes it", got == "", repr(got))

    got = converse(("::1", ports["v2_6"]), b"six\n")
    c.check("send-proxy-v2 from an IPv6 client: TCP6 and the client's address",
            re.search(rf"REMOTE=::1:\d+ LOCAL=::1:{ports['v2_6']} PROTO=TCP6 ", got) is not None
            and "READ=six" in got, repr(got))
    text = wait_for_log(log, r"^tcpserver: deny \d+ x:127\.0\.0\.1:\d+ :127\.0\.0\.66::\d+$")
    c.check("the deny lines name the denied client",
            len(re.findall(r"^tcpserver: deny \d+ x:127\.0\.0\.1:\d+ :127\.0\.0\.66::\d+$", text,
                           re.M)) == 2, text[-3000:])


def converse_from(address, data, source):
    """The client's port and all the server said, for data sent from source."""
    with socket.socket() as s:
        s.settimeout(30)
        s.bind((source, 0))
        port = s.getsockname()[1]
        s.connect(address)
        s.sendall(data)
        return port, read_to_end(s)


if __name__ == "__main__":
    sys.exit(main())
