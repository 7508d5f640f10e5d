#!/usr/bin/env python3
"""Benchmark: our tcpserver against djb's (Debian build), side by side, alternating.

Both servers run at the same time, each with
    -R -H -l NAME -c LIMIT -b BACKLOG -x rules.cdb  127.0.0.1 0  /bin/echo hi
(rules.cdb compiled by the reference tcprules from a small, realistic tcp.smtp). For each
concurrency (1, 16, 64 by default) and each round, tcpbench drives one server, then the other;
the order flips every round so drift on the machine hits both alike. Reports the median over
rounds of conn/s, p50 and p99 latency (connect -> EOF), the parents' VmRSS/VmHWM sampled from
/proc during the runs, the ratios ours/reference, and the project's goals.

Not a test: it always exits 0 once it has measured (2 if it could not run). Bounded: a fixed
count of connections per run, a time cap per run, loopback only; both servers are stopped at
the end whatever happens.

  bench_tcpserver.py --build-dir build            (ours = build/bin/tcpserver)
  bench_tcpserver.py --build-dir build --ours REF (reference against itself: checks the bench)
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# A small tcp.smtp of the kind qmail/vpopmail sites run: relaying for local nets, a few blocked
# senders, a default allow. The bench client (127.0.0.1) matches `127.` after three misses.
TCP_SMTP = """\
# relay for ourselves and the office
127.:allow,RELAYCLIENT=""
10.0.0.:allow,RELAYCLIENT=""
192.168.1.:allow,RELAYCLIENT=""
172.16.5.10-20:allow,RELAYCLIENT=""
# known abusers
203.0.113.:deny
198.51.100.7:deny
=.spam.example.:deny
# slow down a noisy relay
192.0.2.15:allow,RBLSMTPD="-slow down",QMAILQUEUE="/var/qmail/bin/qmail-queue"
:allow
"""

PROGRAM = ["/bin/echo", "hi"]
GOALS = {"rate_c16": 1.05, "p50_c1": 0.9, "rss_mib": 8.0}


class Server:
    """One tcpserver parent, sampled for memory while it runs."""

    def __init__(self, label, binary, workdir, limit, backlog):
        self.label = label
        argv = [binary, "-R", "-H", "-l", "NAME", "-c", str(limit), "-b", str(backlog),
                "-x", "rules.cdb", "-1", "127.0.0.1", "0"] + PROGRAM
        self.proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env={"PATH": "/usr/bin:/bin", "DNSCACHEIP": "127.0.0.1"},
                                     start_new_session=True)
        line = self.proc.stdout.readline().decode().strip()
        if not line.isdigit():
            raise RuntimeError("%s printed no port (exit %s)" % (label, self.proc.poll()))
        self.port = int(line)
        self.rss_kib = 0
        self.hwm_kib = 0

    def sample_memory(self):
        try:
            status = Path("/proc/%d/status" % self.proc.pid).read_text()
        except OSError:
            return
        for field in ("VmRSS", "VmHWM"):
            m = re.search(r"^%s:\s+(\d+) kB" % field, status, re.M)
            if m and field == "VmRSS":
                self.rss_kib = max(self.rss_kib, int(m.group(1)))
            elif m:
                self.hwm_kib = max(self.hwm_kib, int(m.group(1)))

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


class MemorySampler(threading.Thread):
    """Samples the parents' /proc status every 20 ms while a run is going."""

    def __init__(self, servers):
        super().__init__(daemon=True)
        self.servers = servers
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            for server in self.servers:
                server.sample_memory()


def run_tcpbench(tcpbench, port, concurrency, count, cap_s):
    argv = [tcpbench, "-p", str(port), "-c", str(concurrency), "-n", str(count),
            "-t", str(cap_s), "-T", "10"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=cap_s + 30)
    if out.returncode != 0:
        raise RuntimeError("tcpbench failed: " + out.stderr.strip())
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out.stdout)}


def compile_rules(tcprules, workdir):
    subprocess.run([tcprules, "rules.cdb", "rules.tmp"], input=TCP_SMTP.encode(), cwd=workdir,
                   check=True, timeout=10)


def measure(args, servers, tcpbench):
    """{(label, concurrency): [result per round]}; order flips each round."""
    results = {}
    sampler = MemorySampler(servers)
    sampler.start()
    try:
        for server in servers:  # warm-up: page cache, the first fork, the cdb
            run_tcpbench(tcpbench, server.port, 4, 200, args.cap)
        for c in args.concurrency:
            for rnd in range(args.rounds):
                order = servers if rnd % 2 == 0 else list(reversed(servers))
                for server in order:
                    r = run_tcpbench(tcpbench, server.port, c, args.connections, args.cap)
                    results.setdefault((server.label, c), []).append(r)
                    print("  c=%-3d round %d %-9s %7.0f conn/s  p50 %6.2f ms  p99 %7.2f ms"
                          "  errors %d  empty %d" % (c, rnd + 1, server.label, r["conn_per_s"],
                                                     r["p50_us"] / 1000, r["p99_us"] / 1000,
                                                     r["errors"], r["empty"]), flush=True)
    finally:
        sampler.done.set()
        sampler.join()
    return results


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def load_average():
    return float(Path("/proc/loadavg").read_text().split()[0])


