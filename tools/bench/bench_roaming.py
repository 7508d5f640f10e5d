#!/usr/bin/env python3
"""What the roaming store costs tcpserver: conn/s and latency of our tcpserver with no store,
with the cdb store, with the MySQL store, and with the MySQL store behind 20 ms of injected
round-trip latency, side by side in one run, alternating rounds. Not a test: it prints figures.

    tools/bench/bench_roaming.py --build-dir build [--rounds 3] [--connections 4000]

Every connection comes from 127.0.0.1, whose entry is in each store (with 10,000 others), and
no rule gives it RELAYCLIENT, so every connection asks the store. Child: /bin/echo hi.
MySQL: a private MariaDB started by tests/support/mariadb-fixture.sh, stopped at the end.
Loopback only; every run is bounded by --cap seconds.
"""
import argparse
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(TOP, "tests", "support", "mariadb-fixture.sh")
ENTRIES = 10_000
RULES = b"127.0.0.3:deny\n10.0.0.0/8:allow,RELAYCLIENT=\"\"\n:allow\n"


def cdb_bytes(records):
    """A djb cdb of (key, data) byte pairs (the format is public and tiny)."""
    def h(key):
        v = 5381
        for b in key:
            v = ((v << 5) + v ^ b) & 0xFFFFFFFF
        return v
    body, entries, pos = bytearray(), [[] for _ in range(256)], 2048
    for key, data in records:
        body += struct.pack("<II", len(key), len(data)) + key + data
        entries[h(key) & 255].append((h(key), pos))
        pos += 8 + len(key) + len(data)
    header, tables = bytearray(), bytearray()
    for bucket in entries:
        slots = [(0, 0)] * (2 * len(bucket))
        for hv, p in bucket:
            i = (hv >> 8) % len(slots)
            while slots[i][1]:
                i = (i + 1) % len(slots)
            slots[i] = (hv, p)
        header += struct.pack("<II", pos + len(tables), len(slots))
        for hv, p in slots:
            tables += struct.pack("<II", hv, p)
    return bytes(header + body + tables)


def seed_ips():
    return ["127.0.0.1"] + [f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in range(1, ENTRIES)]


def make_cdb_store(path):
    now = str(int(time.time())).encode()
    records = [(b"", b"ucspi-relay roaming 1")] + [(ip.encode(), now) for ip in seed_ips()]
    with open(path, "wb") as f:
        f.write(cdb_bytes(records))
    return f"cdb:{path}"


def conf_value(path, tag):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0] == tag:
                return parts[1]
    raise SystemExit(f"bench_roaming: no {tag} in {path}")


def make_mysql_store(bin_dir, dbdir):
    subprocess.run(["bash", FIXTURE, "start", dbdir], check=True, capture_output=True, timeout=180)
    conf = os.path.join(dbdir, "sql.conf")
    subprocess.run([os.path.join(bin_dir, "relay-allow"), "-s", f"mysql:{conf}", "-i", "127.0.0.1"],
                   check=True, timeout=30)  # creates the table as the tools do
    now = int(time.time())
    values = ",".join(f"('{ip}',{now})" for ip in seed_ips())
    sock = conf_value(os.path.join(dbdir, "sql-socket.conf"), "socket")
    subprocess.run(["mariadb", "--no-defaults", f"--socket={sock}", "-uroot", "vpopmail"],
                   input=f"REPLACE INTO relay (ip_addr, timestamp) VALUES {values};\n".encode(),
                   check=True, timeout=60)
    return conf


class DelayProxy:
    """Forwards 127.0.0.1:port to the database, holding each chunk half the delay each way."""

    def __init__(self, target_port, round_trip_ms):
        self.delay = round_trip_ms / 2000.0
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    def pump(self, src, dst):
        try:
            while chunk := src.recv(65536):
                time.sleep(self.delay)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def delayed_conf(conf, port, path):
    with open(conf) as src, open(path, "w") as dst:
        for line in src:
            if line.split()[:1] not in (["server"], ["port"], ["socket"]):
                dst.write(line)
        dst.write(f"server 127.0.0.1\nport {port}\n")
    return path


