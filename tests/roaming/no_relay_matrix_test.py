#!/usr/bin/env python3
"""No relay on any failure path (issue 9): one table, the roaming store's states by clients.

    no_relay_matrix_test.py --bin DIR --fixture SCRIPT     (needs root: tcpserver runs -u 65534)

Rows are store states. A healthy store of each kind is the control: its recorded clients must
relay, or the table would prove nothing. The other rows are the ways a store fails: a cdb
missing, truncated (in its records, in its hash tables), with a corrupt record, of random
bytes, a FIFO, a directory, a file tcpserver may not read; relay-ctrl's directory missing,
unreadable, a file; the MySQL config missing, unreadable, a directory, a FIFO (at startup),
removed or made unreadable while tcpserver runs (read again when its helper restarts); the
database down (nothing on the port), slow (accepts and never answers), without its table. The MySQL control is a real
MariaDB (tests/support/mariadb-fixture.sh), started once.

Columns are clients, each asked twice (so a warning per connection would show):

  v4      127.0.0.3 to a tcpserver on 127.0.0.1 (an IPv4 socket), recorded as 127.0.0.3
  ::1     ::1 to a tcpserver on 0 (dual-stack ::), recorded as ::1
  mapped  127.0.0.5 over IPv4 to the dual-stack tcpserver, so it arrives as ::ffff:127.0.0.5
          (that tcpserver runs with -6, so its child's TCPREMOTEIP shows it), recorded by
          relay-allow -i ::ffff:127.0.0.5
  never   127.0.0.2 to the dual-stack tcpserver, never recorded
  login   relay-allow on the row's store with a login program, after the clients: it must run

Every tcpserver runs as uid and gid 65534 (-u, -g) with -x rules, as a real one does. A cell
holds: the child ran within 3 s; RELAYCLIENT="" for the recorded clients of a control row and
unset everywhere else. Per row, each tcpserver's log: no warning in a control row, exactly
one naming the problem in the others (never one per connection, never a "back"). A MySQL
config tcpserver cannot read at startup is a fatal error instead (doc/mysql-store.md): it
must exit 111 within 3 s naming the file, and serve nobody.

In the control rows, before the clients: relay-allow with an empty IP (TCPREMOTEIP="", IP="",
-i "") and with hostile strings in -i, $TCPREMOTEIP and $IP. The login runs, nothing is
recorded (the store byte for byte, or for MySQL every table read as root, is unchanged), and
the never column then shows that nothing relays. The MySQL helper protocol gets the hostile
strings as `relay KEY` (a NUL and 300 bytes included, which argv and the environment cannot
carry): NOTFOUND each. The SQL beneath the validation: tests/mysql/test_hostile_keys.cpp.

Prints one line per check, the table, and
"N passed, N failed"; exits 1 on any failure.
"""
import argparse
import concurrent.futures
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from checks import Checks  # noqa: E402
from child_script import write_child  # noqa: E402
from roaming_tcpserver_test import start_mariadb  # noqa: E402
from store_helper import wait_for_helper  # noqa: E402

NOBODY = 65534
BOUND = 3.0  # seconds: a client served (or tcpserver refusing to start) within this
CHILD = """#!/bin/sh
echo "RELAYCLIENT=${RELAYCLIENT-unset}"
echo "TCPREMOTEIP=${TCPREMOTEIP-unset}"
"""
RULES = ':allow,DEFAULT="yes"\n'

# (column, which tcpserver, client source address, the IP relay-allow records or None)
CLIENTS = [
    ("v4", "v4", "127.0.0.3", "127.0.0.3"),
    ("::1", "dual", "::1", "::1"),
    ("mapped", "dual", "127.0.0.5", "::ffff:127.0.0.5"),
    ("never", "dual", "127.0.0.2", None),
]
ARRIVES_AS = {"127.0.0.3": "127.0.0.3", "::1": "::1", "127.0.0.5": "::ffff:127.0.0.5",
              "127.0.0.2": "::ffff:127.0.0.2"}

