#!/usr/bin/env python3
"""The manual pages of doc/man against the programs they describe (ctest doc.man).

check_man_pages.py --pages DIR --bin DIR [--version V] PROGRAM...

PROGRAM... are the programs the build makes (CMake passes every executable defined in
tcpserver/ and tools/). For each, DIR/PROGRAM.1 must exist, and no other page may.
Each page must:
  - format without a single warning under `groff -man -Tutf8 -ww -z` and under man-db's own
    pipeline (`man --warnings=w -l`), and give lexgrog (whatis) a NAME line naming it;
  - have a .TH line for PROGRAM in section 1 carrying the same "ucspi-relay VERSION" as every
    other page (and V, when --version is given), and a VERSION section that names it;
  - have the sections NAME, SYNOPSIS, DESCRIPTION, OPTIONS, ENVIRONMENT, FILES, EXIT STATUS,
    EXAMPLES, COMPATIBILITY, SEE ALSO and VERSION, in that order;
  - render no line wider than groff's 78-column man page line;
  - document, as a tag of its OPTIONS section, every option letter that the program's usage
    line names or that its option parser accepts (found by running the built program with
    each letter and digit), and no letter the parser refuses; list the same letters in its
    SYNOPSIS; relay-mysql's commands likewise. A program that parses no options must say so.

The programs are run only with arguments they refuse before they could open a socket or
write a store: from an empty directory, with an environment of nothing but an empty PATH.
A missing groff, man or lexgrog is a failure, never a skip.
"""

import argparse
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile

REQUIRED_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "FILES",
                     "EXIT STATUS", "EXAMPLES", "COMPATIBILITY", "SEE ALSO", "VERSION"]

# How each program reads its command line:
#   sgetopt  djb's parser: "PROG: illegal option -- X" for a letter it refuses
#   getopt   the usage line alone for a letter it refuses
#   none     no options: every argument is an operand
#   modes    relay-mysql: a command word first (allow|clear|list take relay-*'s options)
PARSERS = {
    "tcpserver": "sgetopt",
    "tcprules": "none",
    "tcprulescheck": "none",
    "relay-allow": "getopt",
    "relay-clear": "getopt",
    "relay-list": "getopt",
    "relay-import": "getopt",
    "relay-watch": "getopt",
    "relay-mysql": "modes",
}

LETTERS = string.ascii_letters + string.digits
LINE_LENGTH = 78
PROBE_TIMEOUT = 10


