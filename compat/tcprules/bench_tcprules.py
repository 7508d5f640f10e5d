#!/usr/bin/env python3
"""Benchmark: our tcprules against djb's on a large realistic rules file (not a ctest test).

Generates a seeded rules file (exact IPs, dotted prefixes, ranges, =host, =.domain, info@ip,
several variables per line, comments and blank lines), then runs ours and djb's tcprules on it
alternately, ROUNDS times each. Reports every run's wall time and peak RSS (ru_maxrss of the
child, from wait4), the medians, the ratios ours/djb, and checks that every cdb produced is
byte-identical to djb's.

    python3 compat/tcprules/bench_tcprules.py --tcprules build-compat/bin/tcprules \
        --reference build-compat/reference [--lines 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import random
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SEED = 88


# ---------------------------------------------------------------------------------------------
# Input


def variables(rng: random.Random, relay_ok: bool = True) -> str:
    """One to four instructions, the kind qmail sites put in tcp.smtp."""
    pool = ['RBLSMTPD=""', 'QMAILQUEUE="/var/qmail/bin/qmail-scanner-queue"',
            'DATABYTES="20000000"', 'SMTPAUTH="1"', 'CHKUSER_RCPTLIMIT="50"',
            'HELOCHECK="/x/"', "GREETDELAY='5'", 'RBLSMTPD="-blocked, see http://x.example/"']
    if relay_ok:
        pool.append('RELAYCLIENT=""')
    picked = rng.sample(pool, rng.randint(1, 4))
    return "," + ",".join(picked)


def dotted(rng: random.Random, parts: int) -> str:
    return ".".join(str(rng.randrange(256)) for _ in range(parts))


# (share of the lines, maker): the mix of a big qmail site's tcp.smtp.
LINE_KINDS = [
    (40, lambda r: f"{dotted(r, 4)}:allow{variables(r)}"),
    (10, lambda r: f"{dotted(r, 3)}.:{r.choice(['allow', 'deny'])}{variables(r)}"),
    (5, lambda r: f"{dotted(r, 2)}.:deny"),
    (8, lambda r: range_line(r)),
    (10, lambda r: f"=mail{r.randrange(10**6)}.example{r.randrange(1000)}.com:allow{variables(r)}"),
    (5, lambda r: f"=.spammer{r.randrange(10**5)}.example:deny"),
    (10, lambda r: f"user{r.randrange(10**4)}@{dotted(r, 4)}:allow{variables(r)}"),
    (6, lambda r: f"# note {r.randrange(10**9)}: why this host is listed"),
    (6, lambda r: ""),
]


def range_line(rng: random.Random) -> str:
    low = rng.randrange(250)
    return f"{dotted(rng, 3)}.{low}-{low + rng.randint(1, 7)}:allow{variables(rng)}"


def rule_line(rng: random.Random) -> str:
    weights = [share for share, _ in LINE_KINDS]
    return rng.choices(LINE_KINDS, weights)[0][1](rng)


def write_rules(path: Path, lines: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        for _ in range(lines - 1):
            out.write(rule_line(rng) + "\n")
        # The catch-all last, without RELAYCLIENT (that would be an open relay, and ours warns).
        out.write(":allow" + variables(rng, relay_ok=False) + "\n")


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measure:
    name: str
    seconds: float
    cpu_seconds: float  # user + system
    max_rss_kib: int
    status: int
    stderr: bytes
    digest: str


PR_SET_CHILD_SUBREAPER = 36

# Linux carries the peak RSS of the memory image a process execs *from* into its ru_maxrss,
# and a child spawned by this script starts from Python's image: ru_maxrss would never drop
# below Python's own size. So a tiny /bin/sh starts a background subshell (a fork of sh, about
# 1 MiB) and exits; we are a subreaper, so the subshell becomes our child. It waits on a gate
# pipe, then execs the program; wait4 gives the program's own ru_maxrss. The clock starts
# when the gate opens, so shell start-up is not timed.
LAUNCH = '(read go <&3; exec "$@" <"$IN" >/dev/null 2>"$ERR" 3<&-) & echo $!'


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def spawn_and_wait(argv: list[str], stdin: Path, stderr: Path):
    """Runs argv; returns (wall seconds, wait status, rusage) of argv's own process."""
    pid_read, pid_write = os.pipe()
    gate_read, gate_write = os.pipe()
    shell = os.posix_spawn("/bin/sh", ["sh", "-c", LAUNCH, "sh"] + argv,
                           {"IN": str(stdin), "ERR": str(stderr)},
                           file_actions=[(os.POSIX_SPAWN_DUP2, pid_write, 1),
                                         (os.POSIX_SPAWN_DUP2, gate_read, 3)])
    os.close(pid_write)
    os.close(gate_read)
    with os.fdopen(pid_read, "rb") as pipe:
        pid = int(pipe.readline())  # one line: the subshell keeps the pipe open until exec
    os.waitpid(shell, 0)  # from here on the subshell is our child
    start = time.perf_counter()
    os.close(gate_write)
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, status, usage


