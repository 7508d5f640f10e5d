"""deb_test.py's scenarios: dpkg steps, each followed by a check of every file of both packages
against its .deb, of ucspi-relay's diversions, and, while ours is installed, of a real
connection to /usr/bin/tcpserver."""
import filecmp
import os
import socket
import subprocess
import time

import dpkg_system
from dpkg_system import dpkg, run

# What preinst diverts: ucspi-tcp's path -> where its file goes while ucspi-relay is installed.
DIVERTED = {}
for _prog in ("tcpserver", "tcprules", "tcprulescheck"):
    DIVERTED[f"usr/bin/{_prog}"] = f"usr/bin/{_prog}.ucspi-tcp"
    DIVERTED[f"usr/share/man/man1/{_prog}.1.gz"] = f"usr/share/man/man1/{_prog}.ucspi-tcp.1.gz"

# A CIDR rule: ours compiles it; djb's tcprules would store "127.0.0.0/8" as a key no client
# matches, and the connection would meet ":deny".
RULES = '127.0.0.0/8:allow,WHO="ucspi-relay"\n:deny\n'


def extract(deb, dest):
    dpkg("-x", deb, dest)
    files = []
    for root, _, names in os.walk(dest):
        for name in names:
            files.append(os.path.relpath(os.path.join(root, name), dest))
    return sorted(files)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(port, deadline):
    """Connects from 127.0.0.2 until the server listens; returns what it sent."""
    while True:
        try:
            with socket.socket() as s:
                s.settimeout(5)
                s.bind(("127.0.0.2", 0))
                s.connect(("127.0.0.1", port))
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
                return data.decode(errors="replace").strip()
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                return "(connection refused)"
            time.sleep(0.05)


class Scenarios:
    def __init__(self, c, work, deb, djb_deb):
        self.c = c
        self.work = work
        self.deb = deb
        self.djb_deb = djb_deb
        self.ours = os.path.join(work, "x-ours")
        self.djb = os.path.join(work, "x-ucspi-tcp")
        self.our_files = extract(deb, self.ours)
        self.djb_files = extract(djb_deb, self.djb)
        missing = sorted(set(DIVERTED) - set(self.djb_files) - set(self.our_files))
        c.check("both packages ship every diverted path", not missing, f"missing: {missing}")

    def expect(self, step, ours, djb):
        """Checks that each package's files are installed as its .deb holds them (djb's at the
        diverted paths while ours is installed), and nothing else of either."""
        want = {}
        if djb:
            for rel in self.djb_files:
                want[DIVERTED.get(rel, rel) if ours else rel] = os.path.join(self.djb, rel)
        if ours:
            for rel in self.our_files:
                want[rel] = os.path.join(self.ours, rel)
        wrong = []
        for rel in sorted(set(self.our_files) | set(self.djb_files) | set(DIVERTED.values())):
            path = "/" + rel
            if rel in want:
                if not os.path.isfile(path):
                    wrong.append(f"{path} missing")
                elif not filecmp.cmp(path, want[rel], shallow=False):
                    wrong.append(f"{path} differs from {want[rel]}")
            elif os.path.lexists(path):
                wrong.append(f"{path} present")
        if not ours and os.path.lexists("/usr/share/doc/ucspi-relay"):
            wrong.append("/usr/share/doc/ucspi-relay present")
        what = " and ".join(n for n, on in (("ours", ours), ("ucspi-tcp's (rblsmtpd, tcpclient, "
                                                              "...)", djb)) if on) or "none"
        self.c.check(f"{step}: files as in the .debs: {what}", not wrong, "; ".join(wrong[:20]))
        diversions = dpkg_system.our_diversions()
        expected = sorted(("/" + k, "/" + v) for k, v in DIVERTED.items()) if ours else []
        self.c.check(f"{step}: {len(expected)} diversions by ucspi-relay", diversions == expected,
                     f"{diversions}")
        if ours:
            self.serve(step)

    def serve(self, step):
        source = os.path.join(self.work, "rules")
        with open(source, "w") as f:
            f.write(RULES)
        cdb = source + ".cdb"
        with open(source) as stdin:
            r = run(["/usr/bin/tcprules", cdb, cdb + ".tmp"], stdin=stdin)
        port = free_port()
        server = subprocess.Popen(["/usr/bin/tcpserver", "-R", "-H", "-x", cdb, "127.0.0.1",
                                   str(port), "sh", "-c", 'echo "$WHO"'],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            answer = ask(port, time.monotonic() + 10) if r.returncode == 0 else r.stderr
        finally:
            server.terminate()
            _, err = server.communicate(timeout=10)
        self.c.check(f"{step}: /usr/bin/tcpserver serves 127.0.0.2 by /usr/bin/tcprules' "
                     "CIDR rule", answer == "ucspi-relay",
                     f"got {answer!r}; tcpserver said {err.decode(errors='replace')!r}")

    def state(self, step, package, wanted):
        got = dpkg_system.status(package)[0]
        self.c.check(f"{step}: {package} {wanted}", got == wanted, f"dpkg says {got}")

    def remove_ours(self, step, djb):
        dpkg("-r", dpkg_system.OURS)
        self.expect(f"{step}, ours removed", ours=False, djb=djb)
        dpkg("-P", dpkg_system.OURS)
        self.state(f"{step}, ours purged", dpkg_system.OURS, "absent")
        self.expect(f"{step}, ours purged", ours=False, djb=djb)

    def alone(self):
        dpkg("-i", self.deb)
        self.state("(a) ours alone", dpkg_system.OURS, "installed")
        self.expect("(a) ours alone", ours=True, djb=False)
        self.remove_ours("(a)", djb=False)

    def djb_first(self):
        dpkg("-i", self.djb_deb)
        self.expect("(b) ucspi-tcp alone", ours=False, djb=True)
        dpkg("-i", self.deb)
        self.state("(b) ours over ucspi-tcp", "ucspi-tcp", "installed")
        self.expect("(b) ours over ucspi-tcp", ours=True, djb=True)
        dpkg("-i", self.djb_deb)
        self.expect("(b) ucspi-tcp reinstalled under ours", ours=True, djb=True)
        self.remove_ours("(b)", djb=True)
        dpkg("-P", "ucspi-tcp")
        self.expect("(b) ucspi-tcp purged", ours=False, djb=False)

    def ours_first(self):
        dpkg("-i", self.deb)
        dpkg("-i", self.djb_deb)
        self.state("(c) ucspi-tcp after ours", "ucspi-tcp", "installed")
        self.expect("(c) ucspi-tcp after ours", ours=True, djb=True)
        self.remove_ours("(c)", djb=True)
        dpkg("-P", "ucspi-tcp")
        self.expect("(c) ucspi-tcp purged", ours=False, djb=False)