# Strings where relay-allow wants an IP. A NUL cannot pass through argv or the environment:
# it goes to the helper protocol (HELPER_HOSTILE) and to the SQL tests.
HOSTILE = [
    "1.2.3.4'); DROP TABLE relay; --",
    "' OR '1'='1",
    "127.0.0.3' OR '1'='1",
    "127.0.0.2') OR ('1'='1",
    "\\",
    "127.0.0.2\\",
    "\\'; DROP TABLE relay; #",
    "`; DROP TABLE relay; --",
    "../escaped",
    "../../escaped",
    "127.0.0.2/../127.0.0.3",
    "::1 OR 1=1",
    "'" * 300,
]
HELPER_HOSTILE = HOSTILE + ["\0", "127.0.0.3\0' OR '1'='1", "127.0.0.3\n", "127.0.0.3 ",
                            "127.0.0.3,14:relay 127.0.0.3,", "\\" * 300]

class Report:
    """Checks named by their row."""

    def __init__(self):
        self.c = Checks()

    def check(self, group, name, ok, detail=""):
        return self.c.check(f"{group}: {name}", ok, detail)

    def finish(self):
        return self.c.finish()


class Ctx:
    def __init__(self, bin_dir, fold, work, fixture):
        self.bin = bin_dir
        self.fold = fold
        self.work = work
        self.fixture = fixture
        self.dbdir = os.path.join(work, "mariadb")
        self.held = []  # sockets and threads of the fake databases, closed at the end
        self.stop = threading.Event()

    def tool(self, name):
        return os.path.join(self.bin, name)


