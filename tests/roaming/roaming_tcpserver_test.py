#!/usr/bin/env python3
"""tcpserver with a roaming store, end to end: real tcpserver, real relay-allow, real clients on
loopback, and for MySQL a real MariaDB started by tests/support/mariadb-fixture.sh.

    roaming_tcpserver_test.py --bin DIR --store cdb|relay-ctrl|mysql [--fixture SCRIPT]
    roaming_tcpserver_test.py --bin DIR --outage --fixture SCRIPT
    roaming_tcpserver_test.py --bin DIR --helper-faults --fixture SCRIPT

Prints one line per check and "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from connection_load import Load  # noqa: E402
from store_helper import wait_for_helper  # noqa: E402

RULES = """127.0.0.9:deny
127.0.0.8:allow,RELAYCLIENT="",QMAILQUEUE="rule-queue"
127.0.0.7:allow,RBLSMTPD="-listed by the rule"
:allow,DEFAULT="yes"
"""

CHILD = """#!/bin/sh
echo "RELAYCLIENT=${RELAYCLIENT-unset}"
echo "RBLSMTPD=${RBLSMTPD-unset}"
echo "QMAILQUEUE=${QMAILQUEUE-unset}"
echo "DEFAULT=${DEFAULT-unset}"
"""


def ask(port, source, timeout=10.0):
    """Connects from source (an address on lo) and returns the child's variables, or None when
    the server closed without running the child (deny)."""
    family = socket.AF_INET6 if ":" in source else socket.AF_INET
    dest = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family) as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((dest, port))
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    if not data:
        return None
    return dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)


class Server:
    """Our tcpserver on dual-stack port 0 (only loopback clients ever connect)."""

    def __init__(self, bin_dir, work, store, window=None, extra=()):
        self.log_path = os.path.join(work, f"tcpserver-{time.monotonic_ns()}.log")
        args = [os.path.join(bin_dir, "tcpserver"), "-v", "-1", "-H", "-R", "-l", "test",
                "-x", os.path.join(work, "rules.cdb"), "-s", store, *extra]
        if window is not None:
            args += ["-w", str(window)]
        args += ["0", "0", os.path.join(work, "child.sh")]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"tcpserver did not start: {self.log_text()}")
        self.port = int(line)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def relay_allow(bin_dir, store, ip):
    return subprocess.run([os.path.join(bin_dir, "relay-allow"), "-s", store, "-i", ip],
                          capture_output=True, text=True, timeout=30)


def prepare(work):
    with open(os.path.join(work, "rules.txt"), "w") as f:
        f.write(RULES)
    child = os.path.join(work, "child.sh")
    with open(child, "w") as f:
        f.write(CHILD)
    os.chmod(child, 0o755)


def compile_rules(bin_dir, work):
    with open(os.path.join(work, "rules.txt"), "rb") as rules:
        subprocess.run([os.path.join(bin_dir, "tcprules"), os.path.join(work, "rules.cdb"),
                        os.path.join(work, "rules.tmp")], stdin=rules, check=True)


def store_spec(kind, work, mysql_conf):
    if kind == "cdb":
        return f"cdb:{work}/relay.cdb"
    if kind == "relay-ctrl":
        os.makedirs(f"{work}/relay-ctrl", exist_ok=True)
        return f"relay-ctrl:{work}/relay-ctrl"
    return f"mysql:{mysql_conf}"


def behaviour_checks(c, bin_dir, work, kind, store):
    """The issue's list, for one store."""
    for ip in ("127.0.0.3", "127.0.0.9", "127.0.0.8", "127.0.0.7", "::1", "::ffff:127.0.0.5"):
        r = relay_allow(bin_dir, store, ip)
        c.check(f"{kind}: relay-allow -i {ip}", r.returncode == 0, r.stderr)
    server = Server(bin_dir, work, store)
    try:
        env = ask(server.port, "127.0.0.3")
        c.check(f"{kind}: allowed IP relays", env and env["RELAYCLIENT"] == "" and env["RBLSMTPD"] == "", env)
        c.check(f"{kind}: the rule's variables stay", env and env["DEFAULT"] == "yes", env)
        env = ask(server.port, "127.0.0.2")
        c.check(f"{kind}: 127.0.0.2 (never allowed) gets nothing",
                env and env["RELAYCLIENT"] == "unset" and env["RBLSMTPD"] == "unset", env)
        c.check(f"{kind}: a deny rule wins over the store", ask(server.port, "127.0.0.9") is None)
        env = ask(server.port, "127.0.0.8")
        c.check(f"{kind}: a rule's RELAYCLIENT is kept and the store skipped",
                env and env["RELAYCLIENT"] == "" and env["QMAILQUEUE"] == "rule-queue"
                and env["RBLSMTPD"] == "unset", env)
        env = ask(server.port, "127.0.0.7")
        c.check(f"{kind}: a rule's RBLSMTPD is kept",
                env and env["RELAYCLIENT"] == "" and env["RBLSMTPD"] == "-listed by the rule", env)
        env = ask(server.port, "::1")
        c.check(f"{kind}: IPv6 ::1 relays", env and env["RELAYCLIENT"] == "", env)
        env = ask(server.port, "127.0.0.5")
        c.check(f"{kind}: an IP recorded as ::ffff:127.0.0.5 relays as 127.0.0.5",
                env and env["RELAYCLIENT"] == "", env)
        time.sleep(0.3)  # the last end line
        log = server.log_text()
        c.check(f"{kind}: -v says who was granted relay by the store",
                f" 127.0.0.3 by {kind}" in log and " ::1 by " in log
                and " 127.0.0.8 by " not in log and " 127.0.0.2 by " not in log, log)
    finally:
        server.stop()

    # The window is enforced at lookup time: nothing needs to clean up first.
    # A window of 3 s, not 1: the login's time is whole seconds, and a slow (sanitizer) run
    # crossing a second between relay-allow and the lookup must not look like an expiry.
    short = Server(bin_dir, work, store, window=3)
    try:
        relay_allow(bin_dir, store, "127.0.0.4")
        env = ask(short.port, "127.0.0.4")
        c.check(f"{kind}: fresh entry relays with -w 3", env and env["RELAYCLIENT"] == "", env)
        time.sleep(4.2)
        env = ask(short.port, "127.0.0.4")
        c.check(f"{kind}: expired entry does not relay", env and env["RELAYCLIENT"] == "unset", env)
    finally:
        short.stop()


