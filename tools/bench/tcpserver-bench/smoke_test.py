#!/usr/bin/env python3
"""Smoke run of tcpserver-bench: every scenario at small N, then checks that it ran and that its
output is sane: a table row per server and level with figures above 0, no errors, a line per
goal, the lookups scenarios' scripted DNS server and identd asked once a connection at least,
CSV files that parse with a line per level, and SVG plots when gnuplot is on PATH (the loud
warning when it is not). The tcprules curve likewise, at two small sizes, its cdbs
byte-identical; the store curve at two small stores, with a few writers at once losing no
login. Never a speed: timings are not pass/fail.

With --softlimit, the softlimit scenario alone (a run of its own: its bisection is minutes at
the default step), coarse, with stores none and cdb: a row per server and store with a floor
in the bisection's range that is no smaller than the server's own VmSize (the limit applied), a
goal line, the CSV, progress lines. Never a particular size.

    smoke_test.py --bench BUILD/bin/tcpserver-bench --ours BUILD/bin/tcpserver \
                  --reference-dir BUILD/reference [--softlimit]
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

# mysql and mysql+20ms start a private MariaDB (about 7 s in all): CI installs it, and a
# missing one fails the run, as the project's MySQL tests do. dns+ident and dns+ident-djb take
# root (a network namespace of their own), as CI runs; without it they fail the run, loudly.
LOOKUPS = ["dns+ident", "dns+ident-djb"]
SCENARIOS = ["plain", "rules", "store", "relay-ctrl", "long", "ceiling", "mysql",
             "mysql+20ms"] + LOOKUPS
SERVERS = {"plain": ("ours", "djb"), "rules": ("ours", "djb"), "store": ("ours+store", "ours"),
           "relay-ctrl": ("ours+relay-ctrl", "ours"),
           "long": ("ours", "djb"), "ceiling": ("ours", "ceiling"),
           "mysql": ("ours+mysql", "ours"), "mysql+20ms": ("ours+mysql+20ms", "ours+mysql"),
           "dns+ident": ("ours+lookups", "ours"), "dns+ident-djb": ("djb+lookups", "djb")}
LEVELS = {"plain": [1, 16], "rules": [1, 2, 4, 16], "store": [1, 16], "relay-ctrl": [1, 16],
          "long": [4],
          "ceiling": [1, 2, 4, 16], "mysql": [1, 16], "mysql+20ms": [1, 16], "dns+ident": [1, 16],
          "dns+ident-djb": [1, 16]}
ROUNDS = 2
TCPRULES_LINES = [10, 1000]
CONNECTIONS = 30
# The second holds relay-clear's 2,000 old entries and more, so that relay-clear runs there.
STORE_SIZES = [10, 5000]
STORE_WRITERS = 2
DNS_LATENCY, IDENT_LATENCY = 3, 4  # not the defaults: the report must print the ones used

# A coarse bisection: 6 steps from 500,000 to 64,000,000 bytes, to a floor at most 1,492,187
# for a server that serves under any limit (none applied): below every server's VmSize.
SOFTLIMIT_STEP = 1000000
SOFTLIMIT_STORES = ["none", "cdb"]
SOFTLIMIT_ROWS = [("none", "ours"), ("none", "djb"), ("cdb", "ours")]  # djb's has no store
SOFTLIMIT_LOW, SOFTLIMIT_HIGH, SOFTLIMIT_CONNECTIONS = 500000, 64000000, 200

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAILED: " + what)


def read_csv(out, name):
    """OUT/NAME.csv's rows, or None (a failure said) when it was not written."""
    path = os.path.join(out, name + ".csv")
    check(os.path.exists(path), path + " written")
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def programs(args):
    ref = os.path.join(args.reference_dir, "ucspi-tcp", "usr", "bin")
    return [args.bench, "--ours", args.ours, "--reference", os.path.join(ref, "tcpserver"),
            "--tcprules", os.path.join(ref, "tcprules")]


def run_bench(args, out):
    argv = programs(args) + ["--connections", str(CONNECTIONS),
            "--dns-latency", str(DNS_LATENCY), "--ident-latency", str(IDENT_LATENCY),
            "--rounds", str(ROUNDS), "--concurrency", "1,16", "--curve", "1,2,4",
            "--curves", "rules,ceiling", "--long-concurrency", "4", "--seconds", "30",
            "--our-tcprules", os.path.join(os.path.dirname(args.ours), "tcprules"),
            "--tcprules-lines", ",".join(str(n) for n in TCPRULES_LINES),
            "--store-sizes", ",".join(str(n) for n in STORE_SIZES), "--store-rounds", "20",
            "--store-writers", str(STORE_WRITERS), "--store-lookups", "3000",
            "--scenarios", ",".join(SCENARIOS + ["tcprules", "store-curve"]), "--out", out]
    print("running: " + " ".join(argv), flush=True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=240)


