#!/usr/bin/env python3
"""What `cmake --install` puts under a prefix (ctest package.install).

install_test.py --build DIR --cmake CMAKE

Installs the build twice into temporary prefixes, as a Release install and as a RelWithDebInfo
one (--config, whatever the build's own type: stripping is decided by the configuration being
installed, tools/deb/install.cmake). Checks that bin/ holds exactly the programs that have a manual page in
share/man/man1 (so no test or benchmark binary is installed, and no program without its page),
that a Release install is stripped (no .symtab, no .debug_info) and a RelWithDebInfo one is
not (its .symtab at least: a Release build has no .debug_info to keep), and that share/doc/ucspi-relay holds the documents and example run files, mode
0644, without doc/run's test scripts. Prints one line per check and "N passed, N failed".
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402

DOCS = ["README.md", "LICENSE", "BENCHMARKS.md", "tcpserver/README.md", "doc/permissions.md",
        "doc/mysql-store.md", "doc/guides/from-vpopmail.md", "doc/run/README.md",
        "doc/run/daemontools/smtpd/run", "doc/run/systemd/ucspi-relay-smtpd.service"]
NOT_DOCS = ("run_files.py", "check_run_files.py", "CMakeLists.txt")


def sections(path):
    r = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"readelf -S {path}: {r.stderr}")
    return r.stdout


def install(c, a, prefix, config):
    command = [a.cmake, "--install", a.build, "--prefix", prefix, "--config", config]
    r = subprocess.run(command, capture_output=True, text=True)
    return c.check(f"{' '.join(command[1:])}", r.returncode == 0, r.stdout + r.stderr)


def check_programs(c, prefix, label, stripped):
    programs = sorted(os.listdir(os.path.join(prefix, "bin")))
    pages = sorted(p[:-2] for p in os.listdir(os.path.join(prefix, "share/man/man1"))
                   if p.endswith(".1"))
    c.check(f"{label}: bin/ holds the programs with a page in share/man/man1",
            programs == pages and "tcpserver" in programs,
            f"bin/: {programs}; pages: {pages}")
    for program in programs:
        text = sections(os.path.join(prefix, "bin", program))
        if stripped:
            ok = ".symtab" not in text and ".debug_info" not in text
        else:
            ok = ".symtab" in text
        c.check(f"{label}: bin/{program} {'stripped' if stripped else 'not stripped'}", ok,
                "sections:\n" + text)


def check_docs(c, prefix):
    doc = os.path.join(prefix, "share/doc/ucspi-relay")
    missing = [d for d in DOCS if not os.path.isfile(os.path.join(doc, d))]
    c.check("share/doc/ucspi-relay holds the documents and run files", not missing,
            f"missing: {missing}")
    found, modes = [], []
    for root, _, files in os.walk(doc):
        for name in files:
            path = os.path.join(root, name)
            if name in NOT_DOCS or name.endswith(".pyc"):
                found.append(path)
            if os.stat(path).st_mode & 0o7777 != 0o644:
                modes.append(f"{path} {os.stat(path).st_mode & 0o7777:o}")
    c.check("no test script among the documents", not found, f"installed: {found}")
    c.check("every document is 0644", not modes, "; ".join(modes))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--cmake", required=True)
    a = p.parse_args()
    c = Checks()
    with tempfile.TemporaryDirectory(prefix="install-test.") as work:
        release = os.path.join(work, "release")
        if install(c, a, release, "Release"):
            check_programs(c, release, "Release", stripped=True)
            check_docs(c, release)
        kept = os.path.join(work, "relwithdebinfo")
        if install(c, a, kept, "RelWithDebInfo"):
            check_programs(c, kept, "RelWithDebInfo", stripped=False)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
