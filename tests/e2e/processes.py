"""Process bookkeeping for the chain test: nothing it starts may outlive it.

The test runs as two processes. The outer one makes itself a child subreaper (prctl), so every
process started below it stays its descendant even after daemonizing (mariadbd started by the
fixture script, dovecot's children, tcpserver's children): when the inner test has finished,
crashed or run out of time, the outer one finds what is left by walking /proc from its own pid,
reports it as a failure and kills it by pid. A ctest TIMEOUT kill walks the same tree.
"""
import ctypes
import os
import signal
import socket
import time
import traceback

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def parent_of(pid):
    """The ppid and state of pid from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0]


def descendants(root):
    """Every live (non-zombie) descendant of root: [(pid, command line)]."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        info = parent_of(int(name))
        if info is not None and info[1] != "Z":
            children.setdefault(info[0], []).append(int(name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, command_line(child)))
            todo.append(child)
    return found


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def reap_children():
    """Collects every exited child (orphans reparented to a subreaper become our children)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_leftovers(root, grace=3.0):
    """Kills every descendant of root by pid (TERM, then KILL); returns what was left running."""
    left = descendants(root)
    for pid, _ in left:
        signal_pid(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while descendants(root) and time.monotonic() < deadline:
        reap_children()
        time.sleep(0.1)
    for pid, _ in descendants(root):
        signal_pid(pid, signal.SIGKILL)
    for _ in range(50):
        reap_children()
        if not descendants(root):
            break
        time.sleep(0.1)
    return left


def signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_group(proc, grace=10.0):
    """Ends a process started with start_new_session=True and its process group: TERM to the
    leader (so it can stop its own children), KILL to the group after the grace period."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except Exception:  # subprocess.TimeoutExpired, or the deadline alarm
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except Exception:
        pass


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on now (the server's own bind is the final check)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def accepts(host, port, source=None, timeout=1.0):
    try:
        with socket.socket() as s:
            s.settimeout(timeout)
            if source:
                s.bind((source, 0))
            s.connect((host, port))
            return True
    except OSError:
        return False


def wait_until(predicate, seconds, interval=0.1):
    """Polls predicate until it is true or seconds have passed; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def read_text(path):
    """A file's text (a log, a /proc file), or "" when it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class Deadline(Exception):
    """The test's own time limit (SIGALRM) or a SIGTERM from outside, raised inside the test."""


def raise_deadline(signum, _frame):
    raise Deadline(f"signal {signum}")


def run_within(seconds, checks, what, function):
    """function() under a deadline: SIGALRM after seconds, or a SIGTERM, raises Deadline in it.
    Either, like any other exception, is a failed check named after what. Afterwards the alarm
    is off and SIGTERM does its default again, so that the caller's cleanup runs to its end."""
    signal.signal(signal.SIGALRM, raise_deadline)
    signal.signal(signal.SIGTERM, raise_deadline)
    signal.alarm(seconds)
    try:
        function()
    except Deadline as e:
        checks.check(f"{what} finished within {seconds} s", False, e)
    except Exception:
        checks.check(f"{what} ran without an unexpected error", False, traceback.format_exc())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
