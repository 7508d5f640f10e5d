#!/usr/bin/env python3
"""-r (ident, RFC 1413) against djb's tcpserver, with a scripted identd on 127.0.0.1:113.

    ident_diff.py --ours BIN --reference BIN

For each reply the identd gives, both servers (-v -1 -H -r -t 2 -l NAME) must show the child
the same TCPREMOTEINFO and log the same ok line (pid and ports masked). Then ours alone: an
identd that accepts and never answers must not hold up other clients: with -t 2, a second
client whose ident is answered at once is served while the first still waits.
Needs root (port 113). Prints "N passed, N failed".
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

CHILD = "#!/bin/sh\necho \"TCPREMOTEINFO=${TCPREMOTEINFO-unset}\"\n"

REPLIES = [
    b"1 , 2 : USERID : UNIX : j o:e\r\n",  # blanks dropped, later colons kept
    b"ERROR : NO-USER\r\n",                 # set, but empty
    b"no newline at all",                   # unset
    b"1,2:USERID:UNIX:" + b"x" * 300 + b"\r\n",  # cut after 257 bytes
    b"",                                    # closed at once: unset
]


class Identd:
    """Answers each query with reply; hold_first keeps the first connection silent."""

    def __init__(self, reply, hold_first=False):
        self.reply, self.hold_first = reply, hold_first
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 113))
        self.sock.listen(16)
        self.held = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.hold_first and not self.held:
                self.held.append(conn)
                continue
            try:
                conn.recv(100)
                conn.sendall(self.reply)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        for c in self.held:
            c.close()
        self.sock.close()


def start(binary, work):
    log = open(os.path.join(work, f"log-{time.monotonic_ns()}"), "w+b")
    proc = subprocess.Popen([binary, "-v", "-1", "-H", "-r", "-t", "2", "-l", "NAME", "127.0.0.1",
                             "0", os.path.join(work, "child.sh")], stdout=subprocess.PIPE,
                            stderr=log, start_new_session=True)
    return proc, int(proc.stdout.readline()), log


def ask(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    return data


def stop(proc, log):
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    log.seek(0)
    text = log.read().decode(errors="replace")
    log.close()
    ok = [re.sub(r" \d+ ", " PID ", re.sub(r":\d+", ":PORT", l)) for l in text.splitlines() if " ok " in l]
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ours", required=True)
    p.add_argument("--reference", required=True)
    a = p.parse_args()
    passed = failed = 0
    work = tempfile.mkdtemp(prefix="ident-diff.")
    child = os.path.join(work, "child.sh")
    with open(child, "w") as f:
        f.write(CHILD)
    os.chmod(child, 0o755)

    for reply in REPLIES:
        identd = Identd(reply)
        try:
            seen = {}
            for name, binary in (("ours", a.ours), ("reference", a.reference)):
                proc, port, log = start(binary, work)
                try:
                    out = ask(port)
                finally:
                    seen[name] = (out, stop(proc, log))
        finally:
            identd.close()
        if seen["ours"] == seen["reference"]:
            passed += 1
            print(f"ok   ident reply {reply[:40]!r}: {seen['ours'][0][:60]!r}")
        else:
            failed += 1
            print(f"FAIL ident reply {reply[:40]!r}:\n  ours      {seen['ours']}\n  reference {seen['reference']}")

    # The parent never waits for ident: a silent identd holds one client, not the next.
    identd = Identd(b"1 , 2 : USERID : UNIX : second\r\n", hold_first=True)
    proc, port, log = start(a.ours, work)
    try:
        first = {}
        t = threading.Thread(target=lambda: first.setdefault("out", ask(port)))
        started = time.monotonic()
        t.start()
        time.sleep(0.3)
        second = ask(port)
        second_after = time.monotonic() - started
        t.join()
        first_after = time.monotonic() - started
    finally:
        stop(proc, log)
        identd.close()
    ok = (second == b"TCPREMOTEINFO=second\n" and second_after < 1.5 and
          first.get("out") == b"TCPREMOTEINFO=unset\n" and 1.5 < first_after < 5)
    if ok:
        passed += 1
        print(f"ok   a silent identd delays only its own client (second served after "
              f"{second_after:.2f} s, first after its -t 2 timeout, {first_after:.2f} s)")
    else:
        failed += 1
        print(f"FAIL silent identd: second {second!r} after {second_after:.2f} s, "
              f"first {first.get('out')!r} after {first_after:.2f} s")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
