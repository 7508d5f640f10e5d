#!/usr/bin/env python3
"""The replicated roaming layout (doc/guides/replicated-roaming.md), end to end: two real
mariadbd on loopback, a primary and its replica (tests/support/mariadb-replication-fixture.sh),
relay-allow as a POP/IMAP host runs it, and two tcpservers: host A reads the local replica with
the primary as fallback (replica.conf), host B the primary (primary.conf).

    replication_test.py --bin DIR --fixture mariadb-replication-fixture.sh
                        --server-fixture mariadb-fixture.sh

  1. a login on the primary relays on A once replicated;
  2. replication stopped on the replica: a fresh login relays on A through the primary (it is
     not on the replica), an address never logged in does not; the same with the replica
     lagging past max_lag (MASTER_DELAY) and with the replica's server down;
  3. the primary stopped: A still relays what the replica has, a miss does not relay; relay of
     a new login resumes when the primary is back;
  4. relay-clear run from both hosts at once, with logins beside it: no error, no failed login,
     the expired rows gone on both servers, the fresh and permanent ones kept.

No timing assertions: waits are generous upper limits for something that must happen.
Prints one line per check and "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from checks import Checks  # noqa: E402
from roaming_tcpserver_test import (Server, ask, compile_rules, prepare, relay_allow,  # noqa: E402
                                    wait_for_relay)

PATIENCE = 60  # seconds: far beyond max_lag + the 2 s a status reading is trusted


class Pair:
    """The fixture's primary and replica in `dbdir`."""

    def __init__(self, fixture, server_fixture, dbdir):
        self.fixture, self.server_fixture, self.dbdir = fixture, server_fixture, dbdir
        self.primary_conf = os.path.join(dbdir, "primary.conf")
        self.replica_conf = os.path.join(dbdir, "replica.conf")

    def start(self):
        for attempt in (1, 2):
            r = subprocess.run(["bash", self.fixture, "start", self.dbdir], capture_output=True,
                               text=True, timeout=300)
            if r.returncode == 0:
                return
            print(f"replication fixture start (attempt {attempt}) failed:\n{r.stdout}{r.stderr}",
                  file=sys.stderr)
            self.stop()
        raise RuntimeError("the MariaDB primary and replica did not start")

    def stop(self):
        subprocess.run(["bash", self.fixture, "purge", self.dbdir], capture_output=True,
                       timeout=120)

    def sql(self, server, text):
        r = subprocess.run(["bash", self.fixture, "sql", server, self.dbdir], input=text,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"sql on the {server} failed: {r.stderr}")
        return r.stdout

    def rows(self, server):
        """{ip: timestamp text or 'NULL'} of the relay table there."""
        out = self.sql(server, "SELECT ip_addr, IFNULL(timestamp, 'NULL') FROM vpopmail.relay;")
        return dict(line.split("\t") for line in out.splitlines() if "\t" in line)

    def server(self, action, which):
        r = subprocess.run(["bash", self.server_fixture, action, os.path.join(self.dbdir, which)],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"{action} {which} failed:\n{r.stdout}{r.stderr}")

    def caught_up(self):
        """Waits until the replica has applied everything the primary has logged."""
        pos = self.sql("primary", "SELECT @@gtid_binlog_pos;").strip()
        got = self.sql("replica", f"SELECT MASTER_GTID_WAIT('{pos}', {PATIENCE});").strip()
        return got == "0"


def tail(server, lines=30):
    """The end of a tcpserver's log, for a failed check's details."""
    return "\n".join(server.log_text().splitlines()[-lines:])


def eventually(predicate, seconds=PATIENCE):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def not_relayed(port, source):
    env = ask(port, source)
    return env is not None and env["RELAYCLIENT"] == "unset"


def replicated_login(c, bin_dir, pair, a, b):
    c.check("1: 127.0.0.11 does not relay on A before its login", not_relayed(a.port, "127.0.0.11"))
    r = relay_allow(bin_dir, f"mysql:{pair.primary_conf}", "127.0.0.11")
    c.check("1: relay-allow on the POP host records to the primary", r.returncode == 0 and not r.stderr,
            r.stderr)
    c.check("1: the login reaches the replica", pair.caught_up() and "127.0.0.11" in pair.rows("replica"))
    c.check("1: A (reading the replica) relays it", wait_for_relay(a.port, "127.0.0.11", PATIENCE),
            tail(a))
    c.check("1: B (reading the primary) relays it", wait_for_relay(b.port, "127.0.0.11", PATIENCE),
            tail(b))
    # An SMTP host's tools write to the primary too: its replica is read-only.
    r = relay_allow(bin_dir, f"mysql:{pair.replica_conf}", "127.0.0.12")
    c.check("1: relay-allow with the replica's file writes to the primary",
            r.returncode == 0 and not r.stderr and "127.0.0.12" in pair.rows("primary"), r.stderr)


