#!/usr/bin/env python3
"""The lowest `softlimit -m` under which tcpserver serves, ours and djb's side by side, for
each roaming store; and each parent's VmSize and VmRSS at start and with 200 connections open.

    softlimit_floor.py --build-dir build [--stores cdb,relay-ctrl,mysql] [--fixture SCRIPT]

"Serves" means: started as a run file starts it (`softlimit -m N tcpserver -1 -R -H -l NAME
-x rules.cdb [-s STORE] 127.0.0.1 0 CHILD`), it accepts 200 connections at once and every
one of them gets its child's answer, with RELAYCLIENT set by the store where there is one (the
store's entry for 127.0.0.1 is recorded first, so every connection asks the store). The child
is a tiny static program (compiled here), since children inherit the limit: the floor is then
tcpserver's own. djb's tcpserver has no roaming store: its row is the same run without -s.
The search is a bisection to 10 KB. Needs daemontools' softlimit; mysql needs
tests/support/mariadb-fixture.sh (a private MariaDB). Loopback only, bounded in time.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CONNECTIONS = 200
CHILD_C = r"""
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  const char* relay = getenv("RELAYCLIENT");
  const char* text = relay ? "served relay\n" : "served\n";
  if (write(1, text, strlen(text)) < 0) return 1;
  char c;
  while (read(0, &c, 1) > 0) {}  /* held until the client closes */
  return 0;
}
"""


def compile_child(work):
    src, binary = os.path.join(work, "child.c"), os.path.join(work, "child")
    with open(src, "w") as f:
        f.write(CHILD_C)
    subprocess.run(["cc", "-O2", "-static", "-o", binary, src], check=True)
    return binary


def status_of(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Run:
    """One tcpserver under a softlimit; None port when it did not start."""

    def __init__(self, binary, limit, args, env):
        argv = ([shutil.which("softlimit"), "-m", str(limit)] if limit else []) + [binary] + args
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, start_new_session=True)
        line = self.proc.stdout.readline()
        self.port = int(line) if line.strip().isdigit() else None

    def serve_all(self, expect):
        """Opens CONNECTIONS at once; True when every one got the expected answer."""
        if self.port is None:
            return False
        socks, ok = [], True
        try:
            for _ in range(CONNECTIONS):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                socks.append(s)
            for s in socks:
                s.settimeout(10)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(64)
                    if not chunk:
                        break
                    data += chunk
                ok = ok and data.decode() == expect
        except OSError:
            ok = False
        self.memory = (status_of(self.proc.pid, "VmSize"), status_of(self.proc.pid, "VmRSS")) \
            if self.proc.poll() is None else (0, 0)
        for s in socks:
            s.close()
        return ok and self.proc.poll() is None

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def serves(binary, limit, args, env, expect):
    run = Run(binary, limit, args, env)
    try:
        return run.serve_all(expect)
    finally:
        run.stop()


def floor(binary, args, env, expect):
    """The lowest limit (bytes, to 10 KB) under which it serves, or None above 64 MB."""
    low, high = 500_000, 64_000_000
    if not serves(binary, high, args, env, expect):
        return None
    while high - low > 10_000:
        mid = (low + high) // 2
        if serves(binary, mid, args, env, expect):
            high = mid
        else:
            low = mid
    return high


def memory(binary, args, env, expect):
    """VmSize and VmRSS (kB) of the parent at start and with CONNECTIONS open, no limit."""
    run = Run(binary, None, args, env)
    try:
        time.sleep(0.2)
        start = (status_of(run.proc.pid, "VmSize"), status_of(run.proc.pid, "VmRSS"))
        ok = run.serve_all(expect)
        return start, run.memory if ok else None
    finally:
        run.stop()


def prepare_store(kind, bin_dir, work, fixture):
    if kind == "none":
        return []
    if kind == "cdb":
        store = f"cdb:{work}/relay.cdb"
    elif kind == "relay-ctrl":
        os.makedirs(f"{work}/relay-ctrl", exist_ok=True)
        store = f"relay-ctrl:{work}/relay-ctrl"
    else:
        r = subprocess.run(["bash", fixture, "start", f"{work}/mariadb"], capture_output=True,
                           text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError("MariaDB did not start:\n" + r.stdout + r.stderr)
        store = f"mysql:{work}/mariadb/sql.conf"
    subprocess.run([os.path.join(bin_dir, "relay-allow"), "-s", store, "-i", "127.0.0.1"],
                   check=True)
    return ["-s", store]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build")
    p.add_argument("--stores", default="cdb,relay-ctrl,mysql")
    p.add_argument("--fixture", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "tests", "support", "mariadb-fixture.sh"))
    a = p.parse_args()
    if not shutil.which("softlimit"):
        sys.exit("softlimit not found: install Debian's daemontools")
    bin_dir = os.path.join(a.build_dir, "bin")
    ours = os.path.join(bin_dir, "tcpserver")
    djb = os.path.join(a.build_dir, "reference", "ucspi-tcp", "usr", "bin", "tcpserver")
    work = tempfile.mkdtemp(prefix="softlimit-floor.")
    env = {"PATH": "/usr/bin:/bin"}
    rows = []
    try:
        child = compile_child(work)
        rules = os.path.join(work, "rules")
        with open(rules + ".txt", "w") as f:
            f.write("127.0.0.2:deny\n:allow\n")
        with open(rules + ".txt", "rb") as f:
            subprocess.run([os.path.join(bin_dir, "tcprules"), rules + ".cdb", rules + ".tmp"],
                           stdin=f, check=True)
        base = ["-1", "-R", "-H", "-l", "bench", "-c", str(CONNECTIONS + 10), "-b", "256",
                "-x", rules + ".cdb"]
        tail = ["127.0.0.1", "0", child]
        for kind in ["none"] + [s for s in a.stores.split(",") if s]:
            store = prepare_store(kind, bin_dir, work, a.fixture)
            expect = "served relay\n" if store else "served\n"
            for name, binary, args in (("ours", ours, base + store + tail), ("djb", djb, base + tail)):
                if name == "djb" and store:
                    continue  # same as its rules-only row
                print(f"... {name} {kind}", file=sys.stderr, flush=True)
                rows.append((kind, name, floor(binary, args, env, expect),
                             *memory(binary, args, env, expect)))
    finally:
        if os.path.isdir(f"{work}/mariadb"):
            subprocess.run(["bash", a.fixture, "purge", f"{work}/mariadb"], capture_output=True,
                           timeout=60)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'store':<11} {'server':<5} {'lowest -m':>11} {'VmSize start':>13} {'VmRSS start':>12}"
          f" {'VmSize +' + str(CONNECTIONS):>13} {'VmRSS +' + str(CONNECTIONS):>12}")
    for kind, name, limit, start, loaded in rows:
        loaded = loaded or (0, 0)
        print(f"{kind:<11} {name:<5} {limit if limit else 'none':>11} {start[0]:>10} kB "
              f"{start[1]:>9} kB {loaded[0]:>10} kB {loaded[1]:>9} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