def check_table(stdout):
    for name in SCENARIOS:
        check(re.search(r"^scenario %s: " % re.escape(name), stdout, re.M),
              "a table for scenario %s" % name)
    # c  server  conn/s  p50  p99  max  RSS  VmSize  errors [x ceiling]
    row = re.compile(r"^\s*(\d+)\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+"
                     r"(\d+)\s+(\d+)(?:\s+([\d.]+))?\s*$", re.M)
    rows = row.findall(stdout)
    expected = sum(len(LEVELS[s]) * 2 for s in SCENARIOS)
    check(len(rows) == expected, "%d table rows (got %d)" % (expected, len(rows)))
    for r in rows:
        label = "row %s" % " ".join(x for x in r if x)
        check(all(float(x) > 0 for x in r[2:8]), label + ": every figure above 0")
        check(r[8] == "0", label + ": no errors")
    ratios = re.findall(r"^\s*\d+\s+\S+/\S+\s+([\d.]+)x\s+([\d.]+)x", stdout, re.M)
    check(len(ratios) == expected // 2 and all(float(a) > 0 and float(b) > 0 for a, b in ratios),
          "a ratio row per level, above 0")
    check(len(re.findall(r"^parent .* fds \d+ / \d+ / \d+$", stdout, re.M)) == 2 * len(SCENARIOS),
          "a footprint line per server")
    goals = re.findall(r"^goal: .*", stdout, re.M)
    check(len(goals) == 14, "14 goal lines (got %d)" % len(goals))
    latency = "DNS %d ms, ident %d ms" % (DNS_LATENCY, IDENT_LATENCY)
    check(any("DNS and ident" in g and "(%s)" % latency in g for g in goals),
          "the lookups goal names the latencies used")
    for g in goals:
        if "MySQL 20 ms away" in g:  # its level, 64 clients, is beyond the smoke run's
            check("not measured" in g, "goal not measured without its level: " + g)
        else:
            check(g.endswith("met") or g.endswith("MISSED"), "goal measured: " + g)


def check_lookups(stdout):
    """The lookups happened: each scripted server counted, for each scenario, at least one
    query per connection its A made (-H -R's B makes none), and nothing it could not answer."""
    latency = "DNS %d ms, ident %d ms" % (DNS_LATENCY, IDENT_LATENCY)
    made = CONNECTIONS * len(LEVELS["dns+ident"]) * ROUNDS
    for name in LOOKUPS:
        table = re.search(r"^scenario %s: (.*?)(?=^scenario |^goals)" % re.escape(name), stdout,
                          re.M | re.S)
        check(table and latency in table.group(1), "scenario %s names %s" % (name, latency))
        counts = table and re.search(r"^lookups answered by the scripted servers .*: PTR (\d+), "
                                     r"A (\d+), other (\d+), ident (\d+)$", table.group(1), re.M)
        check(counts, "scenario %s: the scripted servers' counts" % name)
        if counts:
            ptr, _, other, ident = (int(x) for x in counts.groups())
            check(ptr >= made and ident >= made and other == 0,
                  "scenario %s: >= %d PTR and ident queries, none other (got %s)"
                  % (name, made, counts.group(0)))


def check_tcprules(stdout, out):
    check(re.search(r"^scenario tcprules: ours vs djb", stdout, re.M), "a table for tcprules")
    # lines  tcprules  wall ms  peak kB  errors
    rows = re.findall(r"^\s*(\d+)\s+(ours|djb)\s+([\d.]+)\s+(\d+)\s+(\d+)\s*$", stdout, re.M)
    check([(int(r[0]), r[1]) for r in rows] ==
          [(n, side) for n in TCPRULES_LINES for side in ("ours", "djb")],
          "a tcprules row per side and size (got %d)" % len(rows))
    for r in rows:
        check(float(r[2]) > 0 and int(r[3]) > 0 and r[4] == "0",
              "tcprules row %s: figures above 0, no errors" % " ".join(r))
    check("tcprules: ERROR" not in stdout and "cdbs: byte-identical in every round" in stdout,
          "tcprules: no errors, identical cdbs")
    check(re.search(r"^goal: tcprules wall time at %d lines .*(met|MISSED)$" % TCPRULES_LINES[-1],
                    stdout, re.M), "the tcprules goal at the largest size")
    path = "tcprules.csv"
    lines = read_csv(out, "tcprules")
    if lines is not None:
        check([int(r["lines"]) for r in lines] == TCPRULES_LINES, path + ": a line per size")
        for r in lines:
            check(all(float(r[k]) > 0 for k in ("a_wall_ms", "a_rss_kib", "b_wall_ms", "b_rss_kib",
                                                  "time_ratio", "rss_ratio")),
                  path + ": figures above 0")
            check(r["errors"] == "0", path + ": no errors")