class Server:
    """tcpserver as uid 65534 on port 0; port is None when it printed none within BOUND."""

    def __init__(self, ctx, store, host, extra=()):
        self.log_path = os.path.join(ctx.work, f"tcpserver-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "wb")
        args = [ctx.tool("tcpserver"), "-v", "-1", "-H", "-R", "-l", "matrix",
                "-u", str(NOBODY), "-g", str(NOBODY), "-x", os.path.join(ctx.work, "rules.cdb"),
                "-s", store, *extra, host, "0", os.path.join(ctx.work, "child.sh")]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        self.port = None
        ready, _, _ = select.select([self.proc.stdout], [], [], BOUND)
        if ready:
            line = self.proc.stdout.readline()
            if line.strip().isdigit():
                self.port = int(line)

    def exit_status(self, seconds):
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.exit_status(10) is None:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def ask(port, source):
    """(the child's variables or None when nothing was served, seconds)."""
    family = socket.AF_INET6 if ":" in source else socket.AF_INET
    dest = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    start = time.monotonic()
    data = b""
    try:
        with socket.socket(family) as s:
            s.settimeout(2 * BOUND)
            s.bind((source, 0))
            s.connect((dest, port))
            while chunk := s.recv(4096):
                data += chunk
    except OSError:
        return None, time.monotonic() - start
    env = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
    return env or None, time.monotonic() - start


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TCPREMOTEIP", "IP", "RELAY_STORE")}
    env.update(extra)
    return env


def relay_allow(ctx, store, args=(), env=None, program=("sh", "-c", "echo login-ran")):
    """(exit status or None when it was still running after BOUND, stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        r = subprocess.run([ctx.tool("relay-allow"), "-s", store, *args, *program],
                           env=env or clean_env(), capture_output=True, text=True,
                           timeout=BOUND)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return None, out, "", time.monotonic() - start
    return r.returncode, r.stdout, r.stderr, time.monotonic() - start


def record(ctx, store):
    for _, _, _, ip in CLIENTS:
        if ip:
            subprocess.run([ctx.tool("relay-allow"), "-s", store, "-i", ip], env=clean_env(),
                           check=True, capture_output=True, timeout=30)


# ---- the store states -------------------------------------------------------------------

def cdb_healthy(ctx, d):
    store = f"cdb:{d}/relay.cdb"
    record(ctx, store)
    return store


def cdb_folded(ctx, d):
    """cdb_healthy with every login folded into the base (the fold relay-allow runs in the
    background, run by itself), so that damage to the base's bytes reaches the recorded
    clients."""
    store = cdb_healthy(ctx, d)
    subprocess.run([ctx.fold, store[4:]], env=clean_env(), check=True, capture_output=True,
                   timeout=30)
    assert not os.path.exists(store[4:] + ".journal")
    return store


def cdb_missing(ctx, d):
    return f"cdb:{d}/relay.cdb"


def cdb_tables(path):
    """The cdb's hash tables from its header: [(position, slots)] of the non-empty ones."""
    with open(path, "rb") as f:
        header = f.read(2048)
    tables = [struct.unpack_from("<II", header, 8 * i) for i in range(256)]
    return [(pos, n) for pos, n in tables if n]


def cdb_truncated_records(ctx, d):
    store = cdb_folded(ctx, d)
    path = store[4:]
    records_end = min(pos for pos, _ in cdb_tables(path))
    os.truncate(path, 2048 + (records_end - 2048) // 2)  # every hash table lost
    return store


def cdb_truncated_tables(ctx, d):
    store = cdb_folded(ctx, d)
    path = store[4:]
    os.truncate(path, max(pos for pos, _ in cdb_tables(path)))  # the last hash table lost
    return store


def cdb_corrupt_record(ctx, d):
    """::1's login time overwritten in place with letters: a record no reader can parse."""
    store = cdb_folded(ctx, d)
    path = store[4:]
    records_end = min(pos for pos, _ in cdb_tables(path))
    with open(path, "r+b") as f:
        pos = 2048
        while pos < records_end:
            f.seek(pos)
            klen, vlen = struct.unpack("<II", f.read(8))
            if f.read(klen) == b"::1":
                f.write(b"x" * vlen)
                break
            pos += 8 + klen + vlen
    return store


def cdb_random(ctx, d):
    with open(f"{d}/relay.cdb", "wb") as f:
        f.write(random.Random(9).randbytes(4096))
    return f"cdb:{d}/relay.cdb"


def cdb_fifo(ctx, d):
    os.mkfifo(f"{d}/relay.cdb", 0o644)
    return f"cdb:{d}/relay.cdb"


def cdb_directory(ctx, d):
    os.mkdir(f"{d}/relay.cdb", 0o755)
    return f"cdb:{d}/relay.cdb"


def cdb_unreadable(ctx, d):
    store = cdb_healthy(ctx, d)
    os.chmod(store[4:], 0o600)  # root's: tcpserver runs as 65534
    return store


def ctrl_healthy(ctx, d):
    os.mkdir(f"{d}/relay-ctrl", 0o755)
    store = f"relay-ctrl:{d}/relay-ctrl"
    record(ctx, store)
    return store


def ctrl_missing(ctx, d):
    return f"relay-ctrl:{d}/relay-ctrl"


def ctrl_unreadable(ctx, d):
    store = ctrl_healthy(ctx, d)
    os.chmod(f"{d}/relay-ctrl", 0o700)
    return store


def ctrl_file(ctx, d):
    with open(f"{d}/relay-ctrl", "w") as f:
        f.write("127.0.0.3\n")
    return f"relay-ctrl:{d}/relay-ctrl"


def fixture_conf(ctx):
    with open(f"{ctx.dbdir}/sql.conf") as f:
        return f.read()


def write_conf(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def conf_with(ctx, d, **tags):
    """The fixture's config with some tags replaced."""
    lines = []
    for line in fixture_conf(ctx).splitlines():
        words = line.split()
        if words and words[0] in tags:
            continue
        lines.append(line)
    lines += [f"{tag} {value}" for tag, value in tags.items()]
    return "mysql:" + write_conf(f"{d}/sql.conf", "\n".join(lines) + "\n")


def mysql_healthy(ctx, d):
    store = "mysql:" + write_conf(f"{d}/sql.conf", fixture_conf(ctx))
    record(ctx, store)
    return store


def mysql_conf_missing(ctx, d):
    return f"mysql:{d}/sql.conf"


def mysql_conf_unreadable(ctx, d):
    return "mysql:" + write_conf(f"{d}/sql.conf", fixture_conf(ctx), 0o600)


def mysql_conf_directory(ctx, d):
    os.mkdir(f"{d}/sql.conf", 0o755)
    return f"mysql:{d}/sql.conf"


def mysql_conf_fifo(ctx, d):
    os.mkfifo(f"{d}/sql.conf", 0o644)
    return f"mysql:{d}/sql.conf"


def mysql_conf_good(ctx, d):
    return "mysql:" + write_conf(f"{d}/sql.conf", fixture_conf(ctx))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mysql_down(ctx, d):
    return conf_with(ctx, d, server="127.0.0.1", port=free_port())


def mysql_slow(ctx, d):
    """A 'database' that accepts and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)

    def hold():
        while not ctx.stop.is_set():
            try:
                ctx.held.append(listener.accept()[0])
            except socket.timeout:
                pass

    holder = threading.Thread(target=hold)
    holder.start()
    ctx.held += [holder, listener]  # the thread stops before its socket closes
    return conf_with(ctx, d, server="127.0.0.1", port=listener.getsockname()[1])


def mysql_no_table(ctx, d):
    return conf_with(ctx, d, table="no_such_table")


def restart_helpers_after(change):
    """For the rows whose config changes under a running tcpserver: the helpers (which read it
    at their start) are killed, and each new one finds the change."""
    def after_start(servers, conf):
        helpers = [wait_for_helper(s.proc.pid) for s in servers]
        change(conf)
        for pid in helpers:
            if pid:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)  # the first restart (250 ms) has read the config
    return after_start


class Row:
    def __init__(self, name, make, problem, control=False, startup_fatal=False,
                 after_start=None, helper_problem=None):
        self.name = name
        self.make = make
        # In tcpserver's one warning (or fatal line); a tuple: any of them.
        self.problem = problem if isinstance(problem, tuple) or problem is None else (problem,)
        self.control = control
        self.startup_fatal = startup_fatal
        self.after_start = after_start
        self.helper_problem = helper_problem  # in relay-mysql's own line, when it names it
        self.kind = name.split()[0]


ROWS = [
    Row("cdb healthy (control)", cdb_healthy, None, control=True),
    Row("cdb missing", cdb_missing, "file does not exist"),
    Row("cdb truncated in its records", cdb_truncated_records, "is not a roaming cdb"),
    Row("cdb truncated in its hash tables", cdb_truncated_tables, "corrupt"),
    Row("cdb with one corrupt record", cdb_corrupt_record, "corrupt"),
    Row("cdb of random bytes", cdb_random, "is not a roaming cdb"),
    Row("cdb is a FIFO", cdb_fifo, "is not a roaming cdb"),
    Row("cdb is a directory", cdb_directory, "is a directory"),
    Row("cdb unreadable (0600 root)", cdb_unreadable, "access denied"),
    Row("relay-ctrl healthy (control)", ctrl_healthy, None, control=True),
    Row("relay-ctrl dir missing", ctrl_missing, "file does not exist"),
    Row("relay-ctrl dir unreadable (0700 root)", ctrl_unreadable, "access denied"),
    Row("relay-ctrl dir is a file", ctrl_file, "not a directory"),
    Row("mysql healthy MariaDB (control)", mysql_healthy, None, control=True),
    Row("mysql config missing", mysql_conf_missing, "file does not exist", startup_fatal=True),
    Row("mysql config unreadable (0600 root)", mysql_conf_unreadable, "access denied",
        startup_fatal=True),
    Row("mysql config is a directory", mysql_conf_directory, "is a directory",
        startup_fatal=True),
    Row("mysql config is a FIFO", mysql_conf_fifo, "sql.conf", startup_fatal=True),
    Row("mysql config removed, helper restarted", mysql_conf_good, "relay-mysql",
        after_start=restart_helpers_after(os.unlink), helper_problem="file does not exist"),
    Row("mysql config unreadable, helper restarted", mysql_conf_good, "relay-mysql",
        after_start=restart_helpers_after(lambda p: os.chmod(p, 0o600)),
        helper_problem="access denied"),
    Row("mysql database down", mysql_down, "Can't connect"),
    Row("mysql database slow", mysql_slow, ("timed out after", "no answer within")),
    Row("mysql table missing", mysql_no_table, "does not exist"),
]


# ---- the empty and hostile IPs ----------------------------------------------------------

def store_state(ctx, store):
    """Everything a recording could change: the store's bytes, or every table as root."""
    kind, path = store.split(":", 1)
    if kind == "cdb":
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            return str(e)
    if kind == "relay-ctrl":
        # Its parent and grandparent too: a key like ../x must not land beside it.
        parent = os.path.dirname(path)
        return [sorted(os.listdir(p)) for p in (path, parent, os.path.dirname(parent))]
    with open(f"{ctx.dbdir}/socket") as f:
        sock = f.read().strip()
    mariadb = shutil.which("mariadb") or "/usr/bin/mariadb"
    sql = ("SHOW TABLES FROM vpopmail; "
           "SELECT HEX(ip_addr), IFNULL(timestamp, 'NULL') FROM vpopmail.relay ORDER BY ip_addr")
    r = subprocess.run([mariadb, "--no-defaults", f"--socket={sock}", "-uroot", "-N", "-B",
                        "-e", sql], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def login_inputs(rep, ctx, row, store):
    """relay-allow with an empty or hostile IP: the login runs, nothing is recorded."""
    before = store_state(ctx, store)
    attempts = [("-i ''", ["-i", ""], clean_env()),
                ("TCPREMOTEIP=''", [], clean_env(TCPREMOTEIP="")),
                ("IP=''", [], clean_env(IP=""))]
    ways = ("-i", "TCPREMOTEIP", "IP") if row.kind == "mysql" else ("-i",)
    for text in HOSTILE:
        for way in ways:
            if way == "-i":
                attempts.append((f"-i {text[:40]!r}", ["-i", text], clean_env()))
            else:
                attempts.append((f"{way}={text[:40]!r}", [], clean_env(**{way: text})))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda a: relay_allow(ctx, store, a[1], a[2]), attempts))
    bad = []
    for (label, _, _), (status, out, err, secs) in zip(attempts, results):
        expected = "no client IP" if label.endswith("''") else "not an IP address"
        if not (status == 0 and "login-ran" in out and secs < BOUND and expected in err
                and err.count("\n") == 1):
            bad.append((label, status, out, err, round(secs, 2)))
    empty = sum(1 for label, _, _ in attempts if label.endswith("''"))
    rep.check(row.name, f"relay-allow with an empty IP ({empty} ways) and {len(HOSTILE)} hostile "
              f"strings in {', '.join(ways)}: each login ran within {BOUND:.0f} s, one warning",
              not bad, bad[:3])
    after = store_state(ctx, store)
    rep.check(row.name, "...and the store is unchanged (the table exists, its rows as they were)"
              if row.kind == "mysql" else "...and the store is unchanged, byte for byte",
              after == before and (row.kind != "mysql" or before[0] == 0), (before, after))
    if row.kind == "mysql":
        helper_keys(rep, ctx, row, store, before)


def netstring(payload):
    return b"%d:%s," % (len(payload), payload)


def read_netstrings(data):
    replies = []
    while data:
        length, _, rest = data.partition(b":")
        n = int(length)
        replies.append(rest[:n].decode(errors="replace"))
        data = rest[n + 1:]
    return replies


def helper_ask(ctx, conf, keys):
    requests = b"".join(netstring(b"relay " + key.encode()) for key in keys)
    r = subprocess.run([ctx.tool("relay-mysql"), "serve", conf], input=requests,
                       capture_output=True, timeout=30)
    return r.returncode, read_netstrings(r.stdout), r.stderr.decode(errors="replace")


def helper_keys(rep, ctx, row, store, before):
    """The helper protocol's key, the one entry point that can carry a NUL."""
    conf = store.split(":", 1)[1]
    keys = ["127.0.0.3"] + HELPER_HOSTILE + ["127.0.0.3"]
    status, replies, err = helper_ask(ctx, conf, keys)
    ok = (status == 0 and len(replies) == len(keys) and replies[0].startswith("OK ")
          and replies[-1] == replies[0] and all(r == "NOTFOUND " for r in replies[1:-1]))
    rep.check(row.name, f"relay-mysql serve: `relay KEY` for {len(HELPER_HOSTILE)} hostile keys "
              "(a NUL, 300 bytes, a netstring inside) each NOTFOUND, 127.0.0.3 OK around them",
              ok, (status, list(zip(keys, replies)), err))
    status, replies, err = helper_ask(ctx, conf, ["::1\0' OR '1'='1", "::ffff:127.0.0.5\0x"])
    rep.check("helper: an IPv6 key with a NUL inside", "`relay ::1\\0...` and "
              "`relay ::ffff:127.0.0.5\\0x` are NOTFOUND, not read up to the NUL",
              replies == ["NOTFOUND ", "NOTFOUND "], replies)
    rep.check(row.name, "...and after them the table and its rows are unchanged",
              store_state(ctx, store) == before)


# ---- one row ----------------------------------------------------------------------------

def names(line, problem):
    return any(text in line for text in problem)


def warnings_of(log):
    return [line for line in log.splitlines() if line.startswith("tcpserver: warning:")]


def startup_row(rep, ctx, row, store):
    server = Server(ctx, store, "127.0.0.1")  # waits up to BOUND for the port or the exit
    status = server.exit_status(1.0)
    try:
        log = server.log_text()
        fatal = [line for line in log.splitlines() if "fatal" in line]
        rep.check(row.name, f"tcpserver exits 111 within {BOUND:.0f} s, one fatal line naming "
                  "the file and the problem, and serves nobody",
                  server.port is None and status == 111 and len(fatal) == 1
                  and store.split(":", 1)[1] in fatal[0] and names(fatal[0], row.problem),
                  (server.port, status, log))
    finally:
        server.stop()
    cells = {col: "no start" if status == 111 else "BLOCKED" if status is None else f"exit {status}"
             for col, _, _, _ in CLIENTS}
    cells["warnings"] = f"fatal x{len(fatal)}"
    return cells


def run_row(rep, ctx, row):
    d = os.path.join(ctx.work, "rows", row.name.replace(" ", "_").replace("/", "_"))
    os.makedirs(d)
    os.chmod(d, 0o755)
    store = row.make(ctx, d)
    if row.control:
        login_inputs(rep, ctx, row, store)
    if row.startup_fatal:
        cells = startup_row(rep, ctx, row, store)
    else:
        cells = serve_row(rep, ctx, row, store)
    status, out, err, secs = relay_allow(ctx, store, ["-i", "127.0.0.6"])
    ran = status == 0 and "login-ran" in out and secs < BOUND
    rep.check(row.name, f"login: relay-allow on this store runs the login within {BOUND:.0f} s "
              f"({secs:.2f} s)", ran, (status, out, err))
    cells["login"] = f"ran {secs:.2f}s" if ran else "BLOCKED" if status is None else f"exit {status}"
    return cells


def serve_row(rep, ctx, row, store):
    servers = {"v4": Server(ctx, store, "127.0.0.1"), "dual": Server(ctx, store, "0", ["-6"])}
    try:
        started = all(s.port for s in servers.values())
        rep.check(row.name, "both tcpservers start", started,
                  [s.log_text() for s in servers.values()])
        if not started:
            return {col: "NO START" for col, _, _, _ in CLIENTS}
        if row.after_start:
            row.after_start(list(servers.values()), store.split(":", 1)[1])
        cells = {}
        for col, which, source, recorded in CLIENTS:
            answers = [ask(servers[which].port, source) for _ in range(2)]
            want = "" if row.control and recorded else "unset"
            worst = max(secs for _, secs in answers)
            served = all(env and env.get("TCPREMOTEIP") == ARRIVES_AS[source] for env, _ in answers)
            relayed = [env.get("RELAYCLIENT") == "" for env, _ in answers if env]
            rep.check(row.name, f"{col} ({source}): served twice within {BOUND:.0f} s, "
                      f"RELAYCLIENT {'set' if want == '' else 'unset'}",
                      served and worst < BOUND
                      and all(env.get("RELAYCLIENT") == want for env, _ in answers), answers)
            verdict = ("relay" if relayed and all(relayed) else "-" if not any(relayed)
                       else "MIXED") if served else "NOT SERVED"
            cells[col] = f"{verdict} {worst:.2f}s"
        time.sleep(0.3)  # the children's last log lines
        logs = {name: s.log_text() for name, s in servers.items()}
        counts = []
        for name, log in logs.items():
            warned = warnings_of(log)
            backs = log.count(" back\n")
            counts.append(str(len(warned)) + (f" ({backs} back)" if backs else ""))
            if row.control:
                ok = not warned
            else:
                ok = (len(warned) == 1 and "unavailable" in warned[0]
                      and names(warned[0], row.problem) and " back" not in log)
            rep.check(row.name, f"{name} tcpserver's log: "
                      + ("no warning" if row.control else
                         f"one warning naming the problem ({' or '.join(row.problem)}), no 'back'"),
                      ok, log[-1500:])
        if row.helper_problem:
            conf = store.split(":", 1)[1]
            said = [line for log in logs.values() for line in log.splitlines()
                    if line.startswith("relay-mysql: fatal:") and conf in line
                    and row.helper_problem in line]
            rep.check(row.name, f"the restarted helper names the problem ({row.helper_problem!r})",
                      bool(said), logs)
            counts.append(f"helper x{len(said)}")
        cells["warnings"] = "+".join(counts)
        return cells
    finally:
        for s in servers.values():
            s.stop()


def print_table(rows):
    columns = [col for col, _, _, _ in CLIENTS] + ["login", "warnings", "time"]
    width = max(len(name) for name, _ in rows)
    widths = {col: max(len(col), *(len(cells.get(col, "")) for _, cells in rows)) for col in columns}
    print()
    print("store state".ljust(width) + " | " + " | ".join(col.ljust(widths[col]) for col in columns))
    print("-" * width + "-+-" + "-+-".join("-" * widths[col] for col in columns))
    for name, cells in rows:
        print(name.ljust(width) + " | "
              + " | ".join(cells.get(col, "").ljust(widths[col]) for col in columns))
    print("(relay: RELAYCLIENT=\"\"; -: unset; times: the slower of two connections; warnings: "
          "tcpserver warning lines per server, v4+dual, and relay-mysql's own lines)")
    print()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--fixture", required=True)
    p.add_argument("--fold", required=True, help="tests/roaming/roaming_fold")
    a = p.parse_args()
    rep = Report()
    if os.geteuid() != 0:
        rep.check("setup", "runs as root (tcpserver -u 65534 reads the stores as that user)", False)
        return rep.finish()
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="no-relay-matrix.")
    os.chmod(work, 0o755)  # uid 65534 reaches the child, the rules and the stores
    ctx = Ctx(os.path.abspath(a.bin), os.path.abspath(a.fold), work, a.fixture)
    table = []
    try:
        write_child(work, CHILD)
        with open(os.path.join(work, "rules.txt"), "w") as f:
            f.write(RULES)
        with open(os.path.join(work, "rules.txt"), "rb") as rules:
            subprocess.run([ctx.tool("tcprules"), os.path.join(work, "rules.cdb"),
                            os.path.join(work, "rules.tmp")], stdin=rules, check=True)
        db_started = time.monotonic()
        start_mariadb(a.fixture, ctx.dbdir)
        print(f"MariaDB started in {time.monotonic() - db_started:.1f} s", flush=True)
        for row in ROWS:
            row_started = time.monotonic()
            cells = run_row(rep, ctx, row)
            cells["time"] = f"{time.monotonic() - row_started:.1f}s"
            table.append((row.name, cells))
    finally:
        ctx.stop.set()
        for held in ctx.held:
            if isinstance(held, threading.Thread):
                held.join()
            else:
                held.close()
        subprocess.run(["bash", a.fixture, "stop", ctx.dbdir], capture_output=True, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    print_table(table)
    print(f"run time {time.monotonic() - started:.1f} s")
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
