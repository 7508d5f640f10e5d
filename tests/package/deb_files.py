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


class Djb:
    """One of Debian's packages of ucspi-tcp, its .deb and the files it ships."""

    def __init__(self, work, deb):
        self.deb = deb
        self.name = run(["dpkg-deb", "-f", deb, "Package"]).stdout.strip()
        self.dir = os.path.join(work, "x-" + self.name)
        self.files = extract(deb, self.dir)


class Scenarios:
    def __init__(self, c, work, deb, djb_debs):
        self.c = c
        self.work = work
        self.deb = deb
        self.ours = os.path.join(work, "x-ours")
        self.our_files = extract(deb, self.ours)
        self.djbs = [Djb(work, d) for d in djb_debs]
        self.tcp = self.djbs[0]
        # Every file either package could leave behind, for expect()'s "nothing else".
        self.all_files = set(self.our_files) | set(DIVERTED.values())
        # A diverted path that either package lacks would never be checked by expect(): both
        # must ship every one.
        ours_lack = set(DIVERTED) - set(self.our_files)
        for djb in self.djbs:
            self.all_files |= set(djb.files)
            missing = sorted(ours_lack | (set(DIVERTED) - set(djb.files)))
            c.check(f"ours and {djb.name} both ship every diverted path", not missing,
                    f"missing from one or both: {missing}")

    def expect(self, step, ours, djb, also=None):
        """Checks that ours (if ours) and djb (a Djb, or None) have their files installed as
        their .debs hold them (djb's at the diverted paths while ours is installed), and nothing
        else of any of the packages; also: more installed path -> the file it must equal."""
        want = dict(also or {})
        if djb:
            for rel in djb.files:
                want[DIVERTED.get(rel, rel) if ours else rel] = os.path.join(djb.dir, rel)
        if ours:
            for rel in self.our_files:
                want[rel] = os.path.join(self.ours, rel)
        wrong = []
        for rel in sorted(self.all_files):
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
        what = " and ".join(n for n, on in (("ours", ours), (f"{djb and djb.name}'s (rblsmtpd, "
                                                              "tcpclient, ...)", djb)) if on)
        self.c.check(f"{step}: files as in the .debs: {what or 'none'}", not wrong,
                     "; ".join(wrong[:20]))
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
        self.expect("(a) ours alone", ours=True, djb=None)
        self.remove_ours("(a)", djb=None)

    def djb_first(self):
        tcp = self.tcp
        dpkg("-i", tcp.deb)
        self.expect("(b) ucspi-tcp alone", ours=False, djb=tcp)
        dpkg("-i", self.deb)
        self.state("(b) ours over ucspi-tcp", "ucspi-tcp", "installed")
        self.expect("(b) ours over ucspi-tcp", ours=True, djb=tcp)
        dpkg("-i", tcp.deb)
        self.expect("(b) ucspi-tcp reinstalled under ours", ours=True, djb=tcp)
        # The same .deb again: preinst upgrade, with its diversions already there.
        dpkg("-i", self.deb)
        self.state("(b) ours reinstalled over ours", dpkg_system.OURS, "installed")
        self.expect("(b) ours reinstalled over ours", ours=True, djb=tcp)
        self.remove_ours("(b)", djb=tcp)
        dpkg("-P", "ucspi-tcp")
        self.expect("(b) ucspi-tcp purged", ours=False, djb=None)

    def ours_first(self):
        tcp = self.tcp
        dpkg("-i", self.deb)
        dpkg("-i", tcp.deb)
        self.state("(c) ucspi-tcp after ours", "ucspi-tcp", "installed")
        self.expect("(c) ucspi-tcp after ours", ours=True, djb=tcp)
        self.remove_ours("(c)", djb=tcp)
        dpkg("-P", "ucspi-tcp")
        self.expect("(c) ucspi-tcp purged", ours=False, djb=None)

    def ipv6(self):
        """ucspi-tcp-ipv6 ships the same six paths as ucspi-tcp."""
        for djb in self.djbs[1:]:
            step = f"(d) {djb.name}"
            dpkg("-i", djb.deb)
            self.expect(f"{step} alone", ours=False, djb=djb)
            dpkg("-i", self.deb)
            self.state(f"{step}, ours over it", djb.name, "installed")
            self.expect(f"{step}, ours over it", ours=True, djb=djb)
            self.remove_ours(step, djb=djb)
            dpkg("-P", djb.name)
            self.expect(f"{step} purged", ours=False, djb=None)

    def abort_install(self):
        """Our unpack fails (a file of ours belongs to another package) after preinst diverted
        ucspi-tcp's files: dpkg runs postrm abort-install, which must give them back."""
        tcp = self.tcp
        mine = next(rel for rel in self.our_files
                    if rel.startswith("usr/bin/") and rel not in DIVERTED)
        dummy = build_dummy(self.work, mine)
        dpkg("-i", tcp.deb)
        dpkg("-i", dummy)
        r = run(["dpkg", "-i", self.deb])
        self.c.check(f"(e) ours over {dpkg_system.DUMMY}, which holds /{mine}: dpkg -i fails on it",
                     r.returncode != 0 and "trying to overwrite" in r.stdout + r.stderr,
                     f"exit {r.returncode}: {r.stdout}{r.stderr}")
        # "in": selected for install, not installed.
        self.state("(e) failed install", dpkg_system.OURS, "in")
        dummy_file = os.path.join(self.work, "x-dummy", mine)
        self.expect("(e) failed install", ours=False, djb=tcp, also={mine: dummy_file})
        dpkg("-P", dpkg_system.DUMMY)
        # Installed and purged, ours leaves no record in dpkg's status file; after the failed
        # install, only that clears the one it left.
        dpkg("-i", self.deb)
        self.state("(e) ours after the dummy's purge", dpkg_system.OURS, "installed")
        self.expect("(e) ours after the dummy's purge", ours=True, djb=tcp)
        self.remove_ours("(e)", djb=tcp)
        dpkg("-P", "ucspi-tcp")
        self.expect("(e) ucspi-tcp purged", ours=False, djb=None)


def build_dummy(work, rel):
    """A package that holds one file at rel (a path of ours), built with dpkg-deb."""
    root = os.path.join(work, "x-dummy")
    os.makedirs(os.path.join(root, "DEBIAN"))
    os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
    with open(os.path.join(root, rel), "w") as f:
        f.write("#!/bin/sh\necho dummy\n")
    os.chmod(os.path.join(root, rel), 0o755)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {dpkg_system.DUMMY}\nVersion: 1.0\nArchitecture: all\n"
                "Maintainer: ucspi-relay tests <tests@invalid>\n"
                "Description: holds one file of ucspi-relay, to make its install fail\n")
    deb = os.path.join(work, dpkg_system.DUMMY + ".deb")
    r = run(["dpkg-deb", "--root-owner-group", "--build", root, deb])
    if r.returncode != 0:
        raise RuntimeError(f"dpkg-deb --build {root} failed:\n{r.stdout}{r.stderr}")
    return deb
