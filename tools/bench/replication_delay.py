#!/usr/bin/env python3
"""Login -> first relayed SMTP connection on another host, in the replicated roaming layout
(doc/guides/replicated-roaming.md): a primary and a replica (two private mariadbd on loopback,
tests/support/mariadb-replication-fixture.sh), relay-allow recording to the primary as a
POP/IMAP host does, and tcpserver reading the replica with the primary as fallback.

    replication_delay.py BIN_DIR [--logins N] [--stopped]

For each of N logins, from a client address never seen before: run relay-allow, then connect
to tcpserver from that address again and again (back to back) until it relays. Prints the
delay from relay-allow's start, and from its exit, to the first relayed connection: p50, p99
and the worst. --stopped measures with replication stopped on the replica (every miss then
goes to the primary once the helper notices; the delay is the fallback path's).
A developer's measure: nothing here is asserted.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TOP, "tests", "roaming"))
sys.path.insert(0, os.path.join(TOP, "tests", "support"))
from roaming_tcpserver_test import Server, ask, compile_rules, prepare  # noqa: E402

FIXTURE = os.path.join(TOP, "tests", "support", "mariadb-replication-fixture.sh")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def one_login(bin_dir, conf, port, ip):
    """Seconds from relay-allow's start and from its exit to the first relayed connection."""
    start = time.monotonic()
    r = subprocess.run([os.path.join(bin_dir, "relay-allow"), "-s", f"mysql:{conf}", "-i", ip],
                       capture_output=True, text=True, timeout=30)
    recorded = time.monotonic()
    if r.returncode != 0 or r.stderr:
        raise RuntimeError(f"relay-allow {ip}: {r.returncode} {r.stderr}")
    while True:
        env = ask(port, ip)
        if env and env["RELAYCLIENT"] == "":
            now = time.monotonic()
            return now - start, now - recorded
        if now_over(start):
            raise RuntimeError(f"{ip} did not relay within 60 s")


def now_over(start, limit=60):
    return time.monotonic() - start > limit


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin_dir")
    p.add_argument("--logins", type=int, default=200)
    p.add_argument("--stopped", action="store_true")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="replication-delay.")
    dbdir = os.path.join(work, "db")
    try:
        prepare(work)
        compile_rules(a.bin_dir, work)
        subprocess.run(["bash", FIXTURE, "start", dbdir], check=True, capture_output=True)
        if a.stopped:
            subprocess.run(["bash", FIXTURE, "sql", "replica", dbdir], input="STOP SLAVE;",
                           text=True, check=True)
        server = Server(a.bin_dir, work, f"mysql:{dbdir}/replica.conf")
        try:
            # The first login creates the table (replicated like the rest); the helper's first
            # status reading must be in before the timed logins.
            one_login(a.bin_dir, f"{dbdir}/primary.conf", server.port, "127.0.1.1")
            time.sleep(2.5)
            from_start, from_exit = [], []
            for n in range(a.logins):
                ip = f"127.1.{n // 250}.{n % 250 + 1}"
                s, e = one_login(a.bin_dir, f"{dbdir}/primary.conf", server.port, ip)
                from_start.append(s)
                from_exit.append(e)
        finally:
            server.stop()
    finally:
        subprocess.run(["bash", FIXTURE, "purge", dbdir], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    mode = "replication stopped (primary fallback)" if a.stopped else "replication running"
    print(f"{mode}, {a.logins} logins, login -> first relayed connection on the replica's host:")
    for name, values in (("from relay-allow's start", from_start),
                         ("from relay-allow's exit", from_exit)):
        print(f"  {name}: p50 {ms(percentile(values, 0.5))}, p99 {ms(percentile(values, 0.99))},"
              f" max {ms(max(values))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