class Checker:
    def __init__(self, pages, bindir, version):
        self.pages = os.path.abspath(pages)
        self.bindir = os.path.abspath(bindir)
        self.version = version
        self.failures = []
        self.workdir = tempfile.mkdtemp(prefix="man-check-")
        self.empty_path = os.path.join(self.workdir, "empty-path")
        os.mkdir(self.empty_path)

    def fail(self, where, what):
        self.failures.append(f"{where}: {what}")

    # ---- running the programs ------------------------------------------------------------

    def run(self, argv, stdin=subprocess.DEVNULL):
        """Runs argv in a fresh empty directory with an environment of an empty PATH."""
        cwd = tempfile.mkdtemp(dir=self.workdir)
        env = {"PATH": self.empty_path, "LC_ALL": "C"}
        try:
            done = subprocess.run(argv, cwd=cwd, env=env, stdin=stdin, capture_output=True,
                                  timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"doc.man: {' '.join(argv)} did not exit within {PROBE_TIMEOUT} s")
        return done.returncode, done.stdout.decode(errors="replace"), \
            done.stderr.decode(errors="replace"), cwd

    def binary(self, program):
        return os.path.join(self.bindir, program)

    def usage_line(self, argv):
        """The "PROG: usage: ..." line the program prints for a command line it refuses."""
        for extra in ([], ["-:"]):
            _, out, err, _ = self.run(argv + extra)
            for line in (err + out).splitlines():
                if ": usage: " in line:
                    return line
        return None

    def refused(self, parser, argv, letter, usage):
        """Whether the option parser behind argv refuses the option letter."""
        if parser == "sgetopt":
            _, _, err, _ = self.run(argv + ["-" + letter, "0"])
            return f"illegal option -- {letter}" in err
        # getopt: a refused letter gets the usage line and nothing else, with or without a
        # word after it; a letter it takes either way gets something else (a complaint about
        # its value, a missing client IP or store, a program that cannot run; relay-import's
        # source, which its last word gives).
        for words in (["-" + letter], ["-" + letter, "0"], ["-" + letter, "0", "x:"]):
            code, out, err, _ = self.run(argv + words)
            if code != 100 or out or err.strip() != usage:
                return False
        return True

    def accepted_letters(self, parser, argv, usage):
        return {c for c in LETTERS if not self.refused(parser, argv, c, usage)}

    # ---- reading the pages ---------------------------------------------------------------

    def render(self, page):
        done = subprocess.run(["groff", "-man", "-Tutf8", "-P-c", "-P-b", "-P-o", "-P-u",
                               f"-rLL={LINE_LENGTH}n", page], capture_output=True)
        return done.stdout.decode("utf-8", errors="replace")

    @staticmethod
    def source_sections(text):
        """{section name: [roff source lines]} and the order of the .SH sections."""
        sections, order, current = {}, [], None
        for line in text.splitlines():
            m = re.match(r'^\.SH\s+"?([^"]*)"?\s*$', line)
            if m:
                current = m.group(1).strip()
                order.append(current)
                sections[current] = []
            elif current is not None:
                sections[current].append(line)
        return sections, order

    @staticmethod
    def rendered_section(text, name):
        lines, inside = [], False
        for line in text.splitlines():
            if re.match(r"^[A-Z]", line):
                inside = line.strip() == name
            elif inside:
                lines.append(line)
        return "\n".join(lines)

    @staticmethod
    def tag_words(source_lines):
        """The first word of each .TP tag, hyphens unescaped, fonts dropped."""
        words = []
        for i, line in enumerate(source_lines[:-1]):
            if line.strip() != ".TP":
                continue
            tag = source_lines[i + 1]
            tag = re.sub(r"^\.[A-Z]+\s*", "", tag)           # .B, .BI, .BR ...
            tag = re.sub(r"\\f[BIRP]", "", tag).replace('"', "")
            tag = tag.replace("\\-", "-").strip()
            if tag:
                words.append(tag.split()[0])
        return words

    # ---- the checks ----------------------------------------------------------------------

    def check_format(self, page):
        name = os.path.basename(page)
        done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True)
        if done.returncode != 0 or done.stderr:
            self.fail(name, "groff -man -Tutf8 -ww -z: exit %d\n%s"
                      % (done.returncode, done.stderr.decode(errors="replace")))
        env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MANROFFSEQ="")
        done = subprocess.run(["man", "--warnings=w", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                              capture_output=True, env=env)
        if done.returncode != 0 or done.stderr:
            self.fail(name, "man --warnings=w -l: exit %d\n%s"
                      % (done.returncode, done.stderr.decode(errors="replace")))

    def check_page(self, program, versions):
        page = os.path.join(self.pages, program + ".1")
        name = os.path.basename(page)
        text = open(page, encoding="utf-8").read()
        self.check_format(page)

        done = subprocess.run(["lexgrog", page], capture_output=True)
        whatis = done.stdout.decode(errors="replace")
        if done.returncode != 0 or f'"{program} - ' not in whatis:
            self.fail(name, f"lexgrog finds no NAME line for {program}: {whatis.strip()}")

        th = re.search(r"^\.TH\s+(\S+)\s+(\S+)\s+(\S+)\s+\"ucspi-relay ([^\"]+)\"", text, re.M)
        if not th:
            self.fail(name, '.TH is not `.TH NAME 1 DATE "ucspi-relay VERSION" ...`')
        else:
            if th.group(1).replace("\\-", "-") != program.upper() or th.group(2) != "1":
                self.fail(name, f".TH names {th.group(1)}({th.group(2)}), not "
                                f"{program.upper()}(1)")
            versions[name] = th.group(4)

        sections, order = self.source_sections(text)
        required = [s for s in order if s in REQUIRED_SECTIONS]
        missing = [s for s in REQUIRED_SECTIONS if s not in order]
        if missing:
            self.fail(name, "missing sections: " + ", ".join(missing))
        elif required != REQUIRED_SECTIONS:
            self.fail(name, "sections out of order: " + ", ".join(required))
        if th and "VERSION" in sections:
            version_text = " ".join(sections["VERSION"]).replace("\\-", "-")
            if f"ucspi-relay {th.group(4)}" not in version_text:
                self.fail(name, f"the VERSION section does not say ucspi-relay {th.group(4)}")

        rendered = self.render(page)
        for number, line in enumerate(rendered.splitlines(), 1):
            if len(line) > LINE_LENGTH:
                self.fail(name, f"rendered line {number} is {len(line)} columns wide "
                                f"(at most {LINE_LENGTH}): {line.strip()}")
        self.check_options(program, name, sections.get("OPTIONS", []),
                           self.rendered_section(rendered, "SYNOPSIS"))

    def check_options(self, program, name, options_source, synopsis):
        parser = PARSERS.get(program)
        if parser is None:
            self.fail(name, f"check_man_pages.py does not know how {program} reads its command "
                            f"line: add it to PARSERS")
            return
        binary = self.binary(program)
        if not os.access(binary, os.X_OK):
            self.fail(name, f"no program {binary} to check the page against")
            return
        tags = self.tag_words(options_source)
        documented = {t[1] for t in tags if re.fullmatch(r"-[A-Za-z0-9]", t)}
        synopsis_letters = set("".join(re.findall(r"(?<![\w-])-([A-Za-z0-9]+)", synopsis)))

        if parser == "none":
            self.check_no_options(program, name, options_source, documented)
            return

        if parser == "modes":
            usage = self.usage_line([binary])
            if usage is None:
                self.fail(name, f"{program} prints no usage line")
                return
            commands = set()
            for group in re.findall(r"\b([a-z]+(?:\|[a-z]+)+)\b", usage):
                commands.update(group.split("|"))
            for command in sorted(commands - set(tags)):
                self.fail(name, f"command {command} of the usage line `{usage}` is no tag of "
                                f"OPTIONS")
            for command in sorted(commands):
                if f"{program} {command}" not in synopsis:
                    self.fail(name, f"SYNOPSIS does not show `{program} {command}`")
            # The commands that take options are those whose usage line shows some.
            runs = []
            for command in sorted(commands):
                line = self.usage_line([binary, command])
                if line and re.search(r"\[ -", line):
                    runs.append(([binary, command], line))
            if not runs:
                self.fail(name, f"no command of {program} shows an option in its usage line")
        else:
            usage = self.usage_line([binary])
            if usage is None:
                self.fail(name, f"{program} prints no usage line")
                return
            runs = [([binary], usage)]

        named, accepted = set(), set()
        for argv, line in runs:
            named |= set("".join(re.findall(r"(?<=[\s\[])-([A-Za-z0-9]+)", line)))
            accepted |= self.accepted_letters(parser if parser != "modes" else "getopt", argv,
                                              line)
        for letter in sorted(named - accepted):
            self.fail(name, f"the usage line names -{letter}, which {program} refuses")
        for letter in sorted((named | accepted) - documented):
            self.fail(name, f"-{letter} ({'in the usage line' if letter in named else 'accepted'}"
                            f") is not documented as a tag of OPTIONS")
        for letter in sorted(documented - accepted):
            self.fail(name, f"OPTIONS documents -{letter}, which {program} refuses")
        for letter in sorted(accepted - synopsis_letters):
            self.fail(name, f"-{letter} is not shown in the SYNOPSIS")

    def check_no_options(self, program, name, options_source, documented):
        binary = self.binary(program)
        usage = self.usage_line([binary])
        if usage is None or "[ -" in usage:
            self.fail(name, f"{program} was expected to take no options; usage: {usage}")
        # Every word is an operand: a word like an option is taken as a file name.
        if program == "tcprules":
            code, _, err, cwd = self.run([binary, "-a", "-b"])
            if code != 0 or not os.path.exists(os.path.join(cwd, "-a")):
                self.fail(name, f"`tcprules -a -b` did not write the file -a: exit {code} {err}")
        else:
            code, _, err, _ = self.run([binary, "-a"])
            if "unable to read -a" not in err:
                self.fail(name, f"`{program} -a` did not take -a as a file name: exit {code} {err}")
        if documented:
            self.fail(name, "OPTIONS documents options of a program that takes none: "
                      + " ".join("-" + c for c in sorted(documented)))
        if "no options" not in " ".join(options_source):
            self.fail(name, "OPTIONS does not say that there are no options")

    def check(self, programs):
        for tool in ("groff", "man", "lexgrog"):
            if shutil.which(tool) is None:
                self.fail("doc.man", f"{tool} is not installed (Debian: groff-base, man-db); "
                                     f"the pages cannot be checked")
        if self.failures:
            return
        pages = {f[:-2] for f in os.listdir(self.pages) if f.endswith(".1")}
        for program in sorted(set(programs) - pages):
            self.fail(f"{program}.1", f"no manual page for the program {program}")
        for page in sorted(pages - set(programs)):
            self.fail(f"{page}.1", "a manual page for no program the build makes")
        versions = {}
        for program in sorted(set(programs) & pages):
            self.check_page(program, versions)
        if len(set(versions.values())) > 1:
            self.fail("doc.man", "the pages carry different versions: " + ", ".join(
                f"{page} {version}" for page, version in sorted(versions.items())))
        if self.version:
            for page, version in sorted(versions.items()):
                if version != self.version:
                    self.fail(page, f"version {version}, the project's is {self.version}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", required=True, help="the folder of the .1 files")
    ap.add_argument("--bin", required=True, help="the folder of the built programs")
    ap.add_argument("--version", help="the version every page must carry")
    ap.add_argument("programs", nargs="+")
    args = ap.parse_args()
    checker = Checker(args.pages, args.bin, args.version)
    try:
        checker.check(args.programs)
    finally:
        shutil.rmtree(checker.workdir, ignore_errors=True)
    for failure in checker.failures:
        print("FAIL " + failure)
    pages = len(args.programs)
    print(f"doc.man: {pages} programs, {len(checker.failures)} problems")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
