#!/usr/bin/env python3
"""Children get none of tcpserver's own descriptors, by construction.

    fd_hygiene_test.py --bin DIR --fixture tests/support/mariadb-fixture.sh

tcpserver is started the way relay-ctrl-chdir starts it: with a directory already open on a
descriptor of its own (fd 7). It runs with a MySQL store (its helper's socketpair), rules, name
and ident lookups (their sockets), so it holds every kind of descriptor it ever has, while its
helper is killed over and over so that children are started during every stage of a helper's
restart. Each child lists its own descriptors: every one of them must show exactly 0, 1, 2 and
the inherited 7. Loopback only; a private MariaDB started by the fixture script; a DNS
responder on 127.54.0.3:53 (root).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402
from scripted_dns import RCODE_NXDOMAIN, ScriptedDns, response  # noqa: E402
from store_helper import helper_pids  # noqa: E402

CONNECTIONS = 300
DNS_IP = "127.54.0.3"
INHERITED = 7
# Inline, not a script file: dash keeps a script file open on fd 10. ls is the shell's child,
# so it lists the shell's descriptors and not the one it reads the directory with.
# No pipe or substitution either: the shell would hold its end while ls looks.
CHILD = ["/bin/sh", "-c", "ls /proc/$$/fd; readlink /proc/$$/fd/7"]


class NxdomainDns(ScriptedDns):
    """Answers every query at once with NXDOMAIN, so that name lookups happen (their sockets
    exist) without slowing the test down."""

    def answer(self, name, qtype, packet, question):
        return response(packet, question, [], RCODE_NXDOMAIN)


def ask(port, source):
    with socket.socket() as s:
        s.settimeout(20)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return data.decode(errors="replace").strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--fixture", required=True)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="fd-hygiene.")
    dbdir = os.path.join(work, "mariadb")
    inherited_dir = os.path.join(work, "relay-ctrl")
    os.mkdir(inherited_dir)
    c = Checks()

    r = subprocess.run(["bash", a.fixture, "start", dbdir], capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        print(f"FAIL MariaDB did not start:\n{r.stdout}{r.stderr}")
        return 1
    proc = None
    dns = NxdomainDns(DNS_IP)
    try:
        with open(os.path.join(work, "rules.txt"), "w") as f:
            f.write(":allow,FROMRULE=\"1\"\n")
        with open(os.path.join(work, "rules.txt"), "rb") as f:
            subprocess.run([os.path.join(a.bin, "tcprules"), os.path.join(work, "rules.cdb"),
                            os.path.join(work, "rules.tmp")], stdin=f, check=True)
        fd = os.open(inherited_dir, os.O_RDONLY | os.O_DIRECTORY)
        os.dup2(fd, INHERITED, inheritable=True)
        os.close(fd)
        proc, port, log = start_tcpserver(
            os.path.join(a.bin, "tcpserver"), work,
            ["-1", "-h", "-r", "-t", "1", "-c", "100", "-x", os.path.join(work, "rules.cdb"),
             "-s", f"mysql:{dbdir}/sql.conf", "127.0.0.1", "0", *CHILD],
            pass_fds=[INHERITED], env=dict(os.environ, DNSCACHEIP=DNS_IP))
        os.close(INHERITED)

        stop = threading.Event()
        kills = 0

        def kill_helpers():
            nonlocal kills
            while not stop.is_set():
                for pid in helper_pids(proc.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills += 1
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)

        killer = threading.Thread(target=kill_helpers)
        killer.start()
        answers = []
        try:
            for i in range(CONNECTIONS):
                answers.append(ask(port, f"127.0.0.{10 + i % 50}"))
        finally:
            stop.set()
            killer.join()
        def fds_of(answer):
            return sorted(int(line) for line in answer.splitlines() if line.isdigit())

        wrong = [x for x in answers if fds_of(x) != [0, 1, 2, INHERITED]]
        c.check(f"{CONNECTIONS} children each have exactly fds 0 1 2 and the inherited {INHERITED}, "
              f"while the store helper was killed {kills} times", not wrong and kills > 0,
              wrong[:3])
        c.check("the inherited descriptor is the directory tcpserver was given",
              all(x.splitlines()[-1:] == [inherited_dir] for x in answers), answers[:1])
    finally:
        if proc:
            proc.kill()
            proc.wait()
        dns.close()
        subprocess.run(["bash", a.fixture, "purge", dbdir], capture_output=True, timeout=60)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
