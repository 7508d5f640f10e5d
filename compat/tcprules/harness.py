"""Shared machinery of the tcprules/tcprulescheck differential suite.

Every test script compares our binaries with a reference build (djb's, from Debian's ucspi-tcp,
or fefe's IPv6 one, from ucspi-tcp-ipv6) by running both on the same input in twin work
directories, so file names inside messages are identical and the outputs can be compared
byte for byte. Python stdlib only.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

# Every run is bounded: fefe's tcprules loops forever on some inputs (spec 7.1), and a hang of
# ours must show up as a failure, not as a stuck ctest.
DEFAULT_TIMEOUT = 5.0

# Written over rules.cdb before every tcprules run. On failure tcprules must leave the old cdb
# alone (the rename never happens), so this exact content must still be there afterwards.
OLD_CDB = b"old cdb: a failed tcprules run must leave this file untouched\n"

CDB_NAME = "rules.cdb"
TMP_NAME = "rules.tmp"


# ---------------------------------------------------------------------------------------------
# Binaries


@dataclass(frozen=True)
class Tools:
    """One implementation: its tcprules and tcprulescheck."""

    name: str
    tcprules: str
    tcprulescheck: str


def _require_executable(path: str) -> str:
    # A missing reference must fail the test: a skipped differential test proves nothing.
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"FAIL: missing binary {path} (did the 'reference' fixture run?)")
    return path


def ours(tcprules: str, tcprulescheck: str) -> Tools:
    return Tools("ours", _require_executable(tcprules), _require_executable(tcprulescheck))


def reference(reference_dir: str, package: str, name: str) -> Tools:
    """package is 'ucspi-tcp' (djb) or 'ucspi-tcp-ipv6' (fefe), as extracted by fetch-reference.sh."""
    bindir = Path(reference_dir) / package / "usr" / "bin"
    return Tools(name, _require_executable(str(bindir / "tcprules")),
                 _require_executable(str(bindir / "tcprulescheck")))


@dataclass(frozen=True)
class Setup:
    """What every test script starts from: its options and the three implementations."""

    args: argparse.Namespace
    ours: Tools
    djb: Tools
    fefe: Tools

    def report(self, title: str) -> "Report":
        return Report(title, self.args.failures, self.args.show)


def setup(description: str) -> Setup:
    args = parse_arguments(description)
    return Setup(args, ours(args.tcprules, args.tcprulescheck),
                 reference(args.reference, "ucspi-tcp", "djb"),
                 reference(args.reference, "ucspi-tcp-ipv6", "fefe"))


def parse_arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tcprules", required=True, help="our tcprules binary")
    parser.add_argument("--tcprulescheck", required=True, help="our tcprulescheck binary")
    parser.add_argument("--reference", required=True,
                        help="directory filled by compat/fetch-reference.sh")
    parser.add_argument("--failures", default=None,
                        help="directory that receives the inputs of failed cases")
    parser.add_argument("--show", type=int, default=5, help="failed cases shown in detail")
    parser.add_argument("--files", type=int, default=None,
                        help="generated files to compare (default: the script's own count; a "
                             "sanitizer build takes fewer: it checks memory, the release run "
                             "every byte)")
    return parser.parse_args()


# ---------------------------------------------------------------------------------------------
# Running


@dataclass(frozen=True)
class Run:
    """What one process did. rc is the exit code, -N for signal N, None if it timed out."""

    rc: Optional[int]
    stdout: bytes
    stderr: bytes

    @property
    def timed_out(self) -> bool:
        return self.rc is None


CLOSED = -1  # stdin=CLOSED runs the program with fd 0 closed


def run(argv: list[str], *, stdin: bytes | int = b"", env: Optional[dict] = None,
        cwd: Optional[Path] = None, timeout: float = DEFAULT_TIMEOUT) -> Run:
    """Runs argv with a clean environment (only env), so nothing inherited can leak in."""
    # stdin is the bytes to feed, an open file descriptor (e.g. a directory), or CLOSED.
    if isinstance(stdin, bytes):
        feed = {"input": stdin}
    elif stdin == CLOSED:
        feed = {"stdin": subprocess.DEVNULL, "preexec_fn": lambda: os.close(0)}
    else:
        feed = {"stdin": stdin}
    try:
        done = subprocess.run(argv, **feed, capture_output=True, env=env or {}, cwd=cwd,
                              timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        return Run(None, expired.stdout or b"", expired.stderr or b"")
    return Run(done.returncode, done.stdout, done.stderr)


# ---------------------------------------------------------------------------------------------
# tcprules


@dataclass
class Compiled:
    """The result of one tcprules run in its own work directory."""

    run: Run
    cdb: Optional[bytes]  # rules.cdb after the run (OLD_CDB if untouched); None if missing
    cdb_mode: Optional[int]  # its permission bits
    tmp_exists: bool
    workdir: Path


def compile_rules(tools: Tools, rules: bytes, workdir: Path, *,
                  args: Optional[list[str]] = None, stdin: bytes | int | None = None,
                  prepare: Optional[Callable[[Path], None]] = None,
                  timeout: float = DEFAULT_TIMEOUT) -> Compiled:
    """Runs `tcprules rules.cdb rules.tmp` (or args) in a fresh workdir with rules on stdin.
    prepare(workdir) may set up extra files (a directory in the way, a symlink) first."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    cdb_path = workdir / CDB_NAME
    tmp_path = workdir / TMP_NAME
    cdb_path.write_bytes(OLD_CDB)
    if prepare:
        prepare(workdir)
    argv = [tools.tcprules] + (args if args is not None else [CDB_NAME, TMP_NAME])
    result = run(argv, stdin=rules if stdin is None else stdin, cwd=workdir, timeout=timeout)
    cdb = cdb_path.read_bytes() if cdb_path.is_file() else None
    mode = cdb_path.stat().st_mode & 0o7777 if cdb is not None else None
    return Compiled(result, cdb, mode, tmp_path.exists() or tmp_path.is_symlink(), workdir)