def run_once(bin_dir, work, store, concurrency, connections, cap):
    args = [os.path.join(bin_dir, "tcpserver"), "-1", "-R", "-H", "-l", "bench", "-c", "100",
            "-b", "100", "-x", os.path.join(work, "rules.cdb")]
    if store:
        args += ["-s", store]
    args += ["127.0.0.1", "0", "/bin/echo", "hi"]
    server = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        port = int(server.stdout.readline())
        out = subprocess.run([os.path.join(bin_dir, "tcpbench"), "-p", str(port), "-c",
                              str(concurrency), "-n", str(connections), "-t", str(cap)],
                             capture_output=True, text=True, timeout=cap + 30).stdout
    finally:
        server.kill()
        server.wait()
    fields = dict(kv.split("=") for kv in out.split() if "=" in kv)
    return float(fields["conn_per_s"]), int(fields["p50_us"]) / 1000, int(fields["p99_us"]) / 1000, \
        int(fields["errors"]) + int(fields["empty"])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(TOP, "build"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=4000)
    p.add_argument("--concurrency", default="16,64")
    p.add_argument("--cap", type=int, default=60)
    a = p.parse_args()
    bin_dir = os.path.join(a.build_dir, "bin")
    work = tempfile.mkdtemp(prefix="bench-roaming.")
    dbdir = os.path.join(work, "mariadb")
    try:
        rules_txt = os.path.join(work, "rules.txt")
        with open(rules_txt, "wb") as f:
            f.write(RULES)
        with open(rules_txt, "rb") as f:
            subprocess.run([os.path.join(bin_dir, "tcprules"), os.path.join(work, "rules.cdb"),
                            os.path.join(work, "rules.tmp")], stdin=f, check=True)
        conf = make_mysql_store(bin_dir, dbdir)
        proxy = DelayProxy(int(conf_value(conf, "port")), 20)
        stores = {
            "none": None,
            "cdb": make_cdb_store(os.path.join(work, "relay.cdb")),
            "mysql": f"mysql:{conf}",
            "mysql+20ms": f"mysql:{delayed_conf(conf, proxy.port, os.path.join(work, 'delayed.conf'))}",
        }
        results = {}
        for c in [int(x) for x in a.concurrency.split(",")]:
            for r in range(a.rounds):
                order = list(stores) if r % 2 == 0 else list(reversed(stores))
                for name in order:
                    got = run_once(bin_dir, work, stores[name], c, a.connections, a.cap)
                    results.setdefault((c, name), []).append(got)
                    print(f"  c={c:<3} round {r + 1} {name:<11} {got[0]:7.0f} conn/s  p50 {got[1]:7.2f} ms"
                          f"  p99 {got[2]:7.2f} ms  failed {got[3]}", flush=True)
        print(f"\nmedian of {a.rounds} rounds, {a.connections} connections each, store holds "
              f"{ENTRIES} entries; load average {os.getloadavg()[0]:.1f}")
        print(f"{'c':<4} {'store':<11} {'conn/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} {'vs none':>8}")
        medians = {}
        for (c, name), runs in results.items():
            medians[(c, name)] = tuple(statistics.median(x[i] for x in runs) for i in range(3)) + \
                (sum(x[3] for x in runs),)
        for (c, name), (rate, p50, p99, failed) in medians.items():
            ratio = rate / medians[(c, "none")][0]
            print(f"{c:<4} {name:<11} {rate:8.0f} {p50:8.2f} {p99:8.2f} {failed:7} {ratio:7.2f}x")
        print("\ngoals:")
        for c in sorted({c for c, _ in medians}):
            for name in ("cdb", "mysql"):
                ratio = medians[(c, name)][0] / medians[(c, "none")][0]
                print(f"  c={c} {name} conn/s >= 0.95x no store: {ratio:.2f}x  {'met' if ratio >= 0.95 else 'MISSED'}")
        if (64, "mysql") in medians:
            ratio = medians[(64, "mysql+20ms")][0] / medians[(64, "mysql")][0]
            print(f"  c=64 mysql with 20 ms latency >= 0.9x without: {ratio:.2f}x  {'met' if ratio >= 0.9 else 'MISSED'}")
    finally:
        subprocess.run(["bash", FIXTURE, "stop", dbdir], capture_output=True, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
