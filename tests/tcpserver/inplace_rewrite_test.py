#!/usr/bin/env python3
"""The rules cdb replaced by rename 1,000 times as tcprules replaces it, then the rules cdb and
the roaming store rewritten in place (`cat new > rules.cdb`) 400 times, while 8 clients connect.

Replaced by rename, no connection may be lost: each is decided by the old or the new file, no
warning is logged, and the last file applies. Rewritten in place, the parent must live, and
so must tcprulescheck and relay-list run beside the writer (they once died of SIGBUS too). djb's parent survives it (only a child that read a
torn file dies); ours once died of SIGBUS after a few dozen rewrites, because it mapped the
file itself. Asserted, not only survived:

- rules: every connection is decided by the old or the new file (the child prints the rule's
  $X), or dropped with djb's "unable to read RULES" warning, one warning per dropped
  connection; tcpserver is still running at the end and the last file written applies.
- store: every connection is served, with RELAYCLIENT exactly when the file it read records
  the client; a torn store never grants relay; the last file written applies.

    inplace_rewrite_test.py --bin DIR
Loopback only; bounded: 400 rewrites per file, clients stop when the writer does.
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
from child_script import write_child  # noqa: E402
from tcpserver_process import start_tcpserver  # noqa: E402

REWRITES = 400
REPLACEMENTS = 1000
TCPRULES_EVERY = 50  # one replacement in 50 is the real tcprules, the others its steps
CLIENTS = 8
CHILD = "#!/bin/sh\necho \"${X-unset} ${RELAYCLIENT+relay}${RELAYCLIENT-norelay}\"\n"


def compile_rules(bin_dir, work, name, text):
    source = os.path.join(work, name + ".txt")
    target = os.path.join(work, name + ".cdb")
    with open(source, "w") as f:
        f.write(text)
    with open(source) as f:
        subprocess.run([os.path.join(bin_dir, "tcprules"), target, target + ".tmp"], stdin=f,
                       check=True)
    with open(target, "rb") as f:
        return f.read()


def store_image(bin_dir, work, name, ip):
    path = os.path.join(work, name + ".cdb")
    env = dict(os.environ, RELAY_STORE="cdb:" + path)
    subprocess.run([os.path.join(bin_dir, "relay-allow"), "-i", ip], env=env, check=True)
    with open(path, "rb") as f:
        return f.read()


def rewrite_in_place(path, images, count):
    """Like `cat new > path`: truncate, then write in pieces, so readers meet torn files."""
    for i in range(count):
        data = images[i % len(images)]
        with open(path, "r+b" if os.path.exists(path) else "wb") as f:
            f.truncate(0)
            third = len(data) // 3
            for piece in (data[:third], data[third:2 * third], data[2 * third:]):
                f.write(piece)
                f.flush()
                time.sleep(0.001)
    with open(path, "r+b") as f:  # end on the first image, whole
        f.truncate(0)
        f.write(images[0])


def ask(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            data = b""
            while chunk := s.recv(100):
                data += chunk
            return data.decode().strip()
    except OSError as e:
        return f"error {e}"


def hammer(port, stop, answers):
    while not stop.is_set():
        answers.append(ask(port))


def start(bin_dir, work, extra):
    return start_tcpserver(os.path.join(bin_dir, "tcpserver"), work,
                           ["-v", "-1", "-R", "-H", "-l", "x", "-c", "100", *extra, "127.0.0.1",
                            "0", os.path.join(work, "child.sh")])


def replace_by_rename(bin_dir, work, path, sources, images, count):
    """tcprules' way: write a temporary file whole, then rename it over the old one. Every
    TCPRULES_EVERY-th replacement runs the real tcprules; the others repeat its two steps with
    the bytes it wrote, so 1,000 replacements fit in a few seconds even under ASan."""
    tmp = path + ".tmp"
    for i in range(count):
        which = i % len(images)
        if i % TCPRULES_EVERY == 0:
            with open(sources[which]) as f:
                subprocess.run([os.path.join(bin_dir, "tcprules"), path, tmp], stdin=f,
                               check=True)
        else:
            with open(tmp, "wb") as f:
                f.write(images[which])
            os.rename(tmp, path)
        time.sleep(0.002)
    with open(tmp, "wb") as f:  # end on the first image
        f.write(images[0])
    os.rename(tmp, path)


def tool_runs(argv, env, stop, codes):
    """Runs a one-shot reader of the file again and again while it is rewritten: each run
    must end by exit, never by a signal (SIGBUS from a mapping of a truncated file)."""
    while not stop.is_set():
        r = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        codes.append((r.returncode, r.stderr.decode(errors="replace").strip()))


def with_tool(argv, env, change):
    """change() while argv runs in a loop beside it; returns the tool's (exit code, stderr)s."""
    codes, stop = [], threading.Event()
    runner = threading.Thread(target=tool_runs, args=(argv, env, stop, codes))
    runner.start()
    try:
        change()
    finally:
        stop.set()
        runner.join()
    return codes


def killed(codes):
    return sorted({rc for rc, _ in codes if rc < 0})


def under_load(bin_dir, work, extra, change):
    proc, port, log = start(bin_dir, work, extra)
    answers, stop = [], threading.Event()
    threads = [threading.Thread(target=hammer, args=(port, stop, answers)) for _ in range(CLIENTS)]
    try:
        for t in threads:
            t.start()
        change()
        stop.set()
        for t in threads:
            t.join()
        final = ask(port)
        alive = proc.poll() is None
    finally:
        stop.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        status = proc.wait(timeout=10)
    log.seek(0)
    text = log.read().decode(errors="replace")
    log.close()
    return answers, final, alive, status, text


