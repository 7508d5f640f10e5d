#!/usr/bin/env python3
"""djb's regression cases (spec 6, rts.tests) and the command-line and error paths of tcprules
and tcprulescheck (spec 4.2, 5), ours against djb's Debian build.

Every case compares exit code, stdout, stderr and the cdb bytes with djb's; where the spec
states the expected output, ours must also equal it (so a wrong reference cannot hide a bug).
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import Callable, Optional

import harness
from harness import CDB_NAME, TMP_NAME, Client, Report, Run, rule_output

USAGE_RULES = b"tcprules: usage: tcprules rules.cdb rules.tmp\n"
USAGE_CHECK = b"tcprulescheck: usage: tcprulescheck rules.cdb\n"


class Suite:
    """Runs each case on ours and djb in twin directories below root."""

    def __init__(self, mine: harness.Tools, djb: harness.Tools, root: Path, report: Report):
        self.mine, self.djb, self.root, self.report = mine, djb, root, report

    def compile(self, name: str, rules: bytes, *, args: Optional[list[str]] = None,
                stdin_path: Optional[str] = None, stdin_closed: bool = False,
                prepare: Optional[Callable[[Path], None]] = None,
                expect: Optional[Run] = None) -> bool:
        """tcprules on both; expect (if given) is what the spec says ours must print."""
        results = []
        for tools in (self.mine, self.djb):
            fd = os.open(stdin_path, os.O_RDONLY) if stdin_path else None
            stdin = harness.CLOSED if stdin_closed else fd
            try:
                results.append(harness.compile_rules(tools, rules, self.root / name / tools.name,
                                                     args=args, stdin=stdin, prepare=prepare))
            finally:
                if fd is not None:
                    os.close(fd)
        mine, theirs = results
        diffs = harness.compile_differences(mine, theirs)
        if expect is not None:
            diffs += [f"spec: {d}" for d in harness.run_differences(mine.run, expect,
                                                                    label="expected")]
        return self.report.record(f"tcprules {name}", diffs, {"rules": rules})

    def check(self, name: str, client: Client, expect: Optional[bytes] = None, *,
              args: Optional[list[str]] = None) -> bool:
        """tcprulescheck on both, each on the cdb its own tcprules made for case name."""
        runs = []
        for tools in (self.mine, self.djb):
            workdir = self.root / name / tools.name
            argv = [tools.tcprulescheck] + (args if args is not None else [CDB_NAME])
            runs.append(harness.run(argv, env=client.environment(), cwd=workdir))
        diffs = harness.run_differences(runs[0], runs[1])
        if expect is not None:
            diffs += [f"spec: {d}" for d in harness.expect_run(runs[0], 0, expect)]
        return self.report.record(f"tcprulescheck {name} {client}", diffs)


DEFAULT = harness.DEFAULT_OUTPUT


# ---------------------------------------------------------------------------------------------
# rts.tests, tcprules section (spec 6, cases 1-8)


def rts_usage_and_paths(s: Suite) -> None:
    # 1: usage. 2: the tmp file is created first. 3: the rename is what fails.
    s.compile("usage-no-args", b"", args=[], expect=Run(100, b"", USAGE_RULES))
    s.compile("usage-one-arg", b"", args=["test.cdb"], expect=Run(100, b"", USAGE_RULES))
    s.compile("nonexistent-tmp", b"\n", args=[CDB_NAME, "/dev/nonexistent/tmp"],
              expect=Run(111, b"", b"tcprules: fatal: unable to create /dev/nonexistent/tmp: "
                                   b"file does not exist\n"))
    s.compile("nonexistent-cdb", b"\n", args=["/dev/nonexistent/cdb", TMP_NAME],
              expect=Run(111, b"", b"tcprules: fatal: unable to move rules.tmp to "
                                   b"/dev/nonexistent/cdb: file does not exist\n"))
    s.check("usage-no-args", Client("1.2.3.4"), args=[])


def rts_case4(s: Suite) -> None:
    s.compile("rts4", b"1.2.3.4:deny\n", expect=Run(0, b"", b""))
    s.check("rts4", Client("1.2.3.4"), rule_output("1.2.3.4", deny=True))
    s.check("rts4", Client("1.2.3.5"), DEFAULT)


def rts_case5(s: Suite) -> None:
    rules = (b"joe@127.0.0.1:allow,which=/first/\n18.23.0.32:allow,which=\"second\"\n"
             b"127.:allow,which=+third+\n:allow,which==fourth=\n")
    s.compile("rts5", rules, expect=Run(0, b"", b""))
    s.check("rts5", Client("127.0.0.1", None, "joe"), rule_output("joe@127.0.0.1", "which=first"))
    s.check("rts5", Client("18.23.0.32", None, "joe"), rule_output("18.23.0.32", "which=second"))
    s.check("rts5", Client("127.0.0.1", None, "bill"), rule_output("127.", "which=third"))
    s.check("rts5", Client("10.119.75.39", None, "bill"), rule_output("", "which=fourth"))


def rts_case6(s: Suite) -> None:
    s.compile("rts6", b"127.0-5.:allow,which=/first/,where=/whatever/\n# comment\n",
              expect=Run(0, b"", b""))
    for n in range(11):
        expect = (rule_output(f"127.{n}.", "which=first", "where=whatever") if n <= 5 else DEFAULT)
        s.check("rts6", Client(f"127.{n}.0.1"), expect)


def rts_case7(s: Suite) -> None:
    s.compile("rts7", b"=known.edu:allow,which=/known/\n=.abuser.edu:deny\n"
                      b":allow,which=/anybody/\n", expect=Run(0, b"", b""))
    expected = {"known.edu": rule_output("=known.edu", "which=known"),
                "random.edu": rule_output("", "which=anybody"),
                "abuser.edu": rule_output("", "which=anybody"),  # =.abuser.edu needs a dot
                "x.abuser.edu": rule_output("=.abuser.edu", deny=True),
                "x.y.abuser.edu": rule_output("=.abuser.edu", deny=True)}
    for host, expect in expected.items():
        s.check("rts7", Client("1.2.3.4", host), expect)


SEARCH_ORDER = [("xyz@86.75.30.9", "first"), ("xyz@=one.two.three", "second"),
                ("86.75.30.9", "third"), ("=one.two.three", "fourth"), ("86.75.30.", "fifth"),
                ("86.75.", "sixth"), ("86.", "seventh"), ("=.two.three", "eighth"),
                ("=.three", "ninth"), ("=", "tenth"), ("", "eleventh")]

# (ip, host, info) -> key, from the table of spec 6 case 8; None = unset.
SEARCH_TABLE = [
    ("86.75.30.9", "one.two.three", "xyz", "xyz@86.75.30.9"),
    ("86.75.30.9", None, "xyz", "xyz@86.75.30.9"),
    ("86.75.30.10", "one.two.three", "xyz", "xyz@=one.two.three"),
    ("86.75.30.9", "one.two.three", "abc", "86.75.30.9"),
    ("86.75.30.9", None, "abc", "86.75.30.9"),
    ("86.75.30.9", "one.two.three", None, "86.75.30.9"),
    ("86.75.30.9", None, None, "86.75.30.9"),
    ("86.75.30.10", "one.two.three", "abc", "=one.two.three"),
    ("86.75.30.10", "one.two.three", None, "=one.two.three"),
    ("86.75.30.10", "four.two.three", None, "86.75.30."),
    ("86.75.30.10", None, None, "86.75.30."),
] + [("86.75.20.10", h, i, "86.75.") for h in (None, "four.two.three") for i in (None, "abc")] \
  + [("86.85.20.10", h, i, "86.") for h in (None, "four.two.three") for i in (None, "abc")] \
  + [("96.85.20.10", "four.two.three", i, "=.two.three") for i in (None, "abc")] \
  + [("96.85.20.10", "four.three", i, "=.three") for i in (None, "abc")] \
  + [("96.85.20.10", "four", i, "=") for i in (None, "abc")] \
  + [("96.85.20.10", None, i, "") for i in (None, "abc")]


def rts_case8(s: Suite) -> None:
    rules = b"".join(f"{key}:allow,which=/{order}/\n".encode() for key, order in SEARCH_ORDER)
    s.compile("rts8", rules + b"\n", expect=Run(0, b"", b""))
    order_of = dict(SEARCH_ORDER)
    for ip, host, info, key in SEARCH_TABLE:
        s.check("rts8", Client(ip, host, info), rule_output(key, f"which={order_of[key]}"))


# ---------------------------------------------------------------------------------------------
# More tcprules paths (spec 4.2)


def make_dir(name: str) -> Callable[[Path], None]:
    def prepare(workdir: Path) -> None:
        (workdir / name).mkdir()
        (workdir / name / "occupant").write_bytes(b"x")
    return prepare


def link_to_dev_full(workdir: Path) -> None:
    # A symlink, so that a wrong rename would move the link, never /dev/full itself.
    (workdir / TMP_NAME).symlink_to("/dev/full")


def tcprules_paths(s: Suite) -> None:
    rules = b"1.2.3.4:allow,X=/1/\n=host:deny\n"
    s.compile("extra-args-ignored", rules, args=[CDB_NAME, TMP_NAME, "extra", "args"])
    s.compile("tmp-is-directory", rules, prepare=make_dir(TMP_NAME))
    s.compile("cdb-is-directory", rules, args=["subdir", TMP_NAME], prepare=make_dir("subdir"))
    s.compile("tmp-equals-cdb", rules, args=[CDB_NAME, CDB_NAME])
    s.compile("tmp-in-missing-dir", rules, args=[CDB_NAME, "missing/rules.tmp"])
    s.compile("write-error-dev-full", rules, prepare=link_to_dev_full)
    s.compile("stdin-is-directory", b"", stdin_path="/")
    # With fd 0 closed, the tmp file becomes fd 0 and reading it fails (EBADF) in both.
    s.compile("stdin-closed", b"", stdin_closed=True)
    s.compile("empty-input", b"")
    s.compile("only-comments-and-blanks", b"# one\n\n   \n\t\n#two:allow\nno colon\n")
    s.compile("last-line-without-newline", b"1.2.3.4:deny")


# ---------------------------------------------------------------------------------------------
# tcprulescheck over many (ip, host, info) tuples, unset and empty told apart


TUPLE_RULES = b"""joe@1.2.3.4:allow,which=/joe-at-ip/
@1.2.3.4:allow,which=/empty-info-at-ip/
joe@=known.edu:allow,which=/joe-at-host/
@=known.edu:allow,which=/empty-info-at-host/
joe@=:allow,which=/joe-at-empty-host/
1.2.3.4:allow,which=/ip/
0.0.0.0:allow,which=/zero/
=known.edu:allow,which=/host/,X="2"
=:allow,which=/empty-host-or-no-suffix/
=.abuser.edu:deny
=.:allow,which=/trailing-dot/
=.edu:allow,which=/edu/
1.2.3.:allow,which=/prefix3/
1.2.:deny,which=/prefix2/
127.:allow,which=/loopback/,RELAYCLIENT=""
 1.2.3.4:allow,which=/spaced/
