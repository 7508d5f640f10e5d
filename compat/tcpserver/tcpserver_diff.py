#!/usr/bin/env python3
"""Differential suite: our tcpserver against Debian's djb (IPv4) and fefe (IPv6) builds.

Every scenario runs twice, once with our binary and once with the reference, through the same
steps; each run yields a transcript (exit codes, stderr, what clients read, the -v log) with
PIDs and ports replaced by stable tokens. The transcripts must be equal, except where a
scenario documents a deliberate difference (a reference bug named in the spec).

Usage:
  tcpserver_diff.py --ours build/bin/tcpserver --reference-dir build/reference [-k SUBSTR] [-v]
  tcpserver_diff.py --self-test --reference-dir DIR     (reference against itself: harness check)
  tcpserver_diff.py --list

Safety: DNS and ident are always off (-H -R -l NAME); DNSCACHEIP=127.0.0.1 keeps any stray
lookup on loopback; clients talk only to 127.0.0.1 and ::1; every wait has a timeout; every
tcpserver runs in its own process group, which is SIGKILLed when its run ends.
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
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD_TEXT = (HERE / "child.sh").read_text()
NAME = "NAME"
# The options every connection scenario uses, so DNS and ident never make a run flaky.
QUIET_LOOKUPS = ["-H", "-R", "-l", NAME]
SHORT = 0.6  # how long "nothing happens" is watched for
WAIT = 8.0  # upper bound for anything that should happen (CI runs tests two at a time)


class Re:
    """An expected transcript line given as a regex (for deliberate differences)."""

    def __init__(self, pattern):
        self.pattern = pattern

    def matches(self, line):
        return re.fullmatch(self.pattern, line) is not None

    def __str__(self):
        return "re:" + self.pattern


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

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "DNSCACHEIP": "127.0.0.1"}
        env.update(extra or {})
        return env

    def child(self, mode="env"):
        return ["/bin/sh", "-c", CHILD_TEXT, "child", mode]

    def start(self, opts, host="127.0.0.1", port="0", mode="env", program=None, env=None,
              lookups=True):
        """Start tcpserver with -1 and wait for its port line."""
        args = (QUIET_LOOKUPS if lookups else []) + opts + ["-1", host, port]
        return self.start_argv(args + (program if program is not None else self.child(mode)), env)

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
        text = client.buf.decode("utf-8", "backslashreplace")
        for line in text.split("\n"):
            self.note("%s: %s" % (name, line))
        self.note("%s: %s" % (name, how))

    def ready(self, label, client):
        """Wait for a `wait`-mode child to say ready; note whether it did."""
        self.note("%s: %s" % (label, client.read_until(b"ready\n")))

    def release(self, label, client, line=b"go\n"):
        """Let a `wait`-mode child finish; note how its connection ended."""
        client.send(line)
        self.note("%s: %s" % (label, client.read_all()))

    def rules(self, text, name="rules.cdb", tcprules="ucspi-tcp"):
        """Compile rules with the reference tcprules (the same cdb for ours and the reference)."""
        prog = Path(self.refdir) / tcprules / "usr/bin/tcprules"
        # fefe's tcprules loops forever on some lines, hence the timeout.
        p = subprocess.run([str(prog), name, name + ".tmp"], input=text.encode(), cwd=self.workdir,
                           capture_output=True, timeout=WAIT)
        if p.returncode != 0:
            raise RuntimeError("tcprules failed: %r" % p.stderr)
        return name

    def finish(self):
        """Stop every server this run started and append its exit and its log."""
        for i, server in enumerate(self.servers):
            tag = "server%d" % (i + 1) if len(self.servers) > 1 else "server"
            code = server.exit_code if server.exit_code is not None else server.terminate()
            server.kill_all()
            self.note("%s: exit %s" % (tag, code))
            lines = [self.masker.log_line(line) for line in server.lines]
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


# ---------------------------------------------------------------------------------------------
# Scenarios. Each is a function of a Run; `ref` names the reference it is compared with.
# `expect(ref_transcript) -> expected` documents a deliberate difference: it turns the
# reference's transcript into what ours must show.

SCENARIOS = []


def scenario(ref="djb", expect=None, ours_only=None):
    def register(fn):
        SCENARIOS.append({"name": fn.__name__.removeprefix("s_"), "fn": fn, "ref": ref,
                          "expect": expect, "ours_only": ours_only, "doc": fn.__doc__})
        return fn
    return register


# --- usage and startup errors -----------------------------------------------------------------

@scenario()
def s_usage_missing_program(run):
    """`tcpserver 0 0`: usage line, exit 100."""
    run.invoke(["0", "0"])


@scenario()
def s_usage_no_args(run):
    run.invoke([])


@scenario()
def s_illegal_option(run):
    """`-z`: 'illegal option -- z' then usage, exit 100."""
    run.invoke(["-z", "0", "0", "true"])


@scenario()
def s_missing_option_argument(run):
    """`-c` at the end: 'option requires an argument -- c' then usage."""
    run.invoke(["-v", "-c"])


@scenario()
def s_quiet_silences_usage(run):
    """`-q 0`: the usage still exits 100 but prints nothing."""
    run.invoke(["-q", "0"])


@scenario()
def s_quiet_then_illegal_option(run):
    """The illegal-option message is printed while parsing, before -q takes effect."""
    run.invoke(["-q", "-z", "0", "0", "true"])


@scenario()
def s_unknown_port_name(run):
    run.invoke(["127.0.0.1", "nonexistentport", "true"])


@scenario()
def s_bind_not_available(run):
    """`1.2.3.4 016`: a non-local IP; the port has a leading zero."""
    run.invoke(["1.2.3.4", "016", "true"])


@scenario()
def s_quiet_silences_fatal(run):
    run.invoke(["-q", "1.2.3.4", "016", "true"])


@scenario()
def s_no_ip_address_numeric(run):
    """`127.1` is numeric to djb: two bytes round down to none, so 'no IP address for 127.1'."""
    run.invoke(["127.1", "0", "true"])


@scenario()
def s_port_in_use(run):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        run.masker.add_port(port, "BUSYPORT")
        run.invoke(["127.0.0.1", str(port), "true"])
    finally:
        holder.close()


@scenario()
def s_limit_garbage_is_zero(run):
    """`-c abc` scans as 0: status 0/0 and no accept() ever; the client waits in the backlog."""
    server = run.start(["-v", "-c", "abc"])
    c = server.connect()
    run.note("client idle while limit 0: %s" % c.idle_for(SHORT))
    c.close()
    server.settle()
    run.finish()


# --- the environment and the log --------------------------------------------------------------

@scenario()
def s_env_basic(run):
    """PROTO and TCP* as the child sees them; the -v log with status/pid/ok/end lines."""
    server = run.start(["-v"])
    run.serve_one(server)
    run.serve_one(server, "client2")
    run.finish()


@scenario()
def s_env_stale_inherited(run):
    """Inherited TCP* values are replaced or removed (-H/-R unset TCPREMOTEHOST/INFO); djb
    knows nothing of TCP6*, so inherited TCP6* values reach the child untouched."""
    stale = {v: "stale" for v in ["TCPLOCALHOST", "TCPREMOTEHOST", "TCPREMOTEINFO", "TCPLOCALIP",
                                  "TCPREMOTEPORT", "PROTO", "TCP6INTERFACE", "TCP6REMOTEIP"]}
    one_connection(run, ["-v"], env=stale)


@scenario()
def s_local_name_empty(run):
    """`-l ''` sets TCPLOCALHOST to the empty string (djb: env("TCPLOCALHOST","") with a
    non-null pointer); only a failed or empty PTR lookup leaves it unset."""
    one_connection(run, ["-v", "-l", ""], env={"TCPLOCALHOST": "stale"})


@scenario()
def s_not_verbose(run):
    """Default verbosity (-Q): no status/pid/ok/end lines."""
    server = run.start([])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_last_verbosity_wins(run):
    """`-v -q`: quiet wins; `-q -v` would be verbose (covered by the other scenarios)."""
    server = run.start(["-v", "-q"])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_clustered_options(run):
    """Clustered flags and attached arguments: `-vHR1 -lLocal -Bban -c2 -b5`."""
    server = run.start_argv(["-vHR1", "-lLocal", "-Bban", "-c2", "-b5", "127.0.0.1", "0"]
                            + run.child())
    run.serve_one(server)
    run.finish()


@scenario()
def s_double_dash(run):
    """`--` ends the options."""
    server = run.start_argv(QUIET_LOOKUPS + ["-v1", "--", "127.0.0.1", "0"] + run.child())
    run.serve_one(server)
    run.finish()


@scenario()
def s_program_word_stops_options(run):
    """Options stop at the host: `... 127.0.0.1 0 -v` runs a program called -v (and fails)."""
    one_connection(run, ["-v"], program=["-v"])


@scenario()
def s_program_not_found(run):
    """`unable to run ./nonexistprog: file does not exist`, drop status 28416."""
    one_connection(run, ["-v"], program=["./nonexistprog"])


@scenario()
def s_program_from_path(run):
    """A bare program name is searched in $PATH (pathexec)."""
    one_connection(run, ["-v"], program=["echo", "hi", "there"])


@scenario()
def s_banner(run):
    """-B bytes are written raw (no escapes) before the program's output."""
    one_connection(run, ["-v", "-B", "220 banner\\n\r\n"])


