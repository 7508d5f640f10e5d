#!/usr/bin/env python3
"""IPv6: ours against fefe's build (Debian ucspi-tcp-ipv6) on IPv6 rules in canonical text.

fefe's tcprules ends the address at the first ':' followed by allow/deny (spec 7.1), and his
tcprulescheck treats ':' as a prefix end. Inputs are written in fefe's canonical ip6_fmt text
(lowercase, longest zero run compressed), where ours and fefe must agree byte for byte;
non-canonical text is difference (d), tested in test_differences.py.

fefe's tcprules never exits on a non-comment, non-empty line without such a colon, so every
reference run has a timeout. On those inputs ours must do what djb does: exit 100 with
"tcprules: fatal: unable to parse this line: LINE" when the line has a ':', and silently ignore
a line without any ':' (as djb and Gentoo's patched fefe do).
"""

from __future__ import annotations

import sys
from pathlib import Path

import corpus
import harness
from harness import CDB_NAME, Client

SEED = 6_0088
FILES = 80
HANG_TIMEOUT = 5.0

FIXED_RULES = b"""::1:allow,a="1"
2001:db8:::deny
:::allow,b="2"
::allow,d="4"
joe@::1:allow,e="5"
@::1:allow,e="empty-info"
joe@=six.example:allow,f="6"
=six.example:deny
2001:db8::1:deny,X="y:allow"
2001:db8::2:allow,X=":deny,"
fe80::1:allow,Y="link-local"
fe80:::allow,Y="fe80-prefix"
2001:db8:0:1::1:allow
::ffff:1.2.3.4:allow,Z="mapped"
::ffff:1.2.3.1-3:allow,Z="mapped-range"
1.2.3.:allow,V4="prefix"
1.2.3.4:deny
127.0-2.:allow
=.example:allow,suffix="1"
:allow,last="empty-key"
"""

FIXED_CLIENTS = ["::1", "::2", "::", "2001:db8::1", "2001:db8::2", "2001:db8::5",
                 "2001:db8:0:1::1", "2001:db8:1::1", "fe80::1", "fe80::2", "a:b",
                 "1.2.3.4", "1.2.3.5", "127.1.0.1", "9.9.9.9", None, ""]

# Lines fefe's tcprules loops on (spec 7.1). With a ':' djb rejects them; without, it skips them.
HANG_LINES = [b"1.2.3.4: deny", b"a:b", b"::1", b"2001:db8::1: allow", b"x:permit",
              b"::1:Allow", b":", b"no colon at all", b"   ", b"\t \t", b"=host"]


def compare_compile(mine: harness.Tools, ref: harness.Tools, rules: bytes, root: Path,
                    timeout: float = harness.DEFAULT_TIMEOUT) -> tuple[harness.Compiled, harness.Compiled]:
    return (harness.compile_rules(mine, rules, root / "ours", timeout=timeout),
            harness.compile_rules(ref, rules, root / ref.name, timeout=timeout))


def file_cases(mine: harness.Tools, fefe: harness.Tools, name: str, rules: bytes,
               clients: list[Client], root: Path) -> list[tuple[str, list[str], dict]]:
    ours_run, fefe_run = compare_compile(mine, fefe, rules, root)
    artifacts = {"rules": rules}
    cases = [(f"{name} tcprules (fefe exit {harness.describe_rc(fefe_run.run.rc)})",
              harness.compile_differences(ours_run, fefe_run), artifacts)]
    if ours_run.run.rc == 0 and fefe_run.run.rc == 0:
        for client in clients:
            diffs = harness.check_differences(root / "ours" / CDB_NAME, root / "fefe" / CDB_NAME,
                                              mine, fefe, [client])
            cases.append((f"{name} tcprulescheck {client}", diffs, artifacts))
    return cases


def fixed_cases(mine, fefe, root: Path) -> list:
    clients = [Client(ip, host, info) for ip in FIXED_CLIENTS
               for host in (None, "", "six.example", "x.example")
               for info in (None, "", "joe")]
    return file_cases(mine, fefe, "fixed-ipv6", FIXED_RULES, clients, root / "fixed")


def hang_case(mine, djb, fefe, line: bytes, root: Path) -> tuple[str, list[str], dict]:
    # A valid rule before the bad line: the failure must still leave the old cdb alone.
    rules = b"1.2.3.4:allow\n" + line + b"\n"
    ours_run, djb_run = compare_compile(mine, djb, rules, root)
    fefe_run = harness.compile_rules(fefe, rules, root / "fefe", timeout=HANG_TIMEOUT)
    diffs = harness.compile_differences(ours_run, djb_run)
    if b":" in line:
        expect = harness.Run(100, b"", b"tcprules: fatal: unable to parse this line: " + line + b"\n")
        diffs += [f"expected: {d}" for d in harness.run_differences(ours_run.run, expect)]
    elif ours_run.run.rc != 0:
        diffs.append("a line without ':' must be ignored")
    # If some fefe build stops hanging, it must then agree with ours too.
    if not fefe_run.run.timed_out:
        diffs += [f"fefe did not hang: {d}"
                  for d in harness.run_differences(ours_run.run, fefe_run.run)]
    state = "hangs" if fefe_run.run.timed_out else "exits"
    return (f"hang-input {line!r} (fefe {state})", diffs, {"rules": rules})


def main() -> int:
    run = harness.setup(__doc__)
    mine, djb, fefe = run.ours, run.djb, run.fefe
    report = run.report("tcprules IPv6 vs fefe")
    files = corpus.ipv6_corpus(SEED, run.args.files or FILES)
    with harness.work_directory("ipv6") as tmp:
        root = Path(tmp)
        jobs = [lambda: fixed_cases(mine, fefe, root)]
        jobs += [lambda f=f: file_cases(mine, fefe, f.name, f.text, f.clients, root / f.name)
                 for f in files]
        # The hang cases each wait HANG_TIMEOUT for fefe: run them side by side.
        jobs += [lambda i=i, line=line: [hang_case(mine, djb, fefe, line, root / f"hang{i}")]
                 for i, line in enumerate(HANG_LINES)]
        results = harness.run_in_parallel(jobs, workers=len(HANG_LINES))
    for cases in results:
        for name, diffs, artifacts in cases:
            report.record(name, diffs, artifacts)
    accepted = sum("fefe exit 0)" in cases[0][0] for cases in results[1:1 + len(files)])
    print(f"ipv6 corpus: {len(files)} files (seed {SEED}), fefe accepted {accepted}")
    report.record("ipv6 corpus mixes accepted and rejected files",
                  [] if len(files) * 0.4 <= accepted < len(files) else
                  [f"fefe accepted {accepted} of {len(files)} files"])
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
