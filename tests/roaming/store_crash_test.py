#!/usr/bin/env python3
"""The cdb store through a writer's bad day: relay-allow killed with SIGKILL at random points
of its write, the fold of the journal into the base killed at random points (and relay-clear
killed at random points of its expire record beside it), a
filesystem that fills up under it, and an admin rewriting the store in place
(`cat new > relay.cdb`) while logins read it. Afterwards the store always reads, no login
recorded before is lost, and a login never fails for it: relay-allow runs the login's program
whatever happened to the record (a read of a file cut under it once killed relay-allow with
SIGBUS before the login's program ran).

    store_crash_test.py --bin DIR --fold ROAMING_FOLD
                          (needs root: the full filesystem is a small tmpfs mounted in a
                          private mount namespace; ROAMING_FOLD is tests/roaming/roaming_fold,
                          the fold relay-allow runs in the background, run by itself)
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402

SEEDED = 50
KILLS = 150


def env_for(store):
    return dict(os.environ, RELAY_STORE="cdb:" + store)


def allow(bin_dir, store, ip, program=("true",)):
    return subprocess.run([os.path.join(bin_dir, "relay-allow"), "-i", ip, *program],
                          env=env_for(store), capture_output=True, text=True, timeout=60)


def listed(bin_dir, store):
    """(exit status, the IPs relay-list prints)."""
    r = subprocess.run([os.path.join(bin_dir, "relay-list")], env=env_for(store),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def killed_mid_rewrite(c, bin_dir, work, kills):
    store = os.path.join(work, "relay.cdb")
    recorded = set()
    for i in range(SEEDED):
        ip = f"10.0.{i // 250}.{i % 250 + 1}"
        allow(bin_dir, store, ip)
        recorded.add(ip)
    # How long one rewrite takes here, so the kills land all over it.
    start = time.monotonic()
    allow(bin_dir, store, "10.1.0.1")
    recorded.add("10.1.0.1")
    span = time.monotonic() - start
    rng = random.Random(20261130)
    killed = finished = 0
    problems = []
    for i in range(kills):
        ip = f"10.2.{i // 250}.{i % 250 + 1}"
        proc = subprocess.Popen([os.path.join(bin_dir, "relay-allow"), "-i", ip, "true"],
                                env=env_for(store), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, span))
        proc.send_signal(signal.SIGKILL)
        status = proc.wait()
        if status == 0:
            finished += 1
            recorded.add(ip)  # it ran to its program: its login must be there
        else:
            killed += 1
        code, ips = listed(bin_dir, store)
        lost = recorded - ips
        if code != 0 or lost:
            problems.append((ip, code, sorted(lost)[:5]))
    after = allow(bin_dir, store, "10.3.0.1")
    code, ips = listed(bin_dir, store)
    c.check(f"SIGKILL during rewrites ({killed} killed, {finished} finished, one rewrite "
            f"{span * 1000:.1f} ms): the store reads after each, no earlier login lost",
            killed > 0 and not problems, problems[:5])
    c.check("after the kills a writer records again (no lock or temp file left in the way)",
            after.returncode == 0 and "10.3.0.1" in ips and code == 0, after.stderr)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def journal_login(ip, when):
    """A login record as relay-allow appends it (rules/roaming/roaming_journal.h)."""
    body = f"+ {ip} {when}".encode()
    return b"\n" + body + b" " + f"{fnv1a64(body):016x}".encode() + b"\n"


def killed_mid_fold(c, bin_dir, fold, work, kills):
    """The fold (relay-allow's, in the background) merges the journal into the base (rename to
    .journal.old, write the new base, remove .journal.old): killed anywhere in that, the store
    still lists every login, and the next fold finishes the dead one. relay-clear, killed at
    random moments of its expire record beside them, loses nothing either."""
    store = os.path.join(work, "fold.cdb")
    now = int(time.time())
    recorded = {f"10.7.{i // 250}.{i % 250 + 1}" for i in range(20000)}
    with open(store + ".journal", "wb") as f:  # a big base makes a fold worth killing
        f.write(b"".join(journal_login(ip, now) for ip in sorted(recorded)))
    clear = [fold, store]
    subprocess.run(clear, check=True, timeout=60)
    # A window no login here is as old as: each run appends an expire record that drops nothing.
    expire = [os.path.join(bin_dir, "relay-clear"), "-w", "86400"]
    rng = random.Random(20261201)
    spans, killed, dead_folds, expires_killed, problems = [], 0, 0, 0, []
    for i in range(kills):
        ip = f"10.8.{i // 250}.{i % 250 + 1}"
        if allow(bin_dir, store, ip).returncode == 0:
            recorded.add(ip)
        start = time.monotonic()
        proc = subprocess.Popen(clear, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 2:
            # Every other fold is killed as soon as its .journal.old appears: under a sanitizer
            # most of a fold's time goes before that rename, and random moments rarely hit the
            # window in which readers depend on the old journal.
            while proc.poll() is None and not os.path.exists(store + ".journal.old"):
                time.sleep(0.0002)
            proc.send_signal(signal.SIGKILL)
        elif spans:
            time.sleep(rng.uniform(0, max(spans)))
            proc.send_signal(signal.SIGKILL)
        if proc.wait() == 0:
            spans.append(time.monotonic() - start)
        else:
            killed += 1
        # Killed between its rename of the journal and its removal of the old one: readers
        # must find those logins in .journal.old.
        dead_folds += os.path.exists(store + ".journal.old")
        code, ips = listed(bin_dir, store)
        if code != 0 or recorded - ips:
            problems.append((ip, code, sorted(recorded - ips)[:5]))
        if spans:
            proc = subprocess.Popen(expire, env=env_for(store), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 0.01))
            proc.send_signal(signal.SIGKILL)
            expires_killed += proc.wait() != 0
            code, ips = listed(bin_dir, store)
            if code != 0 or recorded - ips:
                problems.append(("relay-clear", ip, code, sorted(recorded - ips)[:5]))
    final = subprocess.run(clear, timeout=60)
    code, ips = listed(bin_dir, store)
    left = sorted(n for n in os.listdir(work) if n.startswith("fold.cdb.journal") or
                  n == "fold.cdb.tmp")
    c.check(f"SIGKILL during folds ({killed} killed, {dead_folds} of them leaving a "
            f".journal.old, {kills - killed} finished, one fold {max(spans) * 1000:.1f} ms) "
            f"and relay-clear runs ({expires_killed} killed): the store lists every login "
            "after each",
            dead_folds > 0 and not problems, problems[:5])
    c.check("after the killed folds one fold finishes them: every login in the base, no "
            "journal or temp file left", final.returncode == 0 and code == 0 and
            not recorded - ips and not left, left)


def rewritten_in_place(c, bin_dir, work):
    store = os.path.join(work, "inplace.cdb")
    for i in range(300):
        allow(bin_dir, store, f"10.5.{i // 250}.{i % 250 + 1}")
    with open(store, "rb") as f:
        image = f.read()
    stop = threading.Event()

    def rewrite():
        while not stop.is_set():
            with open(store, "r+b") as f:
                f.truncate(0)
                for at in range(0, len(image), 4096):
                    f.write(image[at:at + 4096])
                    f.flush()

    writer = threading.Thread(target=rewrite)
    writer.start()
    runs, not_run, sigbus = 200, [], 0
    try:
        for i in range(runs):
            r = allow(bin_dir, store, f"10.6.0.{i % 250 + 1}", ("sh", "-c", "echo login-ran"))
            if "login-ran" not in r.stdout or r.returncode != 0:
                not_run.append((r.returncode, r.stderr[-200:]))
            sigbus += "SIGBUS" in r.stderr
    finally:
        stop.set()
        writer.join()
    c.check(f"store rewritten in place under {runs} logins: every login's program ran "
            f"({sigbus} readers met a cut file)", not not_run, not_run[:3])


def full_filesystem(c, bin_dir):
    """Runs the fill in a private mount namespace, where the tmpfs vanishes with the process."""
    r = subprocess.run(["unshare", "-m", sys.executable, os.path.abspath(__file__), "--bin",
                        bin_dir, "--inner-full-filesystem"], capture_output=True, text=True,
                       timeout=300)
    sys.stdout.write(r.stdout)
    c.check("full filesystem: the inner run could mount its tmpfs and ran to the end",
            r.returncode == 0, r.stderr[-2000:])


def inner_full_filesystem():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--inner-full-filesystem", action="store_true")
    args = parser.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as mnt:
        # Two pages: the journal's first fills after about 100 logins, mid-line (a short write).
        # Larger, each extra page is another 100 logins that prove nothing new.
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", mnt], check=True)
        store = os.path.join(mnt, "relay.cdb")
        recorded, failures, not_run, lost_after = set(), 0, [], []
        for i in range(2000):
            ip = f"10.4.{i // 250}.{i % 250 + 1}"
            r = allow(args.bin, store, ip, ("sh", "-c", "echo login-ran"))
            if "login-ran" not in r.stdout or r.returncode != 0:
                not_run.append((ip, r.returncode, r.stderr))
            if "unable to record" in r.stderr:
                failures += 1
            else:
                recorded.add(ip)
            code, ips = listed(args.bin, store)
            if code != 0 or recorded - ips:
                lost_after.append((ip, code, sorted(recorded - ips)[:5]))
            if failures >= 20:
                break
        # The journal is the store's own file (logins since the last fold), not a leftover.
        leftovers = sorted(set(os.listdir(mnt)) - {"relay.cdb", "relay.cdb.lock",
                                                   "relay.cdb.journal"})
        subprocess.run(["umount", mnt], check=True)
    c.check(f"full filesystem: the disk filled ({failures} logins could not be recorded, "
            f"{len(recorded)} were)", failures >= 20 and len(recorded) > 0)
    c.check("full filesystem: every login's program ran, recorded or not", not not_run,
            not_run[:3])
    c.check("full filesystem: the store reads after each login, no recorded login lost",
            not lost_after, lost_after[:3])
    c.check("full filesystem: no temporary file left behind", not leftovers, leftovers)
    return c.finish()


def main():
    if "--inner-full-filesystem" in sys.argv:
        return inner_full_filesystem()
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--fold", required=True, help="tests/roaming/roaming_fold")
    parser.add_argument("--kills", type=int, default=KILLS,
                        help=f"relay-allow runs killed at a random point (default {KILLS})")
    args = parser.parse_args()
    c = Checks()
    if os.geteuid() != 0:
        c.check("runs as root (mounts a tmpfs)", False)
        return c.finish()
    with tempfile.TemporaryDirectory() as work:
        killed_mid_rewrite(c, args.bin, work, args.kills)
        killed_mid_fold(c, args.bin, os.path.abspath(args.fold), work, max(args.kills // 3, 8))
        rewritten_in_place(c, args.bin, work)
    full_filesystem(c, args.bin)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
