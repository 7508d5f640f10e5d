#!/usr/bin/env python3
"""tcpserver started with stdin, stdout or stderr closed, as a careless run file or an init
system may start it (`tcpserver ... <&-`): it serves all the same, and none of its own
descriptors (listener, event loop, signal pipe) takes fd 0, 1 or 2, where libevent once
refused the listener ("[warn] Epoll ADD(1) on fd 0 failed") and nothing listened. djb's spins
at 99% CPU there; ours simply works. No libevent line reaches the log unprefixed.

    closed_stdio_test.py --bin DIR
Loopback only; bounded (each case stops its server).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from child_script import write_child  # noqa: E402

CHILD = "#!/bin/sh\necho served\n"
CASES = {"stdin": (0,), "stdout": (1,), "stderr": (2,), "all three": (0, 1, 2)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(port, deadline):
    """The child's answer; retries while the server is starting, "" if it never answers."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                data = b""
                while chunk := s.recv(100):
                    data += chunk
                return data.decode().strip()
        except OSError:
            time.sleep(0.05)
    return ""


def fd_targets(pid):
    """fd number -> what it is (a path, socket:[N], anon_inode:[eventpoll], ...)."""
    out = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    return out


def run_case(bin_dir, work, closed, checks, label):
    port = free_port()
    log_path = os.path.join(work, f"log-{port}")
    with open(log_path, "wb") as log:
        def close_them():
            for fd in closed:
                os.close(fd)

        # stderr goes to the log unless it is one of the closed ones.
        proc = subprocess.Popen([os.path.join(bin_dir, "tcpserver"), "-v", "-R", "-H", "-l", "x",
                                 "127.0.0.1", str(port), os.path.join(work, "child.sh")],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                preexec_fn=close_them, start_new_session=True)
    try:
        answer = ask(port, time.monotonic() + 10)
        fds = fd_targets(proc.pid)
        still_running = proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    with open(log_path, "rb") as f:
        log_text = f.read().decode(errors="replace")

    checks.check(f"{label} closed: a client is served", answer == "served", answer)
    checks.check(f"{label} closed: tcpserver still runs after serving", still_running)
    low = {fd: fds.get(fd) for fd in (0, 1, 2)}
    checks.check(f"{label} closed: fds 0-2 are /dev/null where they were closed",
                 all(low[fd] == "/dev/null" for fd in closed), low)
    checks.check(f"{label} closed: no socket or event descriptor of tcpserver's on 0-2",
                 not any(t and (t.startswith("socket:") or t.startswith("anon_inode:"))
                         for t in low.values()), low)
    checks.check(f"{label} closed: the listener is open",
                 any(t.startswith("socket:") for t in fds.values()), fds)
    if 2 not in closed:
        unprefixed = [line for line in log_text.splitlines() if not line.startswith("tcpserver: ")]
        checks.check(f"{label} closed: every log line is tcpserver's own", not unprefixed,
                     unprefixed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    checks = Checks()
    with tempfile.TemporaryDirectory() as work:
        write_child(work, CHILD)
        for label, closed in CASES.items():
            run_case(args.bin, work, closed, checks, label)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