def check_store_curve(stdout, out):
    section = re.search(r"^scenario store-curve: (.*?)(?=^goals)", stdout, re.M | re.S)
    check(section, "a table for store-curve")
    text = section.group(1) if section else ""
    # entries, six cells "p50 / p99 (runs)" (new, 600 s, 10 s, /bin/true, no-op, in process),
    # relay-clear p50 or -, lost, warned
    cell = r"([\d.]+) / ([\d.]+) \((\d+)\)\s+"
    rows = re.findall(r"^\s*(\d+)\s+" + cell * 6 + r"(-|[\d.]+)\s+(\d+)\s+(\d+)\s*$", text, re.M)
    check([int(r[0]) for r in rows] == STORE_SIZES, "a relay-allow row per size (got %d)" % len(rows))
    for r in rows:
        label = "store-curve row %s" % r[0]
        check(all(float(x) > 0 for x in r[1:19]), label + ": every figure above 0")
        check((r[19] == "-") == (int(r[0]) < 4000), label + ": relay-clear timed in large stores")
        check(r[19] == "-" or float(r[19]) > 0, label + ": relay-clear above 0")
        check(r[20] == "0" and r[21] == "0", label + ": no login lost, no warning")
    lookups = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", text, re.M)
    check([int(r[0]) for r in lookups] == STORE_SIZES, "a lookup row per size")
    check(all(float(x) > 0 for r in lookups for x in r[1:]), "lookup figures above 0")
    writers = re.search(r"^%d writers at once on %d entries: .*acknowledged (\d+), lost (\d+), "
                        r"warned (\d+)$" % (STORE_WRITERS, STORE_SIZES[-1]), text, re.M)
    check(writers and int(writers.group(1)) > 0 and writers.group(2) == "0"
          and writers.group(3) == "0", "the writers' run: logins acknowledged, none lost")
    goals = re.findall(r"^goal: (relay-allow p50|relay-allow p99|tcpserver's store lookup|no "
                       r"login lost).*  (met|MISSED)$", stdout, re.M)
    check(len(goals) == 4, "4 store-curve goals measured (got %d)" % len(goals))
    check(("no login lost", "met") in goals, "the lost-login goal met")
    path = "store-curve.csv"
    lines = read_csv(out, "store-curve")
    if lines is not None:
        check([int(r["entries"]) for r in lines] == STORE_SIZES, path + ": a line per size")
        for r in lines:
            check(all(float(r[k]) > 0 for k in ("new_p50_ms", "refresh600_p50_ms",
                                                  "refresh10_p50_ms", "true_p50_ms", "lookup_us",
                                                  "longest_during_fold_ms",
                                                  "first_after_unseen_fold_ms", "noop_p50_ms",
                                                  "in_process_p50_ms")),
                  path + ": figures above 0")
            check(r["lost"] == "0" and r["warned"] == "0", path + ": no login lost")
    path = "store-writers.csv"
    lines = read_csv(out, "store-writers")
    if lines is not None:
        check(len(lines) == 1 and lines[0]["lost"] == "0" and int(lines[0]["acknowledged"]) > 0,
              path + ": the writers' run, none lost")


def run_softlimit(args, out):
    argv = programs(args) + ["--scenarios", "softlimit",
                             "--softlimit-stores", ",".join(SOFTLIMIT_STORES),
                             "--softlimit-step", str(SOFTLIMIT_STEP), "--out", out]
    print("running: " + " ".join(argv), flush=True)
    return subprocess.run(argv, capture_output=True, text=True, timeout=240)