def report(args, results, servers):
    ours, ref = servers
    print("\nmedian of %d rounds, %d connections each; child %s; -c %d -b %d"
          % (args.rounds, args.connections, " ".join(PROGRAM), args.limit, args.backlog))
    print("%-4s %-10s %10s %10s %10s %8s" % ("c", "server", "conn/s", "p50 ms", "p99 ms",
                                             "errors"))
    ratios = {}
    for c in args.concurrency:
        row = {}
        for server in servers:
            runs = results[(server.label, c)]
            row[server.label] = [median_of(runs, "conn_per_s"), median_of(runs, "p50_us") / 1000,
                                 median_of(runs, "p99_us") / 1000]
            print("%-4d %-10s %10.0f %10.3f %10.3f %8d" % (
                c, server.label, *row[server.label], sum(r["errors"] for r in runs)))
        ratios[c] = [o / r if r else float("nan") for o, r in zip(row[ours.label], row[ref.label])]
        print("%-4d %-10s %9.2fx %9.2fx %9.2fx" % (c, "ours/ref", *ratios[c]))
    print("\nparent memory (max over the runs): ours VmRSS %d KiB VmHWM %d KiB; "
          "reference VmRSS %d KiB VmHWM %d KiB" % (ours.rss_kib, ours.hwm_kib, ref.rss_kib,
                                                   ref.hwm_kib))
    print_goals(ratios, ours)


def print_goals(ratios, ours):
    def verdict(ok):
        return "met" if ok else "MISSED"

    print("\ngoals:")
    if 16 in ratios:
        print("  conn/s at c=16 >= %.2fx reference: %.2fx  %s" % (
            GOALS["rate_c16"], ratios[16][0], verdict(ratios[16][0] >= GOALS["rate_c16"])))
    if 1 in ratios:
        print("  p50 at c=1 <= %.2fx reference: %.2fx  %s" % (
            GOALS["p50_c1"], ratios[1][1], verdict(ratios[1][1] <= GOALS["p50_c1"])))
    rss_mib = max(ours.rss_kib, ours.hwm_kib) / 1024
    print("  parent RSS <= %.0f MiB: %.2f MiB  %s" % (GOALS["rss_mib"], rss_mib,
                                                      verdict(rss_mib <= GOALS["rss_mib"])))


def print_load(before, after):
    """The figures mean little on a busy machine (2 cores): say so next to them."""
    print("\nload average: %.2f before, %.2f after" % (before, after))
    if max(before, after) > 1.5:
        print("WARNING: the machine was busy during the run; ratios are unreliable, run again")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build", help="where bin/ and reference/ are")
    ap.add_argument("--ours", help="our tcpserver (default BUILD/bin/tcpserver)")
    ap.add_argument("--reference", help="djb tcpserver (default BUILD/reference/...)")
    ap.add_argument("--tcprules", help="reference tcprules (default BUILD/reference/...)")
    ap.add_argument("--tcpbench", help="default BUILD/bin/tcpbench")
    ap.add_argument("--concurrency", default="1,16,64")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=4000)
    ap.add_argument("--cap", type=float, default=60, help="seconds at most per run")
    ap.add_argument("--limit", type=int, default=100,
                    help="-c for both servers: above the top concurrency, so the run measures "
                         "the server and not SYN retransmits from an overflowing backlog")
    ap.add_argument("--backlog", type=int, default=100, help="-b for both servers")
    args = ap.parse_args()
    build = Path(args.build_dir).resolve()
    ref_bin = build / "reference/ucspi-tcp/usr/bin"
    args.ours = os.path.abspath(args.ours or build / "bin/tcpserver")
    args.reference = os.path.abspath(args.reference or ref_bin / "tcpserver")
    args.tcprules = os.path.abspath(args.tcprules or ref_bin / "tcprules")
    args.tcpbench = os.path.abspath(args.tcpbench or build / "bin/tcpbench")
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    return args


def main():
    args = parse_args()
    for binary in (args.ours, args.reference, args.tcprules, args.tcpbench):
        if not os.access(binary, os.X_OK):
            print("bench_tcpserver: missing %s" % binary, file=sys.stderr)
            return 2
    print("ours:      %s\nreference: %s" % (args.ours, args.reference))
    load_before = load_average()
    workdir = tempfile.mkdtemp(prefix="tcpserver-bench-")
    servers = []
    try:
        compile_rules(args.tcprules, workdir)
        servers.append(Server("ours", args.ours, workdir, args.limit, args.backlog))
        servers.append(Server("reference", args.reference, workdir, args.limit, args.backlog))
        results = measure(args, servers, args.tcpbench)
        report(args, results, servers)
        print_load(load_before, load_average())
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