def compile_differences(mine: Compiled, theirs: Compiled, *,
                        compare_stderr: bool = True, compare_cdb: bool = True) -> list[str]:
    """Everything observable that differs between two tcprules runs."""
    diffs = run_differences(mine.run, theirs.run, compare_stderr=compare_stderr)
    if compare_cdb and mine.cdb != theirs.cdb:
        diffs.append(bytes_difference("rules.cdb", mine.cdb, theirs.cdb))
    if mine.cdb_mode != theirs.cdb_mode:
        diffs.append(f"rules.cdb mode: ours {mine.cdb_mode:o}, reference {theirs.cdb_mode:o}")
    if mine.tmp_exists != theirs.tmp_exists:
        diffs.append(f"rules.tmp left behind: ours {mine.tmp_exists}, reference {theirs.tmp_exists}")
    if mine.run.rc != 0 and mine.cdb != OLD_CDB:
        diffs.append("ours failed but did not leave the old rules.cdb untouched")
    return diffs


# ---------------------------------------------------------------------------------------------
# tcprulescheck


@dataclass(frozen=True)
class Client:
    """A client as tcprulescheck sees it. None means the variable is unset, "" means empty."""

    ip: Optional[str] = None
    host: Optional[str] = None
    info: Optional[str] = None

    def environment(self) -> dict:
        env = {}
        for name, value in (("TCPREMOTEIP", self.ip), ("TCPREMOTEHOST", self.host),
                            ("TCPREMOTEINFO", self.info)):
            if value is not None:
                env[name] = value
        return env

    def __str__(self) -> str:
        def show(value):
            return "unset" if value is None else repr(value)
        return f"ip={show(self.ip)} host={show(self.host)} info={show(self.info)}"


def check_client(tools: Tools, cdb: Path, client: Client, *, timeout: float = DEFAULT_TIMEOUT) -> Run:
    return run([tools.tcprulescheck, cdb.name], env=client.environment(), cwd=cdb.parent,
               timeout=timeout)


def check_differences(mine_cdb: Path, theirs_cdb: Path, mine: Tools, theirs: Tools,
                      clients: Iterable[Client]) -> list[str]:
    """tcprulescheck of each implementation on its own cdb, for every client."""
    diffs = []
    for client in clients:
        a = check_client(mine, mine_cdb, client)
        b = check_client(theirs, theirs_cdb, client)
        for line in run_differences(a, b):
            diffs.append(f"tcprulescheck {client}: {line}")
    return diffs


DEFAULT_OUTPUT = b"default:\nallow connection\n"


def rule_output(key: str, *variables: str, deny: bool = False) -> bytes:
    """tcprulescheck's stdout for a hit on key: the variables, then allow; or just deny."""
    lines = [f"rule {key}:"]
    if deny:
        lines.append("deny connection")
    else:
        lines += [f"set environment variable {v}" for v in variables] + ["allow connection"]
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------------------------------
# Comparing


def show_bytes(data: Optional[bytes], limit: int = 300) -> str:
    if data is None:
        return "(missing)"
    text = repr(data[:limit])
    return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")


def bytes_difference(what: str, mine: Optional[bytes], theirs: Optional[bytes]) -> str:
    if mine is None or theirs is None:
        return f"{what}: ours {show_bytes(mine)}, reference {show_bytes(theirs)}"
    at = next((i for i, (x, y) in enumerate(zip(mine, theirs)) if x != y), min(len(mine), len(theirs)))
    return (f"{what}: differ at byte {at} (ours {len(mine)} bytes, reference {len(theirs)} bytes); "
            f"ours {show_bytes(mine[at:at + 40])}, reference {show_bytes(theirs[at:at + 40])}")


def run_differences(mine: Run, theirs: Run, *, compare_stderr: bool = True,
                    label: str = "reference") -> list[str]:
    diffs = []
    if mine.rc != theirs.rc:
        diffs.append(f"exit: ours {describe_rc(mine.rc)}, {label} {describe_rc(theirs.rc)}")
    if mine.stdout != theirs.stdout:
        diffs.append(f"stdout: ours {show_bytes(mine.stdout)}, {label} {show_bytes(theirs.stdout)}")
    if compare_stderr and mine.stderr != theirs.stderr:
        diffs.append(f"stderr: ours {show_bytes(mine.stderr)}, {label} {show_bytes(theirs.stderr)}")
    return diffs


