"""Shared machinery of the tcpserver differential tests: one tcpserver at a time, its clients,
and the transcript of what happened, with PIDs and ports replaced by stable tokens so two runs
of the same steps (ours and a reference) can be compared line by line.

tcpserver_diff.py runs the scenarios of the scenarios_*.py files through it; dns_diff.py and
ident_diff.py use it to start a server, serve one client and read the log.

Safety: every tcpserver runs in its own process group, which is SIGKILLed when its run ends;
every wait has a timeout; DNSCACHEIP=127.0.0.1 keeps any stray lookup on loopback.
"""

import argparse
import difflib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
CHILD_TEXT = (HERE / "child.sh").read_text()
NAME = "NAME"
# The options every connection scenario uses, so DNS and ident never make a run flaky.
QUIET_LOOKUPS = ["-H", "-R", "-l", NAME]
SHORT = 0.6  # how long "nothing happens" is watched for
WAIT = 8.0  # upper bound for anything that should happen (CI runs tests two at a time)

REFERENCE_PACKAGES = {"djb": "ucspi-tcp", "fefe": "ucspi-tcp-ipv6"}


def reference_binary(refdir, which, program="tcpserver"):
    """A program of the djb or fefe build, as fetch-reference.sh extracted it."""
    return str(Path(refdir) / REFERENCE_PACKAGES[which] / "usr/bin" / program)


def child(mode="env", *words):
    """The program tcpserver runs: child.sh passed inline (why: see child.sh)."""
    return ["/bin/sh", "-c", CHILD_TEXT, "child", mode, *words]


# ---------------------------------------------------------------------------------------------
# Masking: PIDs and ports differ between runs; they become tokens in order of first appearance.


class Masker:
    def __init__(self):
        self.ports = {}
        self.pids = {}
        self.clients = 0

    def add_port(self, port, label=None):
        port = str(port)
        if port not in self.ports:
            if label is None:
                self.clients += 1
                label = "RPORT%d" % self.clients
            self.ports[port] = label

    def _pid(self, pid):
        if pid not in self.pids:
            self.pids[pid] = "PID%d" % (len(self.pids) + 1)
        return self.pids[pid]

    def log_line(self, line):
        # PIDs only where the log format puts them, so a pid never masks another number.
        line = re.sub(r"^(tcpserver: (?:pid|ok|deny|end|limit|relay)) (\d+)",
                      lambda m: m.group(1) + " " + self._pid(m.group(2)), line)
        return self.text(line)

    def text(self, text):
        return re.sub(r"(?<![0-9])[0-9]{2,5}(?![0-9])",
                      lambda m: self.ports.get(m.group(0), m.group(0)), text)


# ---------------------------------------------------------------------------------------------
# One tcpserver process and its clients.


