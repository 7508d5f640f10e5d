"""relay-watch against a real Dovecot (Debian's dovecot-pop3d) whose log goes to a file.

Dovecot listens on 127.0.0.1 and ::1 without a post-login script: relay-watch, following its
log_path, is the only thing that records logins, into a cdb: store. POP3 clients log in from
addresses of 127.0.0.0/8 and from ::1, with right and wrong passwords, and with a user name that
carries a fake `rip=6.6.6.6` (a real account: auth_username_chars is emptied for it), whose
login line, rip= twice, relay-watch skips with a warning rather than guess. Meanwhile
the log is rotated by rename (then Dovecot reopens it on SIGUSR1) and by copytruncate, and
relay-watch is killed with SIGKILL and started again: once after a rotation while it was down,
once after a truncation while it was down that Dovecot then wrote past the saved offset.

Checked: relay-list shows exactly the addresses of the successful logins but the crafted one's;
relay-watch's log
(one "recorded IP" line per store write, all runs together) names each successful login exactly
once and no failed one; it told the rotations and truncations it followed. Loopback only,
bounded by a deadline. Needs root (Dovecot), dovecot, doveconf.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import dovecot_pop3  # noqa: E402
import processes  # noqa: E402
from checks import Checks  # noqa: E402

USER, PASSWORD = "roamer", "secret"
# Dovecot lowercases user names (auth_username_format %Lu): the passwd entry is lowercase too.
CRAFTED_USER = "x>, method=plain, rip=6.6.6.6, lip=1.1.1.1, session=<y"
FAKE_IP = "6.6.6.6"
DEADLINE = 150
WAIT = 15  # seconds for relay-watch to record a login (it polls once a second)

EXTRA_CONFIG = """\
# relay_watch_test.py: no post-login script; an IPv6 listener; any user name; no failure delay
service pop3-login {{
  inet_listener pop3v6 {{
    address = ::1
    port = {port}
  }}
}}
auth_username_chars =
auth_failure_delay = 0
"""


class WatchedDovecot(dovecot_pop3.Dovecot):
    """The e2e test's Dovecot, with the post-login include replaced by EXTRA_CONFIG and a second
    account whose name is CRAFTED_USER."""

    def write_files(self):
        super().write_files()
        with open(os.path.join(self.top, "relay.conf"), "w") as f:
            f.write(EXTRA_CONFIG.format(port=self.port))
        with open(os.path.join(self.top, "passwd"), "a") as f:
            f.write(f"{CRAFTED_USER}:{{PLAIN}}{PASSWORD}\n")

    def reopen_log(self):
        self.proc.send_signal(signal.SIGUSR1)


def pop3_login(source, host, port, user, password):
    """USER/PASS from source; True for +OK after PASS."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.bind((source, 0))
        s.connect((host, port))
        f = s.makefile("rwb")
        f.readline()
        replies = []
        for command in (f"USER {user}", f"PASS {password}", "QUIT"):
            f.write(command.encode() + b"\r\n")
            f.flush()
            replies.append(f.readline())
        return replies[1].startswith(b"+OK")


def port_free_on_both():
    for _ in range(20):
        port = processes.free_port()
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


