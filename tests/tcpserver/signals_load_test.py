#!/usr/bin/env python3
"""SIGTERM and SIGHUP to the parent while it is under load, ours against djb's tcpserver (the
oracle: the same scenario runs against both; a missing reference binary is a failure).

The scenario, once per signal and per tcpserver: `tcpserver -v -c 40` whose child reads a line
(a time), writes "got T", sleeps T (0.05-0.4 s) and writes "done T"; 8 client threads connect
to it on 127.0.0.1 without pause; after 1 s of load the parent gets the signal; the clients go
on connecting for 0.5 s after its exit. Asserted for each tcpserver:

- the exit: 0 after SIGTERM (djb's handler), killed by the signal after SIGHUP (its default
  action), within 1 s of the signal;
- there was load: connections answered before the signal;
- every connection handed to a child (its client port in an "ok" line of the log) is answered
  completely, and every complete answer came from such a child; some of them were completed
  after the parent's exit (the children outlive it);
- no client hangs (no connect or answer waits past its timeout) and none gets a partial answer:
  each is answered completely, refused, or reset / closed before any answer (a connection the
  kernel or the parent held when the parent went);
- every connect begun after the exit is refused: the listener went with the parent (no child
  holds it, nothing accepts into a backlog nobody reads);
- no child is left running 2 s after the last client finished (no orphan stuck);
- the log is whole lines of djb's kinds only (status, pid, ok, end), ending with a newline, and
  after the exit only the children's own "pid" and "ok" lines are added to it.

Then ours must show the same as djb's: the same results of these properties and the same kinds
of outcome, apart from "reset" and "closed before any answer", whose presence depends on where
the signal falls (printed with the counts for both).

    signals_load_test.py --bin DIR --reference-dir DIR
Loopback only; bounded: about 2 s per run (1 s of load, 0.5 s after the exit, the last
answers), 4 runs, about 9 s in all.
"""
import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
from child_script import write_child  # noqa: E402
from tcpserver_process import StartFailure, start_tcpserver  # noqa: E402

CLIENTS = 8
LIMIT = 40
LOAD_SECONDS = 1.0
AFTER_EXIT_SECONDS = 0.5
EXIT_WITHIN = 1.0
CONNECT_TIMEOUT = 3.0
ANSWER_TIMEOUT = 5.0  # the longest child sleeps 0.4 s
ORPHAN_GRACE = 2.0
CHILD = "#!/bin/sh\nread t\necho \"got $t\"\nsleep \"$t\"\necho \"done $t\"\n"

ALLOWED = {"answered", "refused", "reset", "closed before any answer"}
BY_TIMING = {"reset", "closed before any answer"}  # present or not as the signal falls
LINE_KINDS = [re.compile(p) for p in (
    rf"tcpserver: status: \d+/{LIMIT}",
    r"tcpserver: pid \d+ from 127\.0\.0\.1",
    r"tcpserver: ok \d+ x:127\.0\.0\.1:\d+ :127\.0\.0\.1::\d+",
    r"tcpserver: end \d+ status \d+",
)]
CHILDS_OWN = [re.compile(r"tcpserver: pid \d+ from "), re.compile(r"tcpserver: ok \d+ ")]


class Outcome:
    def __init__(self, kind, began, ended, port=None, detail=""):
        self.kind, self.began, self.ended, self.port, self.detail = kind, began, ended, port, detail


def one_client(port):
    """Connects, sends a sleep time, reads to the end; what happened, as an Outcome."""
    t = f"{random.uniform(0.05, 0.4):.2f}"
    expected = f"got {t}\ndone {t}\n".encode()
    began = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT)
    except ConnectionRefusedError:
        return Outcome("refused", began, time.monotonic())
    except socket.timeout:
        return Outcome("hang", began, time.monotonic(), detail="connect timed out")
    except OSError as e:
        return Outcome(f"connect error {e.strerror}", began, time.monotonic())
    with s:
        cport = s.getsockname()[1]
        data, reset, hang = b"", False, False
        deadline = time.monotonic() + ANSWER_TIMEOUT
        try:
            s.sendall(f"{t}\n".encode())
            while True:
                s.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = s.recv(100)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            reset = True
        except socket.timeout:
            hang = True
        except OSError as e:
            return Outcome(f"error {e.strerror}", began, time.monotonic(), cport, data)
    ended = time.monotonic()
    if hang:
        return Outcome("hang", began, ended, cport, f"answer timed out after {data!r}")
    if data == expected and not reset:
        return Outcome("answered", began, ended, cport)
    if data == b"":
        return Outcome("reset" if reset else "closed before any answer", began, ended, cport)
    return Outcome("partial", began, ended, cport, f"{data!r}, reset: {reset}")