def replication_stopped(c, bin_dir, pair, a):
    pair.sql("replica", "STOP SLAVE;")
    r = relay_allow(bin_dir, f"mysql:{pair.primary_conf}", "127.0.0.13")
    c.check("2: a login while replication is stopped is recorded", r.returncode == 0, r.stderr)
    c.check("2: ... on the primary only",
            "127.0.0.13" in pair.rows("primary") and "127.0.0.13" not in pair.rows("replica"))
    c.check("2: A relays it through the primary", wait_for_relay(a.port, "127.0.0.13", PATIENCE),
            tail(a))
    c.check("2: A still relays what the replica has", wait_for_relay(a.port, "127.0.0.11", PATIENCE))
    c.check("2: an address never logged in does not relay on A", not_relayed(a.port, "127.0.0.14"))
    c.check("2: ... nor over IPv6", not_relayed(a.port, "::1"))
    pair.sql("replica", "START SLAVE;")
    c.check("2: replication resumed: the login reaches the replica",
            pair.caught_up() and "127.0.0.13" in pair.rows("replica"))


def replica_lagging(c, bin_dir, pair, a):
    """MASTER_DELAY holds every event on the replica for an hour: replication runs, and
    Seconds_Behind_Master grows past max_lag (2) while a login waits in it.

    Whether A trusts its replica shows in a marker row written on the replica alone (root
    passes read_only): A relays it exactly while it believes the replica, since the primary,
    asked otherwise, has no such row."""
    pair.sql("replica", "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 3600; START SLAVE;"
                        " INSERT INTO vpopmail.relay VALUES ('127.0.0.18', UNIX_TIMESTAMP());")
    c.check("2c: with nothing waiting in the delay, A trusts its replica (the marker relays)",
            wait_for_relay(a.port, "127.0.0.18", PATIENCE), tail(a))
    r = relay_allow(bin_dir, f"mysql:{pair.primary_conf}", "127.0.0.17")
    c.check("2c: a login while the replica lags is recorded", r.returncode == 0, r.stderr)
    c.check("2c: A relays it through the primary", wait_for_relay(a.port, "127.0.0.17", PATIENCE),
            tail(a))
    c.check("2c: ... while the replica does not have it yet", "127.0.0.17" not in pair.rows("replica"))
    c.check("2c: lagging, the replica is not trusted: the marker does not relay",
            not_relayed(a.port, "127.0.0.18"))
    c.check("2c: an address never logged in does not relay on A", not_relayed(a.port, "127.0.0.14"))
    pair.sql("replica", "DELETE FROM vpopmail.relay WHERE ip_addr = '127.0.0.18';"
                        " STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE;")
    c.check("2c: without the delay the replica catches up",
            pair.caught_up() and "127.0.0.17" in pair.rows("replica"))


def replica_down(c, bin_dir, pair, a):
    pair.server("stop", "replica")
    r = relay_allow(bin_dir, f"mysql:{pair.primary_conf}", "127.0.0.16")
    c.check("2b: a login while A's replica server is down is recorded", r.returncode == 0, r.stderr)
    c.check("2b: A relays it through the primary", wait_for_relay(a.port, "127.0.0.16", PATIENCE),
            tail(a))
    c.check("2b: an address never logged in does not relay on A", not_relayed(a.port, "127.0.0.14"))
    pair.server("restart", "replica")
    c.check("2b: the restarted replica replicates again and has the login",
            eventually(lambda: pair.caught_up() and "127.0.0.16" in pair.rows("replica")))