def file_digest(path: Path) -> str:
    if not path.exists():
        return "(no cdb)"
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)  # in blocks: keep this process small
    return digest.hexdigest()


def run_once(name: str, tcprules: str, rules: Path, workdir: Path) -> Measure:
    """One tcprules run with stdin from the rules file."""
    cdb, tmp, err = workdir / f"{name}.cdb", workdir / f"{name}.tmp", workdir / f"{name}.err"
    for leftover in (cdb, tmp):
        if leftover.exists():
            leftover.unlink()
    seconds, status, usage = spawn_and_wait([tcprules, str(cdb), str(tmp)], rules, err)
    return Measure(name, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, status,
                   err.read_bytes(), file_digest(cdb))


def describe_cdb(path: Path) -> str:
    if not path.exists():
        return "cdb: none"
    with path.open("rb") as data:
        header = data.read(2048)
    # Each hash table has twice as many slots as it has records.
    records = sum(struct.unpack("<512I", header)[1::2]) // 2
    return f"cdb: {records} records, {path.stat().st_size / 2**20:.1f} MiB"


def report(measures: list[Measure]) -> bool:
    for m in measures:
        print(f"  {m.name:5} wall {m.seconds:8.3f} s  cpu {m.cpu_seconds:8.3f} s  "
              f"peak RSS {m.max_rss_kib / 1024:8.1f} MiB  status {m.status}  "
              f"cdb sha256 {m.digest[:16]}")
    ok = True
    medians = {}
    for name in ("ours", "djb"):
        runs = [m for m in measures if m.name == name]
        medians[name] = (statistics.median(m.seconds for m in runs),
                         statistics.median(m.max_rss_kib for m in runs),
                         statistics.median(m.cpu_seconds for m in runs))
        print(f"median {name:5} wall {medians[name][0]:8.3f} s  cpu {medians[name][2]:8.3f} s  "
              f"peak RSS {medians[name][1] / 1024:8.1f} MiB")
        for m in runs:
            if m.status != 0 or m.stderr:
                print(f"  {name} failed: status {m.status}, stderr {m.stderr[:200]!r}")
                ok = False
    print(f"ratio ours/djb: wall {medians['ours'][0] / medians['djb'][0]:.2f}, "
          f"cpu {medians['ours'][2] / medians['djb'][2]:.2f}, "
          f"peak RSS {medians['ours'][1] / medians['djb'][1]:.2f}")
    digests = {m.digest for m in measures}
    identical = len(digests) == 1
    print("cdb files: " + ("all byte-identical" if identical else f"DIFFER: {sorted(digests)}"))
    return ok and identical


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tcprules", required=True, help="our tcprules (a Release build)")
    parser.add_argument("--reference", required=True, help="dir filled by fetch-reference.sh")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    djb = str(Path(args.reference) / "ucspi-tcp" / "usr" / "bin" / "tcprules")
    for binary in (args.tcprules, djb):
        if not os.access(binary, os.X_OK):
            sys.exit(f"missing binary {binary}")
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix="bench-tcprules-") as tmp:
        workdir = Path(tmp)
        rules = workdir / "rules.txt"
        write_rules(rules, args.lines, args.seed)
        print(f"input: {args.lines} lines, {rules.stat().st_size / 2**20:.1f} MiB (seed {args.seed})")
        floor = spawn_and_wait(["/bin/true"], Path(os.devnull), Path(os.devnull))[2].ru_maxrss
        print(f"measurement floor: /bin/true peaks at {floor / 1024:.1f} MiB")
        measures = []
        for round_number in range(args.rounds):
            # Alternate the order each round so neither side always runs on a warmer cache.
            order = [("ours", args.tcprules), ("djb", djb)]
            if round_number % 2:
                order.reverse()
            for name, binary in order:
                measures.append(run_once(name, binary, rules, workdir))
        print(describe_cdb(workdir / "djb.cdb"))
        return 0 if report(measures) else 1


if __name__ == "__main__":
    sys.exit(main())