def expect_run(got: Run, rc: int, stdout: bytes = b"", stderr: bytes = b"") -> list[str]:
    """Differences between a run and its expected exit code and output."""
    return run_differences(got, Run(rc, stdout, stderr), label="expected")


def describe_rc(rc: Optional[int]) -> str:
    if rc is None:
        return "timeout"
    return f"signal {-rc}" if rc < 0 else str(rc)


# ---------------------------------------------------------------------------------------------
# Reporting


@dataclass
class Failure:
    name: str
    diffs: list[str]
    artifacts: dict


@dataclass
class Report:
    """Counts cases, keeps the failures, prints the summary; finish() gives the exit status."""

    title: str
    failures_dir: Optional[str] = None
    show: int = 5
    cases: int = 0
    failures: list = field(default_factory=list)

    def record(self, name: str, diffs: list[str], artifacts: Optional[dict] = None) -> bool:
        self.cases += 1
        if diffs:
            self.failures.append(Failure(name, diffs, artifacts or {}))
        return not diffs

    def finish(self) -> int:
        for failure in self.failures[:self.show]:
            print(f"FAILED: {failure.name}")
            for line in failure.diffs[:8]:
                print(f"    {line}")
            if len(failure.diffs) > 8:
                print(f"    ... {len(failure.diffs) - 8} more differences")
        if len(self.failures) > self.show:
            print(f"... and {len(self.failures) - self.show} more failed cases:")
            for failure in self.failures[self.show:self.show + 40]:
                print(f"    {failure.name}")
        self._save_artifacts()
        passed = self.cases - len(self.failures)
        print(f"{self.title}: {self.cases} cases, {passed} passed, {len(self.failures)} failed")
        return 1 if self.failures or self.cases == 0 else 0

    def _save_artifacts(self) -> None:
        # Failed inputs are kept so a difference can be replayed by hand with both binaries;
        # those of an earlier run go first, so the folder never shows a fixed failure.
        if not self.failures_dir:
            return
        out = Path(self.failures_dir) / safe_name(self.title)
        shutil.rmtree(out, ignore_errors=True)
        for failure in self.failures:
            for label, data in failure.artifacts.items():
                path = out / f"{safe_name(failure.name)}.{label}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        if any(f.artifacts for f in self.failures):
            print(f"inputs of failed cases saved under {out}")


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120]


def work_directory(prefix: str) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=f"compat-{prefix}-")


# ---------------------------------------------------------------------------------------------
# cdb and address helpers (used to state expected keys independently of any binary)


def cdb_records(data: bytes) -> list[tuple[bytes, bytes]]:
    """All (key, data) records of a djb cdb, in insertion order."""
    # The hash tables follow the records; table 0 starts right where the records end.
    end = struct.unpack_from("<I", data, 0)[0]
    records, pos = [], 2048
    while pos < end:
        klen, dlen = struct.unpack_from("<II", data, pos)
        pos += 8
        records.append((data[pos:pos + klen], data[pos + klen:pos + klen + dlen]))
        pos += klen + dlen
    return records


def cdb_keys(data: bytes) -> list[bytes]:
    return [key for key, _ in cdb_records(data)]


def ip6_fmt(text: str) -> str:
    """fefe's ip6_fmt: lowercase, the longest zero run (even of one group, first on a tie)
    compressed to '::', a dotted tail only for v4-mapped addresses."""
    packed = ipaddress.IPv6Address(text).packed
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + ".".join(str(b) for b in packed[12:])
    groups = [int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2)]
    best_start, best_len, i = -1, 0, 0
    while i < 8:
        if groups[i]:
            i += 1
            continue
        j = i
        while j < 8 and groups[j] == 0:
            j += 1
        if j - i > best_len:
            best_start, best_len = i, j - i
        i = j
    if best_start < 0:
        return ":".join(f"{g:x}" for g in groups)
    head = ":".join(f"{g:x}" for g in groups[:best_start])
    tail = ":".join(f"{g:x}" for g in groups[best_start + best_len:])
    return f"{head}::{tail}"


def fehcom_cidr_key(network: str) -> bytes:
    """fehcom's ucspi-tcp6 key for a CIDR network (spec 7.2), computed here from the text."""
    net = ipaddress.ip_network(network, strict=False)
    bits = int.from_bytes(net.network_address.packed, "big")
    width = net.max_prefixlen
    out = bytearray(b"_" if width == 32 else b"^")
    letters = b"abcdefghijklmnopqrstuvwxyz123456"
    next_set = 0x60
    for i in range(net.prefixlen):
        if bits >> (width - 1 - i) & 1:
            if width == 32:
                out.append(letters[i])
            else:
                out.append(next_set)
                next_set += 1
        else:
            out.append(ord("0"))
    return bytes(out)


def run_in_parallel(jobs: list[Callable[[], object]], workers: int = 4) -> list:
    """Runs independent jobs on a thread pool (the work is in child processes) and returns
    their results in job order, so reports stay deterministic."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))
