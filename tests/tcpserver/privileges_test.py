#!/usr/bin/env python3
"""-u and -g really drop root, before any client is served: tcpserver started as root with
extra supplementary groups, -u 4243 -g 4242 (ids no account uses, so nothing else could grant
them), must show uid 4243 and gid 4242 in all four slots (real, effective, saved, fs), 4242 as
its only group and no capability, while it waits for its first client; and its child the same.

    privileges_test.py --bin DIR
Needs root. Loopback only.
"""
import argparse
import os
import signal
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from child_script import write_child  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402

UID, GID = 4243, 4242
EXTRA_GROUPS = [4, 27, 100]  # adm, sudo, users: what a careless supervisor might pass on
CHILD = "#!/bin/sh\ngrep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' /proc/self/status\n"


def credentials(status_text):
    fields = {}
    for line in status_text.splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups", "CapEff", "CapPrm"):
            fields[key] = value.split()
    return fields


EXPECTED = {"Uid": [str(UID)] * 4, "Gid": [str(GID)] * 4, "Groups": [str(GID)],
            "CapEff": ["0000000000000000"], "CapPrm": ["0000000000000000"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    c = Checks()
    if os.geteuid() != 0:
        c.check("runs as root (to start tcpserver as root)", False)
        return c.finish()
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o755)  # the child runs as UID and must reach its program
        child = write_child(work, CHILD)
        proc, port, log = start_tcpserver(os.path.join(args.bin, "tcpserver"), work,
                                          ["-1", "-R", "-H", "-l", "x", "-u", str(UID), "-g",
                                           str(GID), "127.0.0.1", "0", child],
                                          extra_groups=EXTRA_GROUPS)
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                parent = credentials(f.read())  # no client has connected yet
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            child_view = credentials(data.decode())
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
            log.close()
    c.check("before any client: the parent runs as UID and GID only, no group, no capability",
            parent == EXPECTED, parent)
    c.check("its child runs as UID and GID only, no group, no capability",
            child_view == EXPECTED, child_view)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