@scenario()
def s_big_banner_slow_reader(run):
    """A 120000-byte banner to a client that does not read yet must not hold up another
    client (djb writes it in the child; a server that writes it in the parent must not block)."""
    banner = "".join(chr(ord("a") + i % 26) for i in range(120000))
    server = run.start(["-v", "-B", banner])
    slow = server.connect()
    fast = server.connect()
    run.note("fast: %s, %d bytes, banner first: %s" % (
        fast.read_all(), len(fast.buf), fast.buf.startswith(banner.encode())))
    run.note("slow: %s, %d bytes, banner first: %s" % (
        slow.read_all(), len(slow.buf), slow.buf.startswith(banner.encode())))
    server.settle(ends=2)
    server.unordered = True  # two children interleave: compare the lines as a set
    run.finish()


@scenario()
def s_client_speaks_first(run):
    """Bytes the client sends before the program starts are left for the program's stdin."""
    server = run.start(["-v", "-B", "hello "], mode="wait")
    run.serve_one(server, send=b"early bird\n")
    run.finish()


@scenario()
def s_drop_privileges(run):
    """-g then -u after bind: setgroups({gid}), setgid, setuid; the child runs as them."""
    one_connection(run, ["-v", "-u", "65534", "-g", "65534"], mode="ids")