def check_softlimit(stdout, stderr, out):
    section = re.search(r"^scenario softlimit: (.*?)(?=^goals)", stdout, re.M | re.S)
    check(section, "a table for softlimit")
    text = section.group(1) if section else ""
    # store  server  lowest -m  VmSize start  VmRSS start  VmSize +200  VmRSS +200
    rows = re.findall(r"^(\S+)\s+(ours|djb)\s+(\d+)\s+(\d+) kB\s+(\d+) kB\s+(\d+) kB\s+(\d+) kB$",
                      text, re.M)
    check([(r[0], r[1]) for r in rows] == SOFTLIMIT_ROWS,
          "a softlimit row per store and server (got %s)" % [(r[0], r[1]) for r in rows])
    for r in rows:
        label = "softlimit row %s %s" % (r[0], r[1])
        floor, vmsize = int(r[2]), int(r[3])
        check(SOFTLIMIT_LOW < floor <= SOFTLIMIT_HIGH, label + ": a floor in the bisection's range")
        check(all(int(x) > 0 for x in r[3:]), label + ": VmSize and VmRSS above 0")
        # Under RLIMIT_AS N a process is at most N bytes big: a floor below the server's own
        # VmSize means the limit was never applied.
        check(floor >= vmsize * 1024, label + ": floor %d >= its VmSize %d kB" % (floor, vmsize))
    check(re.search(r"^goal: tcpserver's lowest softlimit -m .*  (met|MISSED)$", stdout, re.M),
          "the softlimit goal measured")
    check(re.search(r"^\[\d+/\d+.*\] softlimit ours store none -m \d+: ", stderr, re.M),
          "progress lines while it bisects")
    lines = read_csv(out, "softlimit")
    if lines is not None:
        check([(r["store"], r["server"]) for r in lines] == SOFTLIMIT_ROWS,
              "softlimit.csv: a line per row")
        for r in lines:
            check(SOFTLIMIT_LOW < int(r["lowest_m"]) <= SOFTLIMIT_HIGH
                  and int(r["step"]) == SOFTLIMIT_STEP
                  and int(r["connections"]) == SOFTLIMIT_CONNECTIONS
                  and all(int(r[k]) > 0 for k in ("vmsize_start_kib", "vmrss_start_kib",
                                                  "vmsize_open_kib", "vmrss_open_kib")),
                  "softlimit.csv: sane figures in %s" % r)


def check_csv(out):
    for name in SCENARIOS:
        path = os.path.join(out, name + ".csv")
        check(os.path.exists(path), path + " written")
        if not os.path.exists(path):
            continue
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        check([int(r["concurrency"]) for r in rows] == LEVELS[name], path + ": a line per level")
        for r in rows:
            check(r["a_server"] == SERVERS[name][0] and r["b_server"] == SERVERS[name][1],
                  path + ": the servers named")
            for side in "ab":
                for field in ("conn_per_s", "p50_ms", "p99_ms", "max_ms", "rss_kib", "vmsize_kib"):
                    check(float(r[side + "_" + field]) > 0, "%s: %s_%s > 0" % (path, side, field))
                check(r[side + "_errors"] == "0", "%s: %s_errors 0" % (path, side))
            check(float(r["rate_ratio"]) > 0 and float(r["p50_ratio"]) > 0, path + ": ratios")
            check(int(r["a_fds"]) > 0 and int(r["b_fds"]) > 0, path + ": the parents' descriptors")
    with open(os.path.join(out, "runs.csv"), newline="") as f:
        runs = list(csv.DictReader(f))
    check(len(runs) == sum(len(LEVELS[s]) for s in SCENARIOS) * ROUNDS * 2,
          "runs.csv: a line per run (got %d)" % len(runs))
    check(all(int(r["connections"]) > 0 and int(r["errors"]) == 0 and int(r["empty"]) == 0
              for r in runs), "runs.csv: connections made, none failed")


def check_plots(out, stdout, stderr):
    if shutil.which("gnuplot"):
        for name in ["plain", "rules", "store", "relay-ctrl", "ceiling", "mysql", "mysql+20ms",
                     "tcprules", "store-curve"] + LOOKUPS:
            path = os.path.join(out, name + ".svg")
            check(os.path.exists(path), path + " drawn")
            if os.path.exists(path):
                with open(path) as f:
                    check("<svg" in f.read(), path + " is an SVG")
    else:
        print("gnuplot is not on PATH: checking the warning instead of the plots")
        check("gnuplot is not on PATH" in stderr and "plots: NONE" in stdout,
              "the missing gnuplot said loudly")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--reference-dir", required=True)
    ap.add_argument("--softlimit", action="store_true")
    args = ap.parse_args()
    out = tempfile.mkdtemp(prefix="tcpserver-bench-smoke.")
    try:
        result = (run_softlimit if args.softlimit else run_bench)(args, out)
        print(result.stdout)
        print(result.stderr, file=sys.stderr)
        check(result.returncode == 0, "exit 0 (got %d)" % result.returncode)
        check(re.search(r"^\[\d+/\d+", result.stderr, re.M), "progress lines on stderr")
        if result.returncode == 0 and args.softlimit:
            check_softlimit(result.stdout, result.stderr, out)
        elif result.returncode == 0:
            check_table(result.stdout)
            check_lookups(result.stdout)
            check_tcprules(result.stdout, out)
            check_store_curve(result.stdout, out)
            check_csv(out)
            check_plots(out, result.stdout, result.stderr)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
