"""This machine's dpkg state as deb_test.py needs it: package states, our diversions, installing
and removing, and putting ucspi-tcp and ucspi-tcp-ipv6 back as the test found them."""
import contextlib
import os
import subprocess

OURS = "ucspi-relay"
# The packages that ship the paths we divert: the test installs each in turn (they conflict with
# each other), so either one found installed is removed for the test and put back after it.
DJB_PACKAGES = ("ucspi-tcp", "ucspi-tcp-ipv6")
# A package the test builds with dpkg-deb, holding one of our files, to make our unpack fail.
DUMMY = "ucspi-relay-test-dummy"


# man-db's dpkg trigger rebuilds the whole manual page index after every install and remove
# (7 of the 8 seconds an install and purge of ucspi-tcp takes here); nothing the test checks
# reads that index. Debian's documented switch is this file's existence.
MAN_DB_AUTO_UPDATE = "/var/lib/man-db/auto-update"


@contextlib.contextmanager
def man_db_updates_paused():
    """No man-db index rebuild while the block runs; the switch put back as found after it."""
    paused = MAN_DB_AUTO_UPDATE + ".deb-test"
    found = os.path.exists(MAN_DB_AUTO_UPDATE)
    if found:
        os.rename(MAN_DB_AUTO_UPDATE, paused)
    try:
        yield
    finally:
        if found:
            os.rename(paused, MAN_DB_AUTO_UPDATE)


def run(command, **kw):
    return subprocess.run(command, capture_output=True, text=True, **kw)


def dpkg(*args):
    """Runs dpkg; raises with its output when it fails (a step the test cannot go on from)."""
    r = run(["dpkg", *args], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if r.returncode != 0:
        raise RuntimeError(f"dpkg {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def status(package):
    """'installed' (with its version), 'absent' (never installed or purged), or dpkg's own
    abbreviation for anything else (config-files, half-installed, ...)."""
    r = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}|${Version}", package])
    if r.returncode != 0:
        return "absent", ""
    abbrev, version = r.stdout.split("|", 1)
    abbrev = abbrev.strip()
    if abbrev == "ii":
        return "installed", version
    if abbrev in ("un", "pn"):
        return "absent", ""
    return abbrev, version


def our_diversions():
    """The diversions ucspi-relay holds, as (path, diverted-to) pairs."""
    r = run(["dpkg-divert", "--list"])
    if r.returncode != 0:
        raise RuntimeError(f"dpkg-divert --list failed: {r.stderr}")
    pairs = []
    for line in r.stdout.splitlines():
        # "diversion of /usr/bin/tcpserver to /usr/bin/tcpserver.ucspi-tcp by ucspi-relay"
        words = line.split()
        if len(words) == 7 and words[6] == OURS:
            pairs.append((words[2], words[4]))
    return sorted(pairs)


def download(package, version, dest):
    """The .deb of that version of package, fetched as compat/fetch-reference.sh fetches it, or
    the one an earlier run left in dest (a cache: the test downloads without a version into the
    build tree)."""
    spec = f"{package}={version}" if version else package
    os.makedirs(dest, exist_ok=True)
    cached = [f for f in os.listdir(dest) if f.startswith(package + "_") and f.endswith(".deb")]
    if len(cached) == 1 and not version:
        r = run(["dpkg-deb", "-f", os.path.join(dest, cached[0]), "Package"])
        if r.returncode == 0 and r.stdout.strip() == package:
            return os.path.join(dest, cached[0])
    for f in cached:
        os.remove(os.path.join(dest, f))
    r = run(["apt-get", "download", spec], cwd=dest)
    if r.returncode != 0:
        run(["apt-get", "update", "-q"])
        r = run(["apt-get", "download", spec], cwd=dest)
    if r.returncode != 0:
        raise RuntimeError(f"apt-get download {spec} failed:\n{r.stdout}{r.stderr}")
    debs = [f for f in os.listdir(dest) if f.startswith(package + "_") and f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"apt-get download {spec} left {debs} in {dest}")
    return os.path.join(dest, debs[0])


class Found:
    """The state of our package and djb's as the test found them, to put back afterwards."""

    def __init__(self, work):
        self.reinstall = {}  # package -> its .deb, of the version found installed
        ours, _ = status(OURS)
        if ours != "absent" or our_diversions():
            raise RuntimeError(f"{OURS} is {ours} here, with diversions {our_diversions()}: "
                               "the test installs and purges it, so it runs only where it is "
                               "not installed (dpkg -P ucspi-relay first)")
        for package in DJB_PACKAGES:
            state, version = status(package)
            if state == "installed":
                self.reinstall[package] = download(package, version,
                                                   os.path.join(work, "found-" + package))
            elif state != "absent":
                raise RuntimeError(f"{package} is in dpkg state {state!r}: fix it first")

    def clear(self):
        """Removes the djb packages found installed, for a test that starts without them."""
        for package in self.reinstall:
            dpkg("-r", package)

    def restore(self):
        """Purges what the test left and reinstalls what it found; returns the problems."""
        problems = []
        for package in (OURS, DUMMY) + DJB_PACKAGES:
            if status(package)[0] != "absent" and package not in self.reinstall:
                try:
                    dpkg("-P", package)
                except RuntimeError as e:
                    problems.append(str(e))
        for source, diverted in our_diversions():
            problems.append(f"diversion of {source} to {diverted} left behind: removed")
            run(["dpkg-divert", "--package", OURS, "--remove", "--rename", "--divert", diverted,
                 source])
        for package, deb in self.reinstall.items():
            if status(package)[0] != "installed":
                try:
                    dpkg("-i", deb)
                except RuntimeError as e:
                    problems.append(str(e))
        return problems