@scenario()
def s_drop_privileges_from_env(run):
    """-U takes $UID and $GID."""
    one_connection(run, ["-v", "-U"], mode="ids", env={"UID": "65534", "GID": "65534"})


@scenario()
def s_wait_status_exit3(run):
    """The end line shows the raw wait status: exit 3 is 768."""
    one_connection(run, ["-v"], mode="exit3")


@scenario()
def s_wait_status_sigkill(run):
    """A child killed by SIGKILL: status 9."""
    one_connection(run, ["-v"], mode="kill")


@scenario()
def s_child_fds_and_signals(run):
    """The child has exactly fds 0,1,2, blocking sockets, no blocked or ignored signals."""
    one_connection(run, ["-v"], mode="fds")


@scenario()
def s_nodelay_default(run):
    """Default -d: Nagle stays on."""
    one_connection(run, ["-v"], mode="sockopts")


@scenario()
def s_nodelay_flag(run):
    """-D: TCP_NODELAY on the accepted socket."""
    one_connection(run, ["-v", "-D"], mode="sockopts")


@scenario()
def s_port_line_then_stdout_closed(run):
    """-1 writes `PORT\\n` and nothing more: tcpserver's stdout is closed after it."""
    server = run.start(["-v"])
    ready, _, _ = select.select([server.proc.stdout], [], [], WAIT)
    run.note("stdout after the port line: %r" % (server.proc.stdout.read1(100) if ready
                                                  else "still open"))
    server.settle()
    run.finish()


@scenario()
def s_sighup_default_action(run):
    """SIGHUP keeps its default action: the parent dies of it (no reload, nothing caught)."""
    server = run.start(["-v"])
    server.settle()
    server.proc.send_signal(signal.SIGHUP)
    try:
        server.exit_code = server.proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        server.exit_code = "still running after SIGHUP"
    run.note("exit after SIGHUP: %s" % server.exit_code)
    run.finish()


@scenario()
def s_port_65536_is_ephemeral(run):
    """Port 65536 truncates to 0: the kernel picks one, -1 prints it."""
    one_connection(run, ["-v"], port="65536")