def two_servers_share_mysql(c, bin_dir, work, store):
    one = Server(bin_dir, work, store)
    two = Server(bin_dir, work, store)
    try:
        before = ask(two.port, "127.0.0.6")
        c.check("mysql: 127.0.0.6 not relaying before its login",
                before and before["RELAYCLIENT"] == "unset", before)
        relay_allow(bin_dir, store, "127.0.0.6")
        a, b = ask(one.port, "127.0.0.6"), ask(two.port, "127.0.0.6")
        c.check("mysql: one login is honoured by both tcpservers sharing the database",
                a and b and a["RELAYCLIENT"] == "" and b["RELAYCLIENT"] == "",
                f"{(a, b)}\nfirst server's log:\n{one.log_text()}\nsecond's:\n{two.log_text()}")
    finally:
        one.stop()
        two.stop()


def timed_asks(port, sources):
    """Connects from every source at once; returns [(env, seconds)]."""
    results = [None] * len(sources)

    def one(i, src):
        start = time.monotonic()
        try:
            env = ask(port, src, timeout=15)
        except OSError as e:
            env = {"error": str(e)}
        results[i] = (env, time.monotonic() - start)

    threads = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(sources)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def served_without_relay(results, bound):
    return all(env and env.get("RELAYCLIENT") == "unset" and secs < bound for env, secs in results)