def hammer(port, stop, outcomes):
    while not stop.is_set():
        o = one_client(port)
        outcomes.append(o)
        if o.kind == "refused":
            time.sleep(0.01)  # the listener is gone: keep trying, not spinning


def group_members(pgid):
    """Processes of the process group still running (not zombies): "pid command" each."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{name} {cmd}")
    return found


def default_signals():
    """The server's SIGTERM and SIGHUP as a shell would leave them (ctest may run under nohup)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP})


def run_once(binary, sig, work):
    """The scenario against one tcpserver; the facts measured, as a dict."""
    facts = {"started": False}
    try:
        proc, port, log = start_tcpserver(binary, work, ["-v", "-1", "-R", "-H", "-l", "x", "-c",
                                                         str(LIMIT), "127.0.0.1", "0",
                                                         os.path.join(work, "child.sh")],
                                          stdin=subprocess.DEVNULL, preexec_fn=default_signals)
    except (OSError, StartFailure) as e:
        facts["start failure"] = f"cannot run {binary}: {e}"
        return facts
    log_path = log.name
    log.close()
    outcomes, stop = [], threading.Event()
    threads = []
    try:
        facts["started"] = True
        threads = [threading.Thread(target=hammer, args=(port, stop, outcomes))
                   for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        facts["running under load"] = proc.poll() is None
        signalled = time.monotonic()
        proc.send_signal(sig)
        try:
            facts["status"] = proc.wait(timeout=5)
            exited = time.monotonic()
        except subprocess.TimeoutExpired:
            facts["status"] = "still running 5 s after the signal"
            exited = time.monotonic()
        facts["exit seconds"] = exited - signalled
        log_size_at_exit = os.path.getsize(log_path)
        time.sleep(AFTER_EXIT_SECONDS)
        stop.set()
        for t in threads:
            t.join()
        clients_done = time.monotonic()
        while (left := group_members(proc.pid)) and time.monotonic() < clients_done + ORPHAN_GRACE:
            time.sleep(0.05)
        facts["left running"] = left
    finally:
        stop.set()
        for t in threads:
            t.join()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    with open(log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    facts.update(analyse(outcomes, signalled, exited, text, log_size_at_exit))
    return facts


def analyse(outcomes, signalled, exited, text, log_size_at_exit):
    facts = {}
    counts = {}
    for o in outcomes:
        counts[o.kind] = counts.get(o.kind, 0) + 1
    facts["counts"] = counts
    facts["kinds"] = set(counts)
    facts["bad outcomes"] = [f"{o.kind} (port {o.port}) {o.detail}".strip()
                             for o in outcomes if o.kind not in ALLOWED][:5]
    answered = {o.port for o in outcomes if o.kind == "answered"}
    facts["answered before the signal"] = sum(1 for o in outcomes
                                              if o.kind == "answered" and o.ended < signalled)
    facts["answered after the exit"] = sum(1 for o in outcomes
                                           if o.kind == "answered" and o.ended > exited)
    after = [o for o in outcomes if o.began > exited]
    facts["connects after the exit"] = len(after)
    facts["not refused after the exit"] = sorted({o.kind for o in after if o.kind != "refused"})

    lines = text.split("\n")
    facts["log ends with a newline"] = text.endswith("\n")
    facts["foreign log lines"] = [ln for ln in lines[:-1]
                                  if not any(k.fullmatch(ln) for k in LINE_KINDS)][:5]
    added = text.encode()[log_size_at_exit:].decode(errors="replace").split("\n")
    facts["parent's lines after the exit"] = [ln for ln in added if ln and
                                              not any(k.match(ln) for k in CHILDS_OWN)][:5]
    handed = {int(m.group(1)) for m in re.finditer(r"^tcpserver: ok \d+ \S+ :127\.0\.0\.1::(\d+)$",
                                                   text, re.M)}
    facts["handed to a child"] = len(handed)
    facts["handed, not answered"] = sorted(
        f"{p}: {[o.kind for o in outcomes if o.port == p]}" for p in handed - answered)[:5]
    facts["answered, never handed"] = sorted(answered - handed)[:5]
    return facts


def properties(facts, sig):
    """The facts as the pass/fail properties both tcpserver must have: name -> (ok, detail)."""
    if not facts["started"]:
        return {"started": (False, facts.get("start failure"))}
    want = 0 if sig == signal.SIGTERM else -sig
    said = "exits 0" if sig == signal.SIGTERM else f"dies of {sig.name}"
    return {
        "still running after 1 s of load": (facts["running under load"], ""),
        f"{said}": (facts["status"] == want, f"status {facts['status']}"),
        f"exits within {EXIT_WITHIN} s": (facts["exit seconds"] < EXIT_WITHIN,
                                         f"{facts['exit seconds']:.3f} s"),
        "was under load (connections answered before the signal)":
            (facts["answered before the signal"] >= CLIENTS, facts["answered before the signal"]),
        "every connection handed to a child is answered completely":
            (not facts["handed, not answered"], facts["handed, not answered"]),
        "every complete answer came from a child in the log":
            (not facts["answered, never handed"], facts["answered, never handed"]),
        "children outlive the parent (answers completed after its exit)":
            (facts["answered after the exit"] > 0, facts["answered after the exit"]),
        "no client hangs or gets a partial answer": (not facts["bad outcomes"],
                                                     facts["bad outcomes"]),
        "every connect after the exit is refused":
            (facts["connects after the exit"] > 0 and not facts["not refused after the exit"],
             f"{facts['connects after the exit']} connects, "
             f"not refused: {facts['not refused after the exit']}"),
        "no child left running after the clients finished": (not facts["left running"],
                                                             facts["left running"]),
        "the log is whole lines of djb's kinds":
            (facts["log ends with a newline"] and not facts["foreign log lines"],
             f"ends with a newline: {facts['log ends with a newline']}, "
             f"others: {facts['foreign log lines']}"),
        "after the exit, only the children's pid and ok lines are added to the log":
            (not facts["parent's lines after the exit"], facts["parent's lines after the exit"]),
    }


def describe(facts):
    if not facts["started"]:
        return "did not start"
    counts = ", ".join(f"{k} {n}" for k, n in sorted(facts["counts"].items()))
    return (f"status {facts['status']} after {facts['exit seconds']:.3f} s; {counts}; "
            f"{facts['handed to a child']} handed to a child, "
            f"{facts['answered after the exit']} answered after the exit")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the directory of our tcpserver")
    parser.add_argument("--reference-dir", required=True,
                        help="where compat/fetch-reference.sh extracted djb's build")
    args = parser.parse_args()
    ours = os.path.join(args.bin, "tcpserver")
    djb = os.path.join(args.reference_dir, "ucspi-tcp", "usr", "bin", "tcpserver")
    c = Checks()
    have_djb = c.check("djb's tcpserver is there (the oracle)", os.access(djb, os.X_OK), djb)
    with tempfile.TemporaryDirectory() as work:
        write_child(work, CHILD)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            results = {}
            for who, binary in (("djb's", djb), ("ours", ours)):
                if who == "djb's" and not have_djb:
                    continue
                facts = run_once(binary, sig, work)
                print(f"     {who} {sig.name}: {describe(facts)}", flush=True)
                props = properties(facts, sig)
                for name, (ok, detail) in props.items():
                    c.check(f"{sig.name} under load, {who}: {name}", ok, detail)
                results[who] = (facts, props)
            if "djb's" not in results:
                c.check(f"{sig.name} under load: ours compared with djb's", False,
                        "no reference binary")
                continue
            (dfacts, dprops), (ofacts, oprops) = results["djb's"], results["ours"]
            differ = sorted(name for name in set(dprops) | set(oprops)
                            if dprops.get(name, (None,))[0] != oprops.get(name, (None,))[0])
            c.check(f"{sig.name} under load: ours has each property exactly when djb's has it",
                    not differ, differ)
            if dfacts["started"] and ofacts["started"]:
                dk, ok_ = dfacts["kinds"] - BY_TIMING, ofacts["kinds"] - BY_TIMING
                c.check(f"{sig.name} under load: the same kinds of outcome as djb's "
                        f"({', '.join(sorted(ok_))}; reset or closed as the signal falls)",
                        dk == ok_, f"djb's {sorted(dk)}, ours {sorted(ok_)}")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