def primary_stopped(c, bin_dir, pair, a):
    pair.server("stop", "primary")
    c.check("3: with the primary stopped, A relays what the replica has",
            wait_for_relay(a.port, "127.0.0.11", PATIENCE), tail(a))
    c.check("3: a miss does not relay", not_relayed(a.port, "127.0.0.14"))
    r = subprocess.run([os.path.join(bin_dir, "relay-allow"), "-s", f"mysql:{pair.primary_conf}",
                        "-i", "127.0.0.15", "sh", "-c", "echo the login ran"],
                       capture_output=True, text=True, timeout=30)
    c.check("3: relay-allow with the primary down warns and still runs the login",
            r.returncode == 0 and r.stdout == "the login ran\n"
            and "relay-allow: warning: unable to record 127.0.0.15" in r.stderr,
            f"{r.returncode} {r.stdout} {r.stderr}")
    c.check("3: the login that could not be recorded does not relay", not_relayed(a.port, "127.0.0.15"))
    # Asked until A has noticed that the replica is not fresh (the IO thread lost its primary)
    # and says why; every answer on the way must be no relay.
    answers = []

    def noticed():
        answers.append(not_relayed(a.port, "127.0.0.14"))
        log = a.log_text()
        return "not known fresh" in log and "primary: mysql 127.0.0.1:" in log

    c.check("3: A's log gives the reason: replica not fresh, primary down", eventually(noticed),
            tail(a))
    c.check(f"3: no miss relayed meanwhile ({len(answers)} asked)", all(answers), answers)
    pair.server("restart", "primary")
    r = relay_allow(bin_dir, f"mysql:{pair.primary_conf}", "127.0.0.15")
    c.check("3: the primary back, the login is recorded", r.returncode == 0 and not r.stderr, r.stderr)
    c.check("3: ... and relays on A", wait_for_relay(a.port, "127.0.0.15", PATIENCE), tail(a))
    c.check("3: the replica follows the restarted primary",
            pair.caught_up() and "127.0.0.15" in pair.rows("replica"))


def run_all(commands):
    """Runs every command at once; returns their CompletedProcess results, in order."""
    with concurrent.futures.ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda argv: subprocess.run(argv, capture_output=True, text=True,
                                                         timeout=60), commands))


def clear_everywhere(c, bin_dir, pair):
    old = int(time.time()) - 100000
    expired = [f"10.9.{i // 200}.{i % 200 + 1}" for i in range(400)]
    values = ", ".join(f"('{ip}', {old})" for ip in expired)
    pair.sql("primary", f"REPLACE INTO vpopmail.relay (ip_addr, timestamp) VALUES {values};"
                        " REPLACE INTO vpopmail.relay VALUES ('10.8.0.0', NULL);")
    clear = os.path.join(bin_dir, "relay-clear")
    allow = os.path.join(bin_dir, "relay-allow")
    commands = []
    for _ in range(3):
        commands += [[clear, "-s", f"mysql:{pair.primary_conf}"],
                     [clear, "-s", f"mysql:{pair.replica_conf}"]]
    fresh = [f"10.7.0.{i}" for i in range(1, 9)]
    for i, ip in enumerate(fresh):
        conf = pair.primary_conf if i % 2 else pair.replica_conf
        commands.append([allow, "-s", f"mysql:{conf}", "-i", ip])
    results = run_all(commands)
    bad = [(cmd, r.returncode, r.stderr) for cmd, r in zip(commands, results)
           if r.returncode != 0 or r.stderr]
    c.check("4: relay-clear from both hosts at once, logins beside it: no error, no warning",
            not bad, bad)
    c.check("4: the replica applies every statement", pair.caught_up())
    for server in ("primary", "replica"):
        rows = pair.rows(server)
        c.check(f"4: {server}: every expired row gone",
                not [ip for ip in expired if ip in rows], sorted(rows)[:10])
        c.check(f"4: {server}: the fresh logins and the permanent row kept",
                all(ip in rows for ip in fresh + ["127.0.0.15"]) and rows.get("10.8.0.0") == "NULL",
                rows)
    c.check("4: both servers hold the same table", pair.rows("primary") == pair.rows("replica"))
    status = pair.sql("replica", "SHOW STATUS LIKE 'Slave_running';")
    c.check("4: replication still running after it", status.split() == ["Slave_running", "ON"],
            status)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--fixture", required=True)
    p.add_argument("--server-fixture", required=True)
    a = p.parse_args()
    c = Checks()
    work = tempfile.mkdtemp(prefix="replication-test.")
    pair = Pair(a.fixture, a.server_fixture, os.path.join(work, "db"))
    try:
        prepare(work)
        compile_rules(a.bin, work)
        pair.start()
        host_a = Server(a.bin, work, f"mysql:{pair.replica_conf}")
        host_b = Server(a.bin, work, f"mysql:{pair.primary_conf}")
        try:
            replicated_login(c, a.bin, pair, host_a, host_b)
            replication_stopped(c, a.bin, pair, host_a)
            replica_lagging(c, a.bin, pair, host_a)
            replica_down(c, a.bin, pair, host_a)
            primary_stopped(c, a.bin, pair, host_a)
            clear_everywhere(c, a.bin, pair)
        finally:
            host_a.stop()
            host_b.stop()
    finally:
        pair.stop()
        shutil.rmtree(work, ignore_errors=True)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