class Server:
    def __init__(self, run, argv, env):
        self.run = run
        self.argv = argv
        self.lines = []
        self.raw_lines = []  # the same lines as bytes, before any decoding
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=run.workdir,
                                     start_new_session=True)
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()
        self.port = self._read_port()
        self.exit_code = None
        self.unordered = False  # concurrent children: compare the log sorted, PIDs unnumbered

    def _read_log(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.raw_lines.append(raw.rstrip(b"\n"))
                self.lines.append(raw.decode("utf-8", "backslashreplace").rstrip("\n"))
                self.cond.notify_all()

    def _read_port(self):
        """The -1 line; None if tcpserver exited or said nothing in time."""
        ready, _, _ = select.select([self.proc.stdout], [], [], WAIT)
        if not ready:
            return None
        line = self.proc.stdout.readline().decode("ascii", "replace").strip()
        if not line.isdigit():
            return None
        self.run.masker.add_port(line, "LPORT")
        return int(line)

    def wait_log(self, pattern, count=1, timeout=WAIT):
        """Wait until `count` log lines match; False on timeout (the transcript shows why)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while sum(1 for l in self.lines if re.search(pattern, l)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def settle(self, ends=None, quiet=0.3):
        """Let the log come to rest: `ends` end lines seen (under -v), then a quiet gap."""
        if ends:
            self.wait_log(r"^tcpserver: end ", ends)
        with self.cond:
            while True:
                n = len(self.lines)
                self.cond.wait(quiet)
                if len(self.lines) == n:
                    return

    def connect(self, family=socket.AF_INET, addr="127.0.0.1", source=None):
        return Client(self.run, family, addr, self.port, source)

    def fetch(self):
        """A client that only reads: what it got by EOF (or the timeout)."""
        client = self.connect()
        client.read_all()
        client.close()
        return client.text()

    def terminate(self, timeout=WAIT):
        """SIGTERM the parent only; returns its exit status text."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.exit_code = "still running %gs after SIGTERM" % timeout
        return self.exit_code

    def kill_all(self):
        """SIGKILL the whole process group: the parent and any child SIGTERM left behind."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.reader.join(2)
        self.proc.stdout.close()
        self.proc.stderr.close()


class Client:
    def __init__(self, run, family, addr, port, source=None):
        self.run = run
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT)
        self.buf = b""
        self.eof = False
        if source:  # another loopback address (127.0.0.0/8 is all local), for per-IP tests
            self.sock.bind((source, 0))
        self.sock.connect((addr, port))
        run.masker.add_port(self.sock.getsockname()[1])

    def read_until(self, marker, timeout=WAIT):
        """Read until `marker` is in the data, EOF, or the timeout."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._recv(left)
        return marker in self.buf

    def read_all(self, timeout=WAIT):
        """Read to EOF; returns 'eof', 'timeout' or the error."""
        deadline = time.monotonic() + timeout
        try:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "timeout"
                self._recv(left)
        except OSError as e:
            return "error " + (os.strerror(e.errno) if e.errno else str(e))
        return "eof"

    def idle_for(self, seconds):
        """True if nothing at all (no data, no EOF) arrives within `seconds`."""
        ready, _, _ = select.select([self.sock], [], [], seconds)
        return not ready

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        if data:
            self.buf += data
        else:
            self.eof = True

    def text(self):
        return self.buf.decode("utf-8", "backslashreplace")

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# One run of one scenario against one implementation.


class Run:
    def __init__(self, impl, binary, refdir, workdir):
        self.impl = impl  # "ours", "djb" or "fefe"
        self.binary = binary
        self.refdir = refdir
        self.workdir = workdir
        self.masker = Masker()
        self.transcript = []
        self.servers = []

    def note(self, text):
        for line in str(text).split("\n"):
            self.transcript.append(self.masker.text(line))

    def path(self, name):
        return Path(self.workdir) / name

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "DNSCACHEIP": "127.0.0.1"}
        env.update(extra or {})
        return env

    def start(self, opts, host="127.0.0.1", port="0", mode="env", program=None, env=None,
              lookups=True):
        """Start tcpserver with -1 and wait for its port line."""
        args = (QUIET_LOOKUPS if lookups else []) + opts + ["-1", host, port]
        return self.start_argv(args + (program if program is not None else child(mode)), env)

    def start_argv(self, args, env=None):
        """Start tcpserver with exactly these arguments (they must include -1)."""
        server = Server(self, [self.binary] + args, self.env(env))
        self.servers.append(server)
        if server.port is None:
            self.note("server: no port line")
        return server

    def invoke(self, args, env=None, timeout=WAIT):
        """Run tcpserver to completion (option and startup errors): rc, stdout, stderr."""
        try:
            p = subprocess.run([self.binary] + args, stdin=subprocess.DEVNULL,
                               capture_output=True, env=self.env(env), cwd=self.workdir,
                               timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            self.note("invoke %r: still running after %gs" % (args, timeout))
            return
        self.note("exit %s" % p.returncode)
        self.note("stdout: %r" % p.stdout.decode("utf-8", "backslashreplace"))
        for line in p.stderr.decode("utf-8", "backslashreplace").splitlines():
            self.note("stderr: " + line)

    def serve_one(self, server, name="client", family=socket.AF_INET, addr="127.0.0.1",
                  ends=1, send=None):
        """One client: connect, maybe send, read to EOF, note what it read; settle the log."""
        c = server.connect(family, addr)
        if send is not None:
            c.send(send)
        how = c.read_all()
        self.note_client(name, c, how)
        c.close()
        server.settle(ends=ends)

    def note_client(self, name, client, how):
        for line in client.text().split("\n"):
            self.note("%s: %s" % (name, line))
        self.note("%s: %s" % (name, how))

    def ready(self, label, client):
        """Wait for a `wait`-mode child to say ready; note whether it did."""
        self.note("%s: %s" % (label, client.read_until(b"ready\n")))

    def release(self, label, client, line=b"go\n"):
        """Let a `wait`-mode child finish; note how its connection ended."""
        client.send(line)
        self.note("%s: %s" % (label, client.read_all()))

    def rules(self, text, name="rules.cdb", reference="djb"):
        """Compile rules with a reference tcprules (the same cdb for ours and the reference)."""
        prog = reference_binary(self.refdir, reference, "tcprules")
        # fefe's tcprules loops forever on some lines, hence the timeout.
        p = subprocess.run([prog, name, name + ".tmp"], input=text.encode(), cwd=self.workdir,
                           capture_output=True, timeout=WAIT)
        if p.returncode != 0:
            raise RuntimeError("tcprules failed: %r" % p.stderr)
        return name

    def log(self, server):
        return [self.masker.log_line(line) for line in server.lines]

    def finish(self):
        """Stop every server this run started and append its exit and its log."""
        for i, server in enumerate(self.servers):
            tag = "server%d" % (i + 1) if len(self.servers) > 1 else "server"
            code = server.exit_code if server.exit_code is not None else server.terminate()
            server.kill_all()
            self.note("%s: exit %s" % (tag, code))
            lines = self.log(server)
            if server.unordered:
                lines = sorted(re.sub(r"\bPID\d+\b", "PID", line) for line in lines)
            self.transcript.extend("%s log: %s" % (tag, line) for line in lines)


def one_connection(run, opts, v6=False, **start):
    """The common shape: start a server, serve one client to EOF, stop it."""
    server = run.start(opts, **start)
    if v6:
        run.serve_one(server, family=socket.AF_INET6, addr="::1")
    else:
        run.serve_one(server)
    run.finish()


def serve_under_rules(run, rules, opts=(), reference="djb", **start):
    """one_connection with `rules` compiled (by the reference's tcprules) into rules.cdb."""
    run.rules(rules, reference=reference)
    one_connection(run, ["-v", *opts, "-x", "rules.cdb"], **start)


def raw_bytes_in_log(server):
    """The log lines holding a byte a log line must never hold raw (below 32, 127 and up:
    djb's log shows each as '?'), as repr()s; [] for a clean log."""
    return [repr(line) for line in server.raw_lines
            if any(b < 32 or b >= 127 for b in line)]


def serve_one_client(binary, opts, program, workdir, env=None):
    """tcpserver with exactly `opts` (no lookups switched off) and `env` added to the
    harness's, one client read to EOF: (what the client read, the masked ok lines, the log
    lines holding a raw control or non-ASCII byte), all that the DNS and ident tests compare."""
    run = Run(None, binary, None, workdir)  # impl and refdir: only scenarios ask for them
    server = run.start(opts, lookups=False, program=program, env=env)
    text = ""
    try:
        if server.port is not None:
            text = server.fetch()
            server.settle(ends=1)
    finally:
        server.kill_all()
    return (text, [line for line in run.log(server) if line.startswith("tcpserver: ok ")],
            raw_bytes_in_log(server))


def ours_and_reference(description):
    """The command line of dns_diff.py and ident_diff.py: two tcpserver binaries."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--ours", required=True, help="our tcpserver binary")
    ap.add_argument("--reference", required=True, help="djb's tcpserver binary")
    return ap.parse_args()


# ---------------------------------------------------------------------------------------------
# Scenarios and their comparison.


@dataclass(frozen=True)
class Scenario:
    """A function of a Run. `ref` names the reference it is compared with ("djb" or "fefe"),
    None for our extensions, whose expected transcript `ours_only(ours)` writes out.
    `expect(ref_transcript) -> expected` documents a deliberate difference: it turns the
    reference's transcript into what ours must show."""

    name: str
    fn: Callable
    ref: Optional[str]
    expect: Optional[Callable]
    ours_only: Optional[Callable]

    @property
    def doc(self):
        return self.fn.__doc__ or ""


def scenario(ref="djb", expect=None, ours_only=None):
    """Marks a function `s_NAME` as the scenario NAME; tcpserver_diff.py collects them."""
    def mark(fn):
        fn.scenario = Scenario(fn.__name__.removeprefix("s_"), fn, ref, expect, ours_only)
        return fn
    return mark


def scenarios_in(module):
    """The scenarios a module defines, in the order it defines them."""
    return [value.scenario for value in vars(module).values()
            if isinstance(getattr(value, "scenario", None), Scenario)]


class Re:
    """An expected transcript line given as a regex (for deliberate differences)."""

    def __init__(self, pattern):
        self.pattern = pattern

    def matches(self, line):
        return re.fullmatch(self.pattern, line) is not None

    def __str__(self):
        return "re:" + self.pattern


def run_scenario(sc, impl, binary, refdir, workdir):
    """One scenario against one implementation in a fresh workdir: its transcript."""
    shutil.rmtree(workdir, ignore_errors=True)  # ours and the reference take turns in it
    os.makedirs(workdir)
    run = Run(impl, binary, refdir, workdir)
    try:
        sc.fn(run)
    except Exception as e:  # a broken scenario must show, not kill the suite
        run.note("EXCEPTION %s: %s" % (type(e).__name__, e))
        try:
            run.finish()  # the servers' exit and logs (a crash report, say) explain it
        except Exception as again:
            run.note("EXCEPTION while stopping: %s" % again)
    finally:
        for server in run.servers:  # idempotent: nothing of this run may outlive it
            server.kill_all()
    return run.transcript


def same(expected, actual):
    if len(expected) != len(actual):
        return False
    return all(e.matches(a) if isinstance(e, Re) else e == a for e, a in zip(expected, actual))


def show_diff(expected, actual):
    lines = difflib.unified_diff([str(e) for e in expected], actual, "expected (reference)",
                                 "ours", lineterm="", n=2)
    return "\n".join("    " + l for l in lines)