def rules_replaced(c, bin_dir, work):
    path = os.path.join(work, "rules.cdb")
    old = compile_rules(bin_dir, work, "old", "127.:allow,X=\"a\"\n")
    new = compile_rules(bin_dir, work, "new", "127.:allow,X=\"b\"\n")
    sources = [os.path.join(work, "new.txt"), os.path.join(work, "old.txt")]
    with open(path, "wb") as f:
        f.write(old)
    answers, final, alive, status, text = under_load(
        bin_dir, work, ["-x", path],
        lambda: replace_by_rename(bin_dir, work, path, sources, [new, old], REPLACEMENTS))
    odd = sorted({a for a in answers if a not in ("a norelay", "b norelay")})
    c.check(f"rules replaced by rename {REPLACEMENTS} times: tcpserver alive (status {status})",
            alive, text[-1500:])
    c.check(f"rules replaced: each of {len(answers)} connections decided by the old or the new "
            "file, none dropped", answers and not odd, odd)
    c.check("rules replaced: both files were applied",
            "a norelay" in answers and "b norelay" in answers, sorted(set(answers)))
    c.check("rules replaced: no warning logged", "warning" not in text, text[-1500:])
    c.check("rules replaced: the last file written applies", final == "b norelay", final)


def rules_rewritten(c, bin_dir, work):
    path = os.path.join(work, "rules.cdb")
    old = compile_rules(bin_dir, work, "old", "127.:allow,X=\"a\"\n")
    # Another size and layout, so a torn mixture of the two is no valid file.
    padding = "".join(f"10.{i // 250}.{i % 250}.1:deny\n" for i in range(300))
    new = compile_rules(bin_dir, work, "new", padding + "127.:allow,X=\"b\"\n")
    with open(path, "wb") as f:
        f.write(old)
    checks = []
    answers, final, alive, status, text = under_load(
        bin_dir, work, ["-x", path], lambda: checks.extend(with_tool(
            [os.path.join(bin_dir, "tcprulescheck"), path], {"TCPREMOTEIP": "127.0.0.1"},
            lambda: rewrite_in_place(path, [new, old], REWRITES))))
    decided = {"a norelay", "b norelay"}
    odd = sorted({a for a in answers if a not in decided and a != ""})
    dropped = answers.count("")
    warnings = text.count(f"tcpserver: warning: dropping connection, unable to read {path}: ")
    c.check(f"rules rewritten in place {REWRITES} times: tcpserver alive (status {status})",
            alive, text[-1500:])
    c.check(f"rules: each of {len(answers)} connections decided by the old or the new file, "
            f"or dropped ({dropped})", not odd and dropped < len(answers), odd)
    c.check("rules: both files were applied while they were rewritten",
            "a norelay" in answers and "b norelay" in answers, sorted(set(answers)))
    c.check(f"rules: one warning per dropped connection ({warnings} for {dropped})",
            warnings == dropped, text[-1500:])
    c.check("rules: the last file written applies", final == "b norelay", final)
    c.check(f"rules: tcprulescheck run {len(checks)} times beside the rewrites, each exits 0 or "
            f"111 with a message, none killed ({sum(rc == 111 for rc, _ in checks)} could not read)",
            checks and all(rc == 0 or (rc == 111 and "unable to read" in err) for rc, err in checks),
            killed(checks) or sorted({(rc, err) for rc, err in checks if rc not in (0,)})[:5])


def store_rewritten(c, bin_dir, work):
    path = os.path.join(work, "relay.cdb")
    recorded = store_image(bin_dir, work, "with", "127.0.0.1")
    other = store_image(bin_dir, work, "without", "192.0.2.7")
    with open(path, "wb") as f:
        f.write(other)
    lists = []
    answers, final, alive, status, text = under_load(
        bin_dir, work, ["-s", "cdb:" + path], lambda: lists.extend(with_tool(
            [os.path.join(bin_dir, "relay-list"), "-s", "cdb:" + path], {},
            lambda: rewrite_in_place(path, [recorded, other], REWRITES))))
    odd = sorted({a for a in answers if a not in ("unset relay", "unset norelay")})
    c.check(f"store rewritten in place {REWRITES} times: tcpserver alive (status {status})",
            alive, text[-1500:])
    c.check(f"store: each of {len(answers)} connections served, with or without relay",
            not odd, odd)
    c.check("store: both files were read while they were rewritten",
            "unset relay" in answers and "unset norelay" in answers, sorted(set(answers)))
    c.check("store: the last file written applies (it records the client)",
            final == "unset relay", final)
    c.check(f"store: relay-list run {len(lists)} times beside the rewrites, each exits 0 or 111 "
            f"with a message, none killed ({sum(rc == 111 for rc, _ in lists)} could not read)",
            lists and all(rc == 0 or (rc == 111 and err) for rc, err in lists),
            killed(lists) or sorted({(rc, err) for rc, err in lists if rc != 0})[:5])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as work:
        write_child(work, CHILD)
        rules_replaced(c, args.bin, work)
        rules_rewritten(c, args.bin, work)
        store_rewritten(c, args.bin, work)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