abc:allow,which=/garbage-ip/
:allow,which=/default/
"""

TUPLE_IPS = [None, "", "0.0.0.0", "1.2.3.4", "1.2.3.5", "1.2.9.9", "127.0.0.1", "10.0.0.1",
             "1.2.3", "1.2.3.", " 1.2.3.4", "abc", "1.2.3.4.5"]
TUPLE_HOSTS = [None, "", "known.edu", "Known.EDU", "x.abuser.edu", "abuser.edu", "a.edu", ".",
               "a..b", "x.known.edu"]
TUPLE_INFOS = [None, "", "joe", "bill"]


def tuples(s: Suite) -> None:
    s.compile("tuples", TUPLE_RULES, expect=Run(0, b"", b""))
    for ip, host, info in itertools.product(TUPLE_IPS, TUPLE_HOSTS, TUPLE_INFOS):
        s.check("tuples", Client(ip, host, info))


# ---------------------------------------------------------------------------------------------
# tcprulescheck errors (spec 5); a directory and an empty file are difference (e), elsewhere


def cdb_fixture(s: Suite, name: str, data: Optional[bytes]) -> None:
    """Puts the same rules.cdb (None: none at all) in both work directories of case name."""
    for tools in (s.mine, s.djb):
        workdir = s.root / name / tools.name
        workdir.mkdir(parents=True, exist_ok=True)
        if data is not None:
            (workdir / CDB_NAME).write_bytes(data)


def tcprulescheck_errors(s: Suite) -> None:
    good = (s.root / "rts4" / "djb" / CDB_NAME).read_bytes()
    fixtures = {"check-missing-cdb": None,
                "check-truncated-cdb": good[:2048 + 5],
                "check-header-only": good[:2048],
                "check-short-file": bytes(range(100)),
                "check-all-ff": b"\xff" * 3000,
                "check-not-a-cdb": b"1.2.3.4:deny\n" * 300}
    for name, data in fixtures.items():
        cdb_fixture(s, name, data)
        for ip in ("1.2.3.4", "9.9.9.9"):
            s.check(name, Client(ip))
    cdb_fixture(s, "check-extra-args", good)
    s.check("check-extra-args", Client("1.2.3.4"), args=[CDB_NAME, "extra"])


def main() -> int:
    run = harness.setup(__doc__)
    report = run.report("tcprules rts and paths vs djb")
    with harness.work_directory("rts") as tmp:
        suite = Suite(run.ours, run.djb, Path(tmp), report)
        for section in (rts_usage_and_paths, rts_case4, rts_case5, rts_case6, rts_case7,
                        rts_case8, tcprules_paths, tuples, tcprulescheck_errors):
            section(suite)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
