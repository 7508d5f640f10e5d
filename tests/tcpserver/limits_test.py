#!/usr/bin/env python3
"""tcpserver where a resource runs out, as an unprivileged user's limits make it run out: it
says so, keeps its listener, and serves again when the resource is back; it never dies of it.

    limits_test.py --bin DIR

- No process may be made (RLIMIT_NPROC reached by the -u user's processes):
  every connection is dropped with djb's "unable to fork" warning, tcpserver stays up, and
  serves as soon as the limit allows a child.
- No descriptor may be opened (RLIMIT_NOFILE just above what tcpserver holds, and clients
  held in tcpserver by an ident query to an identd that never answers): accepting pauses with
  an "unable to accept" warning, and resumes when descriptors are free again.
Needs root (to start tcpserver as uid 64911, no account's). Loopback only.
"""
import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from child_script import write_child  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402

# tcpserver's -u/-g: a uid of the test's own, no account's. RLIMIT_NPROC counts every process
# of the uid, and other tests run as nobody beside this one: one of theirs ending between our
# count and our connections once let tcpserver fork.
TEST_UID = 64911
IDENT_CLIENT = "127.0.0.77"  # our silent identd listens on this client address's port 113
CHILD = "#!/bin/sh\necho served\n"


def ask(port, timeout=5):
    """The child's answer, "" when the connection was closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        data = b""
        while chunk := s.recv(100):
            data += chunk
    return data.decode().strip()


def start(bin_dir, work, limits, extra=()):
    def apply_limits():
        for which, value in limits:
            resource.setrlimit(which, (value, value))

    return start_tcpserver(os.path.join(bin_dir, "tcpserver"), work,
                           ["-v", "-1", "-R", "-H", "-l", "x",
                            "-u", str(TEST_UID), "-g", str(TEST_UID),
                            *extra, "127.0.0.1", "0", os.path.join(work, "child.sh")],
                           preexec_fn=apply_limits)


def log_text(log):
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")


def processes_of(uid):
    count = 0
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat(f"/proc/{entry}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count


def no_processes(c, bin_dir, work):
    # RLIMIT_NPROC counts the user's processes: with a sleeper of the same user alive, the
    # limit leaves tcpserver no child; once the sleeper is gone, it does.
    sleeper = subprocess.Popen(["sleep", "60"], user=TEST_UID, group=TEST_UID)
    time.sleep(0.2)
    limit = processes_of(TEST_UID) + 1
    proc, port, log = start(bin_dir, work, [(resource.RLIMIT_NPROC, limit)])
    try:
        answers = [ask(port) for _ in range(3)]
        time.sleep(0.3)
        text = log_text(log)
        c.check("RLIMIT_NPROC reached: each connection is dropped, none served",
                answers == ["", "", ""], answers)
        c.check("RLIMIT_NPROC reached: djb's warning, tcpserver still running",
                "tcpserver: warning: dropping connection, unable to fork: temporary failure" in text
                and proc.poll() is None and "terminate" not in text, text)
        sleeper.kill()
        sleeper.wait()
        deadline = time.monotonic() + 5
        answer = ""
        while answer != "served" and time.monotonic() < deadline:
            answer = ask(port)
            time.sleep(0.1)
        c.check("RLIMIT_NPROC raised: served again without a restart", answer == "served", answer)
    finally:
        sleeper.kill()
        sleeper.wait()
        proc.kill()
        proc.wait()


def no_descriptors(c, bin_dir, work):
    # tcpserver holds 0-2, the listener, the event loop's fds and a reserve: 16 leaves it room
    # for a few clients at once. Each client is held in tcpserver by an ident query (-r) to an
    # identd that accepts and never answers, until -t 3 runs out.
    identd = socket.socket()
    identd.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    identd.bind((IDENT_CLIENT, 113))
    identd.listen(128)
    proc, port, log = start(bin_dir, work, [(resource.RLIMIT_NOFILE, 16)],
                            ["-c", "100", "-r", "-t", "3"])
    clients = []
    try:
        for _ in range(20):
            s = socket.socket()
            s.bind((IDENT_CLIENT, 0))
            s.settimeout(20)
            s.connect(("127.0.0.1", port))
            clients.append(s)
        time.sleep(1.0)
        text = log_text(log)
        c.check("RLIMIT_NOFILE 16: 'unable to accept' while out of descriptors, still running",
                "tcpserver: warning: unable to accept: process cannot open more files" in text
                and proc.poll() is None, text[-2000:])
        answers = []
        for s in clients:
            data = b""
            while chunk := s.recv(100):
                data += chunk
            answers.append(data.decode().strip())
        c.check("RLIMIT_NOFILE 16: every client served once descriptors are free again",
                answers == ["served"] * len(clients), answers)
    finally:
        for s in clients:
            s.close()
        identd.close()
        proc.kill()
        proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    a = p.parse_args()
    if os.geteuid() != 0:
        print("FAIL limits_test needs root to start tcpserver as uid 65534")
        return 1
    work = tempfile.mkdtemp(prefix="limits.")
    os.chmod(work, 0o755)
    write_child(work, CHILD)
    c = Checks()
    no_processes(c, a.bin, work)
    no_descriptors(c, a.bin, work)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
