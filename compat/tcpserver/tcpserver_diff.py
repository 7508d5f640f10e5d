#!/usr/bin/env python3
"""Differential suite: our tcpserver against Debian's djb (IPv4) and fefe (IPv6) builds.

Every scenario runs twice, once with our binary and once with the reference, through the same
steps; each run yields a transcript (exit codes, stderr, what clients read, the -v log) with
PIDs and ports replaced by stable tokens. The transcripts must be equal, except where a
scenario documents a deliberate difference (a reference bug named in the spec).

This file is the command line and the comparison; harness.py runs servers and clients, and the
scenarios live in scenarios_*.py by area (AREAS below, in the order they run).

Usage:
  tcpserver_diff.py --ours build/bin/tcpserver --reference-dir build/reference [-k SUBSTR] [-v]
  tcpserver_diff.py --self-test --reference-dir DIR     (reference against itself: harness check)
  tcpserver_diff.py --list

Safety: DNS and ident are always off (-H -R -l NAME); DNSCACHEIP=127.0.0.1 keeps any stray
lookup on loopback; clients talk only to 127.0.0.1 and ::1; every wait has a timeout; every
tcpserver runs in its own process group, which is SIGKILLed when its run ends.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile

import scenarios_child
import scenarios_concurrency
import scenarios_env
import scenarios_ipv6
import scenarios_options
import scenarios_rules
import scenarios_rules_file
import scenarios_signals
import scenarios_startup
from harness import reference_binary, run_scenario, same, scenarios_in, show_diff

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "support"))
from checks import Checks  # noqa: E402

AREAS = [scenarios_startup, scenarios_options, scenarios_env, scenarios_child,
         scenarios_concurrency, scenarios_signals, scenarios_rules, scenarios_rules_file,
         scenarios_ipv6]
SCENARIOS = [sc for area in AREAS for sc in scenarios_in(area)]


def parse_arguments():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", help="our tcpserver binary")
    ap.add_argument("--reference-dir", help="where fetch-reference.sh extracted the builds")
    ap.add_argument("--self-test", action="store_true",
                    help="run the reference as 'ours' (checks the harness is deterministic)")
    ap.add_argument("-k", dest="filter", default="", help="only scenarios whose name has this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="print every transcript")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if not args.list and (not args.reference_dir or not (args.ours or args.self_test)):
        ap.error("--reference-dir and --ours (or --self-test) are needed")
    return args


def missing_binary(args):
    """The first binary the run needs that is not there: a missing one fails, never skips."""
    for binary in [args.ours, reference_binary(args.reference_dir, "djb"),
                   reference_binary(args.reference_dir, "fefe")]:
        if binary and not os.access(binary, os.X_OK):
            return binary
    return None


def main():
    args = parse_arguments()
    if args.list:
        for sc in SCENARIOS:
            print("%-36s %s" % (sc.name, sc.doc.split("\n")[0]))
        return 0
    args.reference_dir = os.path.abspath(args.reference_dir)
    args.ours = args.ours and os.path.abspath(args.ours)
    missing = missing_binary(args)
    if missing:
        print("compat.tcpserver: FAIL: no executable %s" % missing)
        print("0 passed, 1 failed")
        return 1
    # A defined start: nothing blocked, so the child's SigBlk shows only what tcpserver did.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    base = tempfile.mkdtemp(prefix="tcpserver-diff-")
    checks, failed = Checks(), []
    try:
        for sc in SCENARIOS:
            if args.filter not in sc.name:
                continue
            ok, report = compare(sc, args, base)
            if not checks.check(sc.name, ok, "the transcripts differ"):
                failed.append(sc.name)
            if report and (not ok or args.verbose):
                print(report, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("\n%d scenarios: %d passed, %d failed" % (checks.passed + checks.failed, checks.passed,
                                                    checks.failed))
    if failed:
        print("failed: " + " ".join(failed))
    return checks.finish()


def compare(sc, args, base):
    """Run one scenario for ours and its reference; (equal?, report text)."""
    workdir = os.path.join(base, sc.name)
    if sc.ref is None:
        if args.self_test:
            return True, "    (ours only: skipped in self-test)"
        ours = run_scenario(sc, "ours", args.ours, args.reference_dir, workdir)
        expected = sc.ours_only(ours)
    else:
        ref_bin = reference_binary(args.reference_dir, sc.ref)
        expected = run_scenario(sc, sc.ref, ref_bin, args.reference_dir, workdir)
        if args.self_test:  # the reference plays ours, with its own label and options
            ours = run_scenario(sc, sc.ref, ref_bin, args.reference_dir, workdir)
        else:
            ours = run_scenario(sc, "ours", args.ours, args.reference_dir, workdir)
        if sc.expect and not args.self_test:
            expected = sc.expect(expected)
    # A scenario that broke (on either side) proves nothing: it fails even if both broke alike.
    ok = same(expected, ours) and not any("EXCEPTION" in str(l) for l in expected + ours)
    if ok:
        report = "\n".join("    " + l for l in ours)
    else:
        report = "  reference: %s\n%s" % (sc.ref, show_diff(expected, ours))
        broken = [str(l) for l in expected + ours if "EXCEPTION" in str(l)]
        report += "".join("\n    broken scenario: " + l for l in broken)
    return ok, report


if __name__ == "__main__":
    sys.exit(main())