@scenario()
def s_host_bracketed_zero_padded(run):
    """djb's numeric host parser: `[127.000.000.001]` is 127.0.0.1."""
    one_connection(run, ["-v"], host="[127.000.000.001]")


@scenario()
def s_host_five_parts(run):
    """djb's numeric host parser keeps whole groups of four bytes: 127.0.0.1.5 is 127.0.0.1."""
    one_connection(run, ["-v"], host="127.0.0.1.5")


@scenario()
def s_safecats_100(run):
    """Exactly 100 bytes still get `...` in the log; the env keeps the whole value."""
    one_connection(run, ["-v", "-l", "x" * 100])


@scenario()
def s_safecats_99(run):
    one_connection(run, ["-v", "-l", "x" * 99])


@scenario()
def s_safecats_101(run):
    one_connection(run, ["-v", "-l", "y" * 101])


@scenario()
def s_safecats_specials(run):
    """`a:b c%dé` logs as `a?b?c?d??` (':', ' ', '%' and each byte of é)."""
    one_connection(run, ["-v", "-l", "a:b c%dé"])


# --- concurrency, signals ---------------------------------------------------------------------

@scenario()
def s_limit_one_serialises(run):
    """-c 1: a second client waits in the backlog until the first child exits."""
    server = run.start(["-v", "-c", "1"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    b = server.connect()
    run.note("B idle while A runs: %s" % b.idle_for(SHORT))
    a.send(b"go\n")
    run.note_client("A", a, a.read_all())
    run.ready("B ready after A", b)
    b.send(b"go\n")
    run.note_client("B", b, b.read_all())
    server.settle(ends=2)
    run.finish()


@scenario()
def s_limit_two_status_counts(run):
    """-c 2: status climbs to 2/2 and falls back, one line per change."""
    server = run.start(["-v", "-c", "2"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    server.wait_log(r"^tcpserver: ok ", 1)
    b = server.connect()
    run.ready("B ready", b)
    server.wait_log(r"^tcpserver: ok ", 2)
    run.release("A", a, b"a\n")
    server.settle(ends=1)
    run.release("B", b, b"b\n")
    server.settle(ends=2)
    run.finish()


@scenario()
def s_burst_under_limit(run):
    """16 clients at once against -c 4 and a rules file: every one is served with its own
    environment (its own TCPREMOTEPORT), the count never passes 4, every child ends with 0."""
    run.rules('127.0.0.1:allow,WHICH="burst"\n:deny\n')
    server = run.start(["-v", "-c", "4", "-x", "rules.cdb"])
    clients = [server.connect() for _ in range(16)]
    own_env = 0
    for c in clients:
        how = c.read_all()
        port = c.sock.getsockname()[1]
        text = c.buf.decode("utf-8", "replace")
        if how == "eof" and "TCPREMOTEPORT=%d\n" % port in text and "WHICH=burst\n" in text:
            own_env += 1
        c.close()
    server.settle(ends=16)
    counts = [int(m.group(1)) for l in server.lines
              for m in [re.match(r"tcpserver: status: (\d+)/4$", l)] if m]
    run.note("clients served with their own env: %d of 16" % own_env)
    run.note("highest status count: %d" % max(counts, default=-1))
    run.note("ok lines: %d" % sum(l.startswith("tcpserver: ok ") for l in server.lines))
    run.note("end lines with status 0: %d" % sum(
        bool(re.match(r"tcpserver: end \d+ status 0$", l)) for l in server.lines))
    run.note("last line: %s" % (server.lines[-1] if server.lines else "none"))
    server.lines = []  # the interleaving of 16 children is not deterministic; summarised above
    run.finish()


@scenario()
def s_sigterm_idle(run):
    """SIGTERM: the parent exits 0 at once."""
    server = run.start(["-v"])
    server.settle()  # the startup status line first: a SIGTERM may otherwise beat it
    t0 = time.monotonic()
    code = server.terminate()
    run.note("exit after SIGTERM: %s, within 1s: %s" % (code, time.monotonic() - t0 < 1.0))
    run.finish()


@scenario()
def s_sigterm_leaves_children(run):
    """SIGTERM kills only the parent: a running child still serves its client."""
    server = run.start(["-v"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    run.note("exit after SIGTERM: %s" % server.terminate())
    a.send(b"still here\n")
    run.note_client("A", a, a.read_all())
    run.finish()


# --- rules ------------------------------------------------------------------------------------

@scenario()
def s_rules_allow_sets_env(run):
    """Rule variables come last and override TCP* in the env; the log keeps the real values."""
    run.rules('127.0.0.1:allow,RULEVAR="ruled",TCPREMOTEHOST="fake",TCPLOCALIP="9.9.9.9",'
              'TCPLOCALHOST="fakelocal",PROTO="X"\n:deny\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_same_var_twice(run):
    """A rule setting a variable twice: the later value wins."""
    run.rules('127.0.0.1:allow,RULEVAR="first",RULEVAR=/second/\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_deny(run):
    """Deny: no program, exit 100 (status 25600), the client just sees EOF."""
    run.rules("127.0.0.1:deny\n:allow\n")
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_banner_before_deny(run):
    """The banner is written before the rules are read: a denied client still gets it."""
    run.rules("127.0.0.1:deny\n")
    one_connection(run, ["-v", "-B", "banner", "-x", "rules.cdb"])


@scenario()
def s_rules_prefix_and_default(run):
    """Prefix keys, first line wins, and the empty default key."""
    run.rules('10.:deny\n127.0.:allow,WHICH="prefix"\n127.0.:deny\n:deny\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_default_deny(run):
    run.rules('10.1.2.3:allow\n:deny,WHICH="default"\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_info_key_needs_ident(run):
    """With -R TCPREMOTEINFO is unset, so `@127.0.0.1` is never tried."""
    run.rules('@127.0.0.1:deny\n127.0.0.1:allow,WHICH="ip"\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_range(run):
    """An `a-b` range compiled by tcprules: 127.0-1. covers 127.0.0.1."""
    run.rules('127.0-1.:allow,WHICH="range"\n:deny\n')
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_missing_without_X(run):
    """No rules file, no -X: drop with a warning, status 28416."""
    one_connection(run, ["-v", "-x", "nonexist.cdb"])


@scenario()
def s_rules_missing_warning_without_v(run):
    """The drop warning is printed at the default verbosity too."""
    server = run.start(["-x", "nonexist.cdb"])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_rules_missing_with_X(run):
    """-X: a nonexistent rules file means no rules, allow."""
    one_connection(run, ["-v", "-X", "-x", "nonexist.cdb"])


@scenario()
def s_rules_clustered_Xx(run):
    """`-Xx FILE` clustered."""
    one_connection(run, ["-v", "-Xx", "nonexist.cdb"])


@scenario()
def s_rules_corrupt_header(run):
    """Every table pointer past EOF: `unable to read rules.cdb: protocol error`, drop."""
    (Path(run.workdir) / "rules.cdb").write_bytes(b"\xff" * 4096)
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_corrupt_truncated(run):
    """A real cdb cut inside its hash tables: its slots point past EOF."""
    run.rules("".join("10.0.%d.%d:allow\n" % (i // 256, i % 256) for i in range(300)) + ":deny\n")
    path = Path(run.workdir) / "rules.cdb"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1500])
    one_connection(run, ["-v", "-x", "rules.cdb"])


DROP_WARNING = r" log: tcpserver: warning: dropping connection, unable to read rules\.cdb: [a-z ]+"


def drop_with_any_reason(ref_lines):
    """Ours must drop exactly as the reference does, but the error text is not pinned."""
    return [Re(re.escape(line.split(" log: ")[0]) + DROP_WARNING)
            if "warning: dropping connection, unable to read rules.cdb:" in line else line
            for line in ref_lines]


@scenario(expect=drop_with_any_reason)
def s_rules_empty_file(run):
    """DELIBERATE DIFFERENCE: Debian's build drops a 0-byte rules file with `invalid argument`
    (its cdb_init mmap check was optimised away, spec §4.4); pristine djb would say `protocol
    error`. Ours must drop (111, status 28416) with a warning; the wording is not pinned."""
    (Path(run.workdir) / "rules.cdb").write_bytes(b"")
    one_connection(run, ["-v", "-x", "rules.cdb"])


def sigsegv_becomes_drop(ref_lines):
    """Debian's child dies of SIGSEGV (status 11) on a directory; ours must drop instead."""
    fixed = []
    for line in ref_lines:
        if line.endswith(" log: tcpserver: end PID1 status 11"):
            fixed.append(Re(re.escape(line.split(" log: ")[0]) + DROP_WARNING))
            line = line.replace("status 11", "status 28416")
        fixed.append(line)
    return fixed


@scenario(expect=sigsegv_becomes_drop)
def s_rules_directory(run):
    """DELIBERATE DIFFERENCE: a directory as rules file crashes Debian's child with SIGSEGV
    (`end P status 11`, spec §4.4). Ours must drop with 111 (status 28416) and a warning."""
    (Path(run.workdir) / "rules.cdb").mkdir()
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_replaced_live(run):
    """tcprules between two connections: the new rules apply at once, without any signal."""
    run.rules('127.0.0.1:allow,WHICH="one"\n')
    server = run.start(["-v", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="two"\n')
    run.serve_one(server, "client2", ends=2)
    run.rules("127.0.0.1:deny\n")
    run.serve_one(server, "client3", ends=3)
    run.finish()


def rewrite_in_place(path, data):
    """Overwrite a file keeping its inode (as `cp` over it would), unlike tcprules' rename."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


@scenario()
def s_rules_rewritten_in_place(run):
    """The rules file rewritten in place (same inode, within the same second), first shrinking
    to a much smaller cdb, then changing only bytes of the same length. djb reopens the file for
    every connection; a server that keeps it mapped must notice both (and never read past the
    new end of file)."""
    run.rules("".join("10.1.%d.%d:deny\n" % (i // 256, i % 256) for i in range(2000)) +
              '127.0.0.1:allow,WHICH="big"\n')
    server = run.start(["-v", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="one"\n', name="small.cdb")
    rewrite_in_place(Path(run.workdir) / "rules.cdb", (Path(run.workdir) / "small.cdb").read_bytes())
    run.serve_one(server, "client2", ends=2)
    run.rules('127.0.0.1:allow,WHICH="two"\n', name="small.cdb")
    rewrite_in_place(Path(run.workdir) / "rules.cdb", (Path(run.workdir) / "small.cdb").read_bytes())
    run.serve_one(server, "client3", ends=3)
    run.finish()


@scenario()
def s_rules_created_after_start(run):
    """-X with no file at start, then tcprules creates it: the next connection sees it."""
    server = run.start(["-v", "-X", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="created"\n')
    run.serve_one(server, "client2", ends=2)
    run.finish()


# --- IPv6 and dual stack ---------------------------------------------------------------------
# IPv6 clients are compared with fefe's build (the only reference that has them).

@scenario(ref="fefe")
def s_ipv6_env(run):
    """::1 against fefe: PROTO=TCP6, TCP6* copies, and fefe's ok line with `:` left unmasked."""
    one_connection(run, ["-v"], host="::1", v6=True)


@scenario(ref="fefe")
def s_ipv6_rules(run):
    """IPv6 keys (fefe tcprules syntax): `::1` is tried before `::` and `:`."""
    run.rules(':::allow,WHICH="dcolon"\n::1:allow,WHICH="exact",RULEVAR="v6"\n::deny\n',
              tcprules="ucspi-tcp-ipv6")
    one_connection(run, ["-v", "-x", "rules.cdb"], host="::1", v6=True)


@scenario(ref="fefe")
def s_ipv6_rules_prefix(run):
    """`::` (written `:::allow`) is the prefix key after `::1`."""
    run.rules(':::allow,WHICH="dcolon"\n::deny\n', tcprules="ucspi-tcp-ipv6")
    one_connection(run, ["-v", "-x", "rules.cdb"], host="::1", v6=True)


@scenario(ref="fefe")
def s_ipv6_deny_with_banner(run):
    run.rules("::1:deny\n", tcprules="ucspi-tcp-ipv6")
    one_connection(run, ["-v", "-B", "v6banner", "-x", "rules.cdb"], host="::1", v6=True)


@scenario(ref="fefe")
def s_dual_stack_ipv6_client(run):
    """Host `0`: an IPv6 client on the dual-stack socket, as fefe presents it."""
    one_connection(run, ["-v"], host="0", v6=True)


@scenario(ref="fefe")
def s_dual_stack_forced_v6_ipv4_client(run):
    """`-6`: IPv4 clients presented as IPv4-mapped IPv6 (PROTO=TCP6, ::ffff: everywhere)."""
    one_connection(run, ["-v", "-6"], host="0")


# DELIBERATE DIFFERENCE (tcpserver/README.md): on the dual-stack socket of host `0` or `''`, ours
# presents IPv4 clients exactly as djb does (PROTO=TCP, dotted values, no TCP6* variables, dotted
# log fields), where fefe's build sets TCP6*=::ffff:... and logs `::ffff:127.0.0.1`. So these are
# compared with djb's build, whose host `0` is 0.0.0.0: for an IPv4 client the two must agree.

@scenario(ref="djb")
def s_dual_stack_ipv4_client(run):
    one_connection(run, ["-v"], host="0")


@scenario(ref="djb")
def s_dual_stack_empty_host(run):
    one_connection(run, ["-v"], host="")


@scenario(ref="djb")
def s_dual_stack_ipv4_rules(run):
    """An IPv4 client on the dual-stack socket is looked up by its dotted form."""
    run.rules('127.0.0.1:allow,WHICH="dotted"\n:deny\n')
    one_connection(run, ["-v", "-x", "rules.cdb"], host="0")


@scenario(ref="djb")
def s_ipv4_only_flag(run):
    """Ours `-4 0` listens on IPv4 only, as djb's `0` does (djb has no -4: it is left out for
    djb). An IPv6 client is refused; an IPv4 one is served as usual."""
    server = run.start(["-v"] + ([] if run.impl == "djb" else ["-4"]), host="0")
    try:
        server.connect(socket.AF_INET6, "::1")
        run.note("::1 accepted")
    except ConnectionRefusedError:
        run.note("::1 refused")
    run.serve_one(server)
    run.finish()


# --- our extension: -C, the per-IP limit ------------------------------------------------------

def per_ip_limit_expected(_ours):
    """Hand-written: no reference has -C. Format from tcpserver/README.md: the limited
    connection is closed at once, logs one `limit N :LOCALIP:LOCALPORT :REMOTEIP::REMOTEPORT`
    line under -v, gets no status/pid/end lines and does not count against -c."""
    log = "server log: tcpserver: "
    return [
        "A ready: True",
        "B (2nd from 127.0.0.1) closed at once without data: True",
        "C (from 127.0.0.2) ready: True",
        "A: eof",
        "D (127.0.0.1 again, after A left) ready: True",
        "D: eof",
        "C: eof",
        "server: exit 0",
        log + "status: 0/10",
        log + "status: 1/10",
        log + "pid PID1 from 127.0.0.1",
        log + "ok PID1 NAME:127.0.0.1:LPORT :127.0.0.1::RPORT1",
        log + "limit PID2 :127.0.0.1:LPORT :127.0.0.1::RPORT2",
        log + "status: 2/10",
        log + "pid PID3 from 127.0.0.2",
        log + "ok PID3 NAME:127.0.0.1:LPORT :127.0.0.2::RPORT3",
        log + "end PID1 status 0",
        log + "status: 1/10",
        log + "status: 2/10",
        log + "pid PID4 from 127.0.0.1",
        log + "ok PID4 NAME:127.0.0.1:LPORT :127.0.0.1::RPORT4",
        log + "end PID4 status 0",
        log + "status: 1/10",
        log + "end PID3 status 0",
        log + "status: 0/10",
    ]


@scenario(ref=None, ours_only=per_ip_limit_expected)
def s_per_ip_limit_C(run):
    """Our extension `-C 1`: a second connection from one IP is closed at once; another IP,
    and the same IP once its first connection is gone, are served."""
    server = run.start(["-v", "-c", "10", "-C", "1"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    b = server.connect()
    t0 = time.monotonic()
    closed = b.read_all() == "eof" and b.buf == b"" and time.monotonic() - t0 < 1.0
    run.note("B (2nd from 127.0.0.1) closed at once without data: %s" % closed)
    server.wait_log(r"^tcpserver: limit ")
    c = server.connect(source="127.0.0.2")
    run.ready("C (from 127.0.0.2) ready", c)
    server.wait_log(r"^tcpserver: ok ", 2)
    run.release("A", a, b"go\n")
    server.settle(ends=1)
    d = server.connect()
    run.ready("D (127.0.0.1 again, after A left) ready", d)
    run.release("D", d, b"go\n")
    server.settle(ends=2)
    run.release("C", c, b"go\n")
    server.settle(ends=3)
    run.finish()


# ---------------------------------------------------------------------------------------------
# Running and comparing.


def run_scenario(sc, impl, binary, refdir, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    run = Run(impl, binary, refdir, workdir)
    try:
        sc["fn"](run)
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


def reference_binary(refdir, which):
    pkg = {"djb": "ucspi-tcp", "fefe": "ucspi-tcp-ipv6"}[which]
    return str(Path(refdir) / pkg / "usr/bin/tcpserver")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", help="our tcpserver binary")
    ap.add_argument("--reference-dir", help="where fetch-reference.sh extracted the builds")
    ap.add_argument("--self-test", action="store_true",
                    help="run the reference as 'ours' (checks the harness is deterministic)")
    ap.add_argument("--missing-target", action="store_true",
                    help="fail: the build has no tcpserver target yet")
    ap.add_argument("-k", dest="filter", default="", help="only scenarios whose name has this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="print every transcript")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()

    if args.list:
        for sc in SCENARIOS:
            print("%-36s %s" % (sc["name"], (sc["doc"] or "").split("\n")[0]))
        return 0
    if args.missing_target:
        print("compat.tcpserver: FAIL: the build has no tcpserver target, so there is nothing "
              "to compare with the reference")
        print("0 passed, 1 failed")
        return 1
    if not args.reference_dir or not (args.ours or args.self_test):
        ap.error("--reference-dir and --ours (or --self-test) are needed")
    args.reference_dir = os.path.abspath(args.reference_dir)
    args.ours = args.ours and os.path.abspath(args.ours)
    for binary in [args.ours, reference_binary(args.reference_dir, "djb"),
                   reference_binary(args.reference_dir, "fefe")]:
        if binary and not os.access(binary, os.X_OK):
            print("compat.tcpserver: FAIL: no executable %s" % binary)
            print("0 passed, 1 failed")
            return 1
    # A defined start: nothing blocked, so the child's SigBlk shows only what tcpserver did.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    base = tempfile.mkdtemp(prefix="tcpserver-diff-")
    passed, failed = [], []
    try:
        for sc in SCENARIOS:
            if args.filter not in sc["name"]:
                continue
            ok, report = compare(sc, args, base)
            (passed if ok else failed).append(sc["name"])
            print("%s %s" % ("ok  " if ok else "FAIL", sc["name"]), flush=True)
            if report and (not ok or args.verbose):
                print(report, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    total = len(passed) + len(failed)
    print("\n%d scenarios: %d passed, %d failed" % (total, len(passed), len(failed)))
    if failed:
        print("failed: " + " ".join(failed))
    print("%d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed or total == 0 else 0


def compare(sc, args, base):
    """Run one scenario for ours and its reference; (equal?, report text)."""
    workdir = os.path.join(base, sc["name"])
    if sc["ref"] is None:
        if args.self_test:
            return True, "    (ours only: skipped in self-test)"
        ours = run_scenario(sc, "ours", args.ours, args.reference_dir, workdir)
        expected = sc["ours_only"](ours)
    else:
        ref_bin = reference_binary(args.reference_dir, sc["ref"])
        expected = run_scenario(sc, sc["ref"], ref_bin, args.reference_dir, workdir)
        if args.self_test:  # the reference plays ours, with its own label and options
            ours = run_scenario(sc, sc["ref"], ref_bin, args.reference_dir, workdir)
        else:
            ours = run_scenario(sc, "ours", args.ours, args.reference_dir, workdir)
        if sc["expect"] and not args.self_test:
            expected = sc["expect"](expected)
    # A scenario that broke (on either side) proves nothing: it fails even if both broke alike.
    ok = same(expected, ours) and not any("EXCEPTION" in str(l) for l in expected + ours)
    if ok:
        report = "\n".join("    " + l for l in ours)
    else:
        report = "  reference: %s\n%s" % (sc["ref"], show_diff(expected, ours))
        broken = [str(l) for l in expected + ours if "EXCEPTION" in str(l)]
        report += "".join("\n    broken scenario: " + l for l in broken)
    return ok, report


if __name__ == "__main__":
    sys.exit(main())