class Test:
    def __init__(self, args, work, checks):
        self.bin, self.work, self.c = args.bin, work, checks
        self.port = port_free_on_both()
        self.dovecot = WatchedDovecot(os.path.join(work, "dovecot"), self.port, USER, PASSWORD,
                                      ["/bin/true"])
        self.log = os.path.join(work, "dovecot", "dovecot.log")
        self.store = "cdb:" + os.path.join(work, "relay.cdb")
        self.state = os.path.join(work, "relay-watch.state")
        self.watch, self.runs = None, []
        self.good = []  # the sources of successful logins, in order

    # ---- relay-watch ---------------------------------------------------------------------

    def start_watch(self):
        path = os.path.join(self.work, f"relay-watch.{len(self.runs) + 1}.log")
        self.runs.append(path)
        with open(path, "wb") as err:
            self.watch = subprocess.Popen(
                [os.path.join(self.bin, "relay-watch"), "-s", self.store, "-t", self.state,
                 self.log], stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                start_new_session=True, env={"PATH": "/usr/bin:/bin"})
        started = processes.wait_until(lambda: "info: watching" in processes.read_text(path), WAIT)
        self.c.check(f"relay-watch run {len(self.runs)} started", started,
                     processes.read_text(path))

    def kill_watch(self):
        alive = self.watch.poll() is None
        self.c.check(f"relay-watch run {len(self.runs)} was still running when killed", alive,
                     f"exit {self.watch.returncode}: {processes.read_text(self.runs[-1])}")
        os.killpg(self.watch.pid, signal.SIGKILL)
        self.watch.wait(timeout=10)

    def watch_text(self):
        return "".join(processes.read_text(path) for path in self.runs)

    def recorded(self):
        """Every address relay-watch recorded, all runs, once per line."""
        found = []
        for line in self.watch_text().splitlines():
            if line.startswith("relay-watch: info: recorded "):
                found.append(line.split()[3])
        return found

    # ---- logins --------------------------------------------------------------------------

    def login(self, source, ok, user=USER, relays=None):
        host = "::1" if ":" in source else "127.0.0.1"
        password = PASSWORD if ok else "wrong-password"
        accepted = pop3_login(source, host, self.port, user, password)
        self.c.check(f"Dovecot {'accepts' if ok else 'refuses'} {user!r} from {source}",
                     accepted == ok, self.dovecot.log_text()[-2000:])
        if (ok if relays is None else relays):
            self.good.append(source)

    def wait_recorded(self, what):
        missing = lambda: [ip for ip in self.good if ip not in self.recorded()]  # noqa: E731
        self.c.check(f"relay-watch recorded every successful login so far ({what})",
                     processes.wait_until(lambda: not missing(), WAIT),
                     f"missing {missing()}:\n{self.watch_text()}")

    def saved_offset(self):
        return int(processes.read_text(self.state).split()[3])

    def wait_saved(self, what):
        """Until the state file holds the log's inode and size: all that was read is saved (at
        the end of a poll, after the lines' logins are recorded). A kill before that would make
        the restart read those lines again: another case than the one the phase is about."""
        def saved():
            try:
                fields = processes.read_text(self.state).split()
                st = os.stat(self.log)
                return int(fields[2]) == st.st_ino and int(fields[3]) == st.st_size
            except (OSError, IndexError, ValueError):
                return False
        self.c.check(f"relay-watch saved its position at the log's end ({what})",
                     processes.wait_until(saved, WAIT),
                     f"state {processes.read_text(self.state)!r}, log size "
                     f"{os.path.getsize(self.log)}:\n{self.watch_text()}")

    # ---- the phases ----------------------------------------------------------------------

    def run(self):
        if not self.dovecot.start():
            raise RuntimeError("Dovecot did not start:\n" + self.dovecot.log_text())
        self.start_watch()

        self.login("127.0.0.2", True)
        self.login("127.0.0.3", False)
        self.login("::1", True)
        self.login("127.0.0.9", True, user=CRAFTED_USER, relays=False)
        self.login("127.0.0.10", False, user=CRAFTED_USER)
        self.wait_recorded("IPv4, ::1, a crafted user name")

        os.rename(self.log, self.log + ".1")
        self.login("127.0.0.11", True)  # Dovecot still writes the renamed file
        self.dovecot.reopen_log()
        processes.wait_until(lambda: os.path.exists(self.log), WAIT)
        self.login("127.0.0.12", True)
        self.login("127.0.0.4", False)
        self.wait_recorded("after a rotation by rename")

        with open(self.log, "rb") as src, open(self.log + ".2", "wb") as dst:  # copytruncate
            dst.write(src.read())
        os.truncate(self.log, 0)
        self.login("127.0.0.13", True)
        self.wait_recorded("after a truncation")
        self.wait_saved("after a truncation")

        self.kill_watch()
        self.login("127.0.0.14", True)
        os.rename(self.log, self.log + ".3")
        self.dovecot.reopen_log()
        processes.wait_until(lambda: os.path.exists(self.log), WAIT)
        self.login("127.0.0.15", True)
        self.login("127.0.0.16", False)
        self.start_watch()
        self.wait_recorded("after a rotation while relay-watch was down")

        self.wait_saved("after a rotation while relay-watch was down")
        self.kill_watch()
        offset = self.saved_offset()
        os.truncate(self.log, 0)
        for source in ("127.0.0.17", "127.0.0.18", "127.0.0.19"):
            self.login(source, True)
        self.login("::1", False)
        size = os.path.getsize(self.log)
        self.c.check("Dovecot wrote past the saved offset after the truncation (the case where "
                     "only the saved bytes tell)", size > offset, f"{size} <= {offset}")
        self.start_watch()
        self.wait_recorded("after a truncation while relay-watch was down")

        self.wait_saved("after a truncation while relay-watch was down")
        self.kill_watch()
        self.start_watch()  # nothing new: a restart records nothing again
        time.sleep(3)
        self.check_results()

    def check_results(self):
        recorded = self.recorded()
        twice = sorted({ip for ip in recorded if recorded.count(ip) > 1})
        self.c.check("no login was recorded twice", not twice, f"{twice} in\n{self.watch_text()}")
        wrong = sorted(set(recorded) - set(self.good))
        self.c.check("no failed login was recorded", not wrong, f"{wrong}")
        listed = subprocess.run([os.path.join(self.bin, "relay-list"), "-s", self.store],
                                capture_output=True, text=True, timeout=30)
        ips = sorted(line.split()[0] for line in listed.stdout.splitlines())
        self.c.check("relay-list shows exactly the successful logins, each relaying",
                     listed.returncode == 0 and ips == sorted(set(self.good))
                     and all(line.endswith(" relay") for line in listed.stdout.splitlines()),
                     f"exit {listed.returncode}, listed {ips}, expected {sorted(set(self.good))}"
                     f"\n{listed.stdout}{listed.stderr}")
        self.c.check(f"the crafted user name's {FAKE_IP} is nowhere", FAKE_IP not in ips
                     and FAKE_IP not in recorded, listed.stdout)
        text = self.watch_text()
        for what in ("was rotated: reading the new file from its start",
                     "was truncated: reading it again from its start",
                     "was rotated while relay-watch was not running: finishing",
                     "was truncated while relay-watch was not running",
                     "warning: skipped a login line ending at offset "):
            self.c.check(f"relay-watch said: ...{what}...", what in text, text)
        self.c.check("relay-watch warned about nothing else",
                     text.count("warning:") == 3, text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the folder of relay-watch and relay-list")
    args = ap.parse_args()
    checks = Checks()
    for tool in (dovecot_pop3.DOVECOT, dovecot_pop3.DOVECONF):
        if not os.access(tool, os.X_OK):
            checks.check(f"{tool} is installed (Debian: dovecot-pop3d)", False)
            return checks.finish()
    checks.check("running as root (Dovecot must start as root)", os.geteuid() == 0)
    processes.become_subreaper()
    work = tempfile.mkdtemp(prefix="relay-watch-test-")
    os.chmod(work, 0o755)  # Dovecot's users must reach the Maildir below
    test = Test(args, work, checks)
    try:
        processes.run_within(DEADLINE, checks, "the relay-watch test", test.run)
    finally:
        if test.watch is not None and test.watch.poll() is None:
            os.killpg(test.watch.pid, signal.SIGKILL)
        test.dovecot.stop()
        left = processes.kill_leftovers(os.getpid())
        checks.check("nothing the test started outlived it", not left, f"{left}")
        subprocess.run(["rm", "-rf", work])
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
