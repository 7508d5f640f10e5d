#!/usr/bin/env python3
"""The .deb, built, linted, installed and removed for real on this machine (ctest package.deb).

deb_test.py --build DIR --cpack CPACK --version VERSION

Builds the package with cpack from the build, checks its control fields and runs lintian (any
error fails). Then, as root, with this machine's dpkg: (a) without ucspi-tcp: install ours, run
its /usr/bin/tcpserver with a rules cdb made by its /usr/bin/tcprules, remove, purge; (b) with
Debian's ucspi-tcp installed first, then ours, then ucspi-tcp reinstalled over it, then ours
reinstalled over itself (preinst upgrade, the diversions already there), then ours removed and
purged; (c) ours first, then ucspi-tcp, then ours removed; (d) as (b) without the reinstalls,
with ucspi-tcp-ipv6 (the same paths) instead of ucspi-tcp; (e) ucspi-tcp and a dummy package
(built here with dpkg-deb) that holds one of our files: our install must fail in its unpack,
after preinst, and postrm abort-install must give ucspi-tcp's files back. After each step every
file of the packages must be where the diversions put it, byte for byte as in its .deb (dpkg -x),
with ucspi-tcp's tcpserver, tcprules, tcprulescheck and their pages at NAME.ucspi-tcp while ours
is installed and back at their names after it; nothing of ours and no diversion may be left once
it is purged. ucspi-tcp's and ucspi-tcp-ipv6's .debs are downloaded (apt-get download) once into
BUILD/deb-test-cache. The machine's ucspi-tcp and ucspi-tcp-ipv6 are put back as found, on
failure too.
Not root, or a tool missing, is a failure. Prints one line per check and "N passed, N failed".
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402
import dpkg_system  # noqa: E402
from dpkg_system import run  # noqa: E402
import deb_files  # noqa: E402

TOOLS = ("dpkg", "dpkg-deb", "dpkg-divert", "dpkg-query", "dpkg-shlibdeps", "lintian",
         "apt-get", "file", "readelf")


def build_package(c, a, work):
    r = run([a.cpack, "-G", "DEB", "--config", os.path.join(a.build, "CPackConfig.cmake"),
             "-B", work])
    debs = [f for f in os.listdir(work) if f.endswith(".deb")]
    if not c.check("cpack -G DEB makes one .deb", r.returncode == 0 and len(debs) == 1,
                   f"{debs}\n{r.stdout}{r.stderr}"):
        return None
    return os.path.join(work, debs[0])


def check_control(c, a, deb):
    fields = {}
    for name in ("Package", "Version", "Section", "Maintainer", "Depends", "Conflicts",
                 "Replaces", "Breaks"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    c.check(f"Version is {a.version}", fields["Version"] == a.version, str(fields))
    c.check("Section net, a Maintainer", fields["Section"] == "net" and "@" in fields["Maintainer"],
            str(fields))
    # relay-mysql is the dynamic one: dpkg-shlibdeps must have found its client library.
    c.check("Depends names libmariadb3 and libc6",
            "libmariadb3" in fields["Depends"] and "libc6" in fields["Depends"], fields["Depends"])
    c.check("neither conflicts with, breaks nor replaces anything",
            not (fields["Conflicts"] or fields["Replaces"] or fields["Breaks"]), str(fields))


def lint(c, deb):
    # Judged by a plain run: with --show-overrides lintian exits 2 for an overridden error. The
    # second run only shows the overrides in the log.
    r = run(["lintian", "--tag-display-limit", "0", deb])
    print(r.stdout + r.stderr, end="", flush=True)
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    c.check("lintian: no error", r.returncode == 0 and not errors,
            f"exit {r.returncode}: " + "; ".join(errors))
    shown = run(["lintian", "--tag-display-limit", "0", "--show-overrides", deb])
    print("".join(line + "\n" for line in shown.stdout.splitlines() if line.startswith("O:")),
          end="", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--cpack", required=True)
    p.add_argument("--version", required=True, help="the package's expected Version field")
    a = p.parse_args()
    c = Checks()
    missing = [t for t in TOOLS if not shutil.which(t)]
    c.check("root, and dpkg-dev, lintian, file and binutils present (tools/bootstrap.sh)",
            os.geteuid() == 0 and not missing, f"uid {os.geteuid()}, missing: {missing}")
    if c.failed:
        return c.finish()
    with tempfile.TemporaryDirectory(prefix="deb-test.") as work:
        deb = build_package(c, a, work)
        if deb is None:
            return c.finish()
        check_control(c, a, deb)
        lint(c, deb)
        try:
            found = dpkg_system.Found(work)
        except RuntimeError as e:
            c.check("this machine's ucspi-relay and ucspi-tcp states can be restored", False, str(e))
            return c.finish()
        with dpkg_system.man_db_updates_paused():
            run_scenarios(c, a, work, deb, found)
    return c.finish()


def run_scenarios(c, a, work, deb, found):
    """Every install order, from the machine cleared of both packages, then the machine as it
    was."""
    try:
        found.clear()
        # Cached in the build tree: a rerun downloads nothing.
        cache = os.path.join(a.build, "deb-test-cache")
        djb_debs = [dpkg_system.download(p, "", os.path.join(cache, p))
                    for p in dpkg_system.DJB_PACKAGES]
        scenarios = deb_files.Scenarios(c, work, deb, djb_debs)
        scenarios.alone()
        scenarios.djb_first()
        scenarios.ours_first()
        scenarios.ipv6()
        scenarios.abort_install()
    except RuntimeError as e:
        c.check("every dpkg step succeeds", False, str(e))
    finally:
        problems = found.restore()
        c.check("the machine's ucspi-tcp, ucspi-tcp-ipv6 and ucspi-relay put back as found",
                not problems, "; ".join(problems))


if __name__ == "__main__":
    sys.exit(main())
