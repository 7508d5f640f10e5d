"""tcpserver's store helper processes (relay-mysql serve), found through /proc."""
import os
import time


def helper_pids(server_pid):
    """The pids of the `relay-mysql serve` processes whose parent is tcpserver."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and len(argv) > 1 and argv[0].endswith(b"relay-mysql") \
                and argv[1] == b"serve":
            pids.append(int(entry))
    return pids


def wait_for_helper(server_pid, other_than=None, seconds=10.0):
    """A helper of tcpserver other than other_than, or None when none appears in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = [p for p in helper_pids(server_pid) if p != other_than]
        if pids:
            return pids[0]
        time.sleep(0.05)
    return None
