#!/usr/bin/env python3
"""relay-watch's rule for logins it reads late: a login line without a readable timestamp is
recorded "now" while relay-watch follows the file as it is written, but skipped (and counted in
one warning) when relay-watch reads a file from its start that was written while it was not
running, since "now" would give a login of any age a fresh relay window.

    catch_up_test.py --bin DIR     (DIR holds relay-watch and relay-list)

The file is truncated and rewritten while relay-watch is stopped, so its restart reads it from
the start: the dated login there is recorded, the undated one is not.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402

BOUND = 20  # seconds to wait for a line of relay-watch's (it polls once a second)


def undated(ip):
    return f"pop3-login: Info: Login: user=<old>, method=PLAIN, rip={ip}, lip=127.0.0.1\n"


def dated(ip):
    return time.strftime("%b %e %H:%M:%S ") + undated(ip)


class Watch:
    def __init__(self, bin_dir, work):
        self.err_path = os.path.join(work, f"watch-{time.monotonic_ns()}.err")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "relay-watch"), "-s", "cdb:" + os.path.join(work, "relay.cdb"),
             "-t", os.path.join(work, "state"), os.path.join(work, "log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)

    def wait_for(self, text):
        """Whether relay-watch printed text within BOUND seconds."""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.err_path, "rb") as f:
                if text in f.read().decode(errors="replace"):
                    return True
            time.sleep(0.1)
        return False

    def stop(self):
        """Stops it (SIGTERM, then SIGKILL) and returns what it printed."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")


def listed(bin_dir, work):
    r = subprocess.run([os.path.join(bin_dir, "relay-list"), "-s",
                        "cdb:" + os.path.join(work, "relay.cdb")],
                       capture_output=True, text=True, timeout=30)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def append(path, text):
    with open(path, "a") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    a = p.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory() as work:
        log = os.path.join(work, "log")
        open(log, "w").close()
        watch = Watch(a.bin, work)
        # On its first start it begins at the file's end: write only once it watches.
        started = watch.wait_for("watching")
        append(log, undated("10.9.9.7") + dated("10.9.9.6"))
        watch.wait_for("recorded 10.9.9.6")
        first = watch.stop()
        c.check("relay-watch started and watched the log", started, first)
        ips = listed(a.bin, work)
        c.check("following: an undated login is recorded as now, a dated one too",
                {"10.9.9.6", "10.9.9.7"} <= ips, (ips, first))

        # Rewritten while relay-watch is down, shorter than where it stopped: read from the start.
        with open(log, "w") as f:
            f.write(undated("10.9.9.9") + dated("10.9.9.8"))
        watch = Watch(a.bin, work)
        watch.wait_for("without a readable timestamp")
        second = watch.stop()
        ips = listed(a.bin, work)
        c.check("catching up: the dated login written while it was down is recorded",
                "10.9.9.8" in ips, (ips, second))
        c.check("catching up: the undated one is not (it could be of any age)",
                "10.9.9.9" not in ips, (ips, second))
        c.check("catching up: one warning counts the undated logins skipped",
                second.count("skipped 1 logins without a readable timestamp") == 1, second)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