def wait_for_relay(port, source, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        env = ask(port, source)
        if env and env["RELAYCLIENT"] == "":
            return True
        time.sleep(0.2)
    return False


def start_mariadb(fixture, dbdir):
    """Starts a private MariaDB. A failed start prints the fixture's output (so a CI log shows
    why) and is tried once more: a start racing another test's is infrastructure, not a result."""
    for attempt in (1, 2):
        r = subprocess.run(["bash", fixture, "start", dbdir], capture_output=True, text=True,
                           timeout=180)
        if r.returncode == 0:
            return
        print(f"mariadb-fixture start (attempt {attempt}) failed:\n{r.stdout}{r.stderr}",
              file=sys.stderr)
        subprocess.run(["bash", fixture, "stop", dbdir], capture_output=True, timeout=60)
    raise RuntimeError("MariaDB did not start")


# The outage tests' figures. No connection may take longer than BOUND, whatever the database
# does (relay-mysql gives up on it after 1 s, tcpserver on relay-mysql after 3 s); relay must be
# back BACK_WITHIN after a restarted database answers (relay-mysql's backoff stops at 4 s).
BOUND = 3.0
BACK_WITHIN = 5.0
LOGIN_IP = "127.0.0.3"  # relay-allow records a login for it
NO_LOGIN_IP = "127.0.0.2"  # never


def start_load(port):
    """Three client threads from each of LOGIN_IP and NO_LOGIN_IP, connecting back to back."""
    return Load(lambda source: ask(port, source, timeout=10), [LOGIN_IP, NO_LOGIN_IP]).start()


def store_lines(log):
    """tcpserver's lines about the roaming store, and any line saying something is unavailable
    (relay-mysql's own included): an outage is told once, never per connection."""
    return [line for line in log.splitlines() if "roaming store" in line or "unavailable" in line]


def outage_lines(log):
    """(the store's lines, its `unavailable` warnings, its `back` lines, the first reason)."""
    lines = store_lines(log)
    down = [line for line in lines if " unavailable: " in line]
    back = [line for line in lines if line.rstrip().endswith(" back")]
    reason = down[0].split(" unavailable: ", 1)[1].strip() if down else ""
    return lines, down, back, reason


def load_checks(c, name, records):
    """What holds at every moment, fault or not: every connection answered (the child ran,
    nothing reset or timed out), within BOUND, and NO_LOGIN_IP never relays."""
    unanswered = [r for r in records if not r.answered()]
    c.check(f"{name}: every one of {len(records)} connections answered", records and not unanswered,
            unanswered[:5])
    worst = max(records, key=lambda r: r.seconds) if records else None
    c.check(f"{name}: every connection served within {BOUND:g} s"
            f" (worst {worst.seconds if worst else 0:.2f} s)", worst and worst.seconds < BOUND,
            sorted(records, key=lambda r: -r.seconds)[:5])
    never = [r for r in records if r.source == NO_LOGIN_IP]
    c.check(f"{name}: {NO_LOGIN_IP}, which has no login, never relays ({len(never)} connections)",
            len(never) >= 10 and not any(r.relays() for r in never),
            [r for r in never if r.relays()][:5] or len(never))


def mariadbd_pid(dbdir):
    """The fixture's mariadbd: the pid file it writes itself, checked against the process's own
    command line (this datadir), so that nothing else is ever killed."""
    with open(os.path.join(dbdir, "mysqld.pid")) as f:
        pid = int(f.read().split()[0])
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    datadirs = {f"--datadir={d}/data".encode() for d in (dbdir, os.path.realpath(dbdir))}
    if not argv[0].endswith(b"mariadbd") or not datadirs.intersection(argv):
        raise RuntimeError(f"pid {pid} of {dbdir}/mysqld.pid is not the fixture's mariadbd: {argv}")
    return pid


def gone(pid):
    """Exited; a zombie not yet reaped (by init: the fixture started it with setsid) counts."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def killed_database(c, bin_dir, work, fixture, dbdir, store, down_for=2.0):
    """MariaDB killed with SIGKILL in the middle of a continuous load, left down for `down_for`
    seconds, restarted by the fixture on the same datadir and port; the load runs until relay
    has been back for 1.5 s. Everything is asserted afterwards, from the connections' records."""
    server = Server(bin_dir, work, store)
    load = None
    try:
        c.check("killed database: relays while the database is up",
                wait_for_relay(server.port, LOGIN_IP, 5.0))
        load = start_load(server.port)
        time.sleep(1.0)
        pid = mariadbd_pid(dbdir)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        while not gone(pid) and time.monotonic() < killed_at + 10:
            time.sleep(0.005)
        if not gone(pid):
            raise RuntimeError(f"mariadbd {pid} still runs 10 s after SIGKILL")
        dead_at = time.monotonic()
        time.sleep(down_for)
        restart_at = time.monotonic()
        subprocess.run(["bash", fixture, "restart", dbdir], check=True, capture_output=True,
                       timeout=180)
        restarted_at = time.monotonic()
        while time.monotonic() < restarted_at + BACK_WITHIN + 2.0:
            back = load.relayed_since(dead_at, LOGIN_IP)
            if back and time.monotonic() > back.end + 1.5:
                break
            time.sleep(0.1)
        records, load = load.stop(), None
        time.sleep(0.3)  # the last connections' lines
        log = server.log_text()
    finally:
        if load:
            load.stop()
        server.stop()

    def at(t):
        return f"{t - killed_at:+.2f} s"

    in_flight = sum(1 for r in records if r.start < killed_at < r.end)
    print(f"     killed database: SIGKILL at 0 s ({in_flight} connections in flight), mariadbd gone"
          f" at {at(dead_at)}, restart begun at {at(restart_at)}, done at {at(restarted_at)},"
          f" load ended at {at(max(r.end for r in records))}: {len(records)} connections",
          flush=True)
    load_checks(c, "killed database", records)
    up = [r for r in records if r.source == LOGIN_IP and r.end < killed_at]
    c.check(f"killed database: {LOGIN_IP} relays under load before the kill ({len(up)} connections)",
            len(up) >= 5 and all(r.relays() for r in up), [r for r in up if not r.relays()][:5] or len(up))
    down = [r for r in records if r.start >= dead_at and r.end <= restart_at]
    down_login = [r for r in down if r.source == LOGIN_IP]
    c.check(f"killed database: no connection begun after the kill and ended before the restart"
            f" relays ({len(down)} connections, {len(down_login)} from {LOGIN_IP})",
            len(down_login) >= 10 and not any(r.relays() for r in down),
            [r for r in down if r.relays()][:5] or len(down_login))
    back = min((r for r in records if r.source == LOGIN_IP and r.start >= dead_at and r.relays()),
               key=lambda r: r.end, default=None)
    figure = f"{back.end - restarted_at:.2f} s" if back else "never"
    c.check(f"killed database: relay back within {BACK_WITHIN:g} s of the restart completing"
            f" ({figure}; the first relaying connection ended at {at(back.end) if back else '-'})",
            back is not None and back.end - restarted_at <= BACK_WITHIN, records[-5:])
    after = [r for r in records if back and r.source == LOGIN_IP and r.start > back.end]
    c.check(f"killed database: once back, {LOGIN_IP} keeps relaying ({len(after)} connections)",
            len(after) >= 5 and all(r.relays() for r in after),
            [r for r in after if not r.relays()][:5] or len(after))
    with open(os.path.join(dbdir, "port")) as f:
        address = f"127.0.0.1:{f.read().strip()}"
    lines, down_lines, back_lines, reason = outage_lines(log)
    c.check(f"killed database: logged once with its reason ({reason!r}) and once when back,"
            " not per connection",
            len(down_lines) == 1 and address in reason and len(back_lines) == 1
            and len(lines) == 2 and lines[0] in down_lines, "\n".join(lines) or log[-3000:])


def hung_database(c, bin_dir, work, conf, seconds=4.0):
    """A 'database' that accepts TCP and never says a word, under the same continuous load for
    `seconds`: every connection served within BOUND, none relays, the reason logged once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held = []
    stop = threading.Event()

    def hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except socket.timeout:
                pass

    holder = threading.Thread(target=hold)
    holder.start()
    hung_conf = os.path.join(work, "hung.conf")
    with open(conf) as src, open(hung_conf, "w") as dst:
        for line in src:
            tag = line.split()[0] if line.split() else ""
            if tag in ("server", "port", "socket"):
                continue
            dst.write(line)
        port = listener.getsockname()[1]
        dst.write(f"server 127.0.0.1\nport {port}\n")
    load = None
    try:
        server = Server(bin_dir, work, f"mysql:{hung_conf}")
        try:
            load = start_load(server.port)
            time.sleep(seconds)
            records, load = load.stop(), None
            time.sleep(0.3)
            log = server.log_text()
        finally:
            if load:
                load.stop()
            server.stop()
    finally:
        stop.set()
        holder.join()
        for s in held:
            s.close()
        listener.close()
    print(f"     hung database: {len(records)} connections in {seconds:.0f} s, the database"
          f" accepted {len(held)} connections from relay-mysql", flush=True)
    load_checks(c, "hung database", records)
    relayed = [r for r in records if r.relays()]
    c.check(f"hung database: nobody relays ({len(records)} connections)", records and not relayed,
            relayed[:5])
    lines, down_lines, back_lines, reason = outage_lines(log)
    c.check(f"hung database: tcpserver says why once ({reason!r})",
            len(down_lines) == 1 and f"127.0.0.1:{port}" in reason and not back_lines
            and len(lines) == 1,
            "\n".join(lines) or log[-3000:])


def database_outage(c, bin_dir, work, fixture):
    dbdir = os.path.join(work, "mariadb")
    store = f"mysql:{dbdir}/sql.conf"
    try:  # a start that fails half-way must still be stopped
        start_mariadb(fixture, dbdir)
        r = relay_allow(bin_dir, store, LOGIN_IP)
        c.check(f"outage: relay-allow records a login for {LOGIN_IP}", r.returncode == 0, r.stderr)
        killed_database(c, bin_dir, work, fixture, dbdir, store)
        hung_database(c, bin_dir, work, f"{dbdir}/sql.conf")
    finally:
        subprocess.run(["bash", fixture, "stop", dbdir], capture_output=True, timeout=60)


def helper_faults(c, bin_dir, work, fixture):
    """The MySQL store's helper killed, and stopped: tcpserver never waits for it beyond its
    deadline, never relays without it, says so once, and starts a new one."""
    dbdir = os.path.join(work, "mariadb")
    store = f"mysql:{dbdir}/sql.conf"
    try:
        start_mariadb(fixture, dbdir)
        relay_allow(bin_dir, store, "127.0.0.3")
        server = Server(bin_dir, work, store)
        try:
            first = wait_for_helper(server.proc.pid)
            c.check("helper: tcpserver started relay-mysql serve as its own child", first is not None)
            c.check("helper: relays through it", wait_for_relay(server.port, "127.0.0.3", 5.0))

            os.kill(first, signal.SIGKILL)
            results = timed_asks(server.port, ["127.0.0.3"] * 4 + ["127.0.0.2"] * 4)
            c.check("helper killed: every client served at once"
                    f" (worst {max(s for _, s in results):.2f} s)",
                    all(env and "RELAYCLIENT" in env and secs < 3.0 for env, secs in results), results)
            second = wait_for_helper(server.proc.pid, other_than=first)
            c.check("helper killed: a new one is started", second is not None and second != first)
            c.check("helper killed: relay works again", wait_for_relay(server.port, "127.0.0.3", 10.0))

            os.kill(second, signal.SIGSTOP)
            results = timed_asks(server.port, ["127.0.0.3"] * 4)
            worst = max(secs for _, secs in results)
            c.check(f"helper stopped: served without relay within its 3 s deadline (worst {worst:.2f} s)",
                    served_without_relay(results, 5.0), results)
            third = wait_for_helper(server.proc.pid, other_than=second)
            c.check("helper stopped: it is replaced", third is not None and third != second)
            c.check("helper stopped: relay works again", wait_for_relay(server.port, "127.0.0.3", 10.0))
            time.sleep(0.3)
            log = server.log_text()
            c.check("helper: each failure is one warning with its reason, and one line when back",
                    log.count("unavailable") == 2 and log.count(" back") == 2
                    and ("relay-mysql was killed by signal 9" in log
                         or "relay-mysql closed its socket" in log)
                    and "did not answer within 3000 ms" in log, log)
        finally:
            server.stop()
    finally:
        subprocess.run(["bash", fixture, "stop", dbdir], capture_output=True, timeout=60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--store", choices=["cdb", "relay-ctrl", "mysql"])
    p.add_argument("--outage", action="store_true")
    p.add_argument("--helper-faults", action="store_true")
    p.add_argument("--fixture")
    a = p.parse_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="roaming-test.")
    try:
        prepare(work)
        compile_rules(a.bin, work)
        if a.outage:
            database_outage(c, a.bin, work, a.fixture)
        elif a.helper_faults:
            helper_faults(c, a.bin, work, a.fixture)
        elif a.store == "mysql":
            dbdir = os.path.join(work, "mariadb")
            try:  # a start that fails half-way must still be stopped
                start_mariadb(a.fixture, dbdir)
                store = f"mysql:{dbdir}/sql.conf"
                behaviour_checks(c, a.bin, work, "mysql", store)
                two_servers_share_mysql(c, a.bin, work, store)
            finally:
                subprocess.run(["bash", a.fixture, "stop", dbdir], capture_output=True, timeout=60)
        else:
            behaviour_checks(c, a.bin, work, a.store, store_spec(a.store, work, None))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
