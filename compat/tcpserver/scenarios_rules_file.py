"""Scenarios: the rules file itself: missing (with and without -X), corrupt, empty, a
directory, and replaced or rewritten while tcpserver runs. Two of them document deliberate
differences from Debian's build, whose bugs ours must not copy."""

import re

from harness import Re, one_connection, scenario


@scenario()
def s_rules_missing_without_X(run):
    """No rules file, no -X: drop with a warning, status 28416."""
    one_connection(run, ["-v", "-x", "nonexist.cdb"])


@scenario()
def s_rules_missing_warning_without_v(run):
    """The drop warning is printed at the default verbosity too."""
    server = run.start(["-x", "nonexist.cdb"])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_rules_missing_with_X(run):
    """-X: a nonexistent rules file means no rules, allow."""
    one_connection(run, ["-v", "-X", "-x", "nonexist.cdb"])


@scenario()
def s_rules_clustered_Xx(run):
    """`-Xx FILE` clustered."""
    one_connection(run, ["-v", "-Xx", "nonexist.cdb"])


@scenario()
def s_rules_corrupt_header(run):
    """Every table pointer past EOF: `unable to read rules.cdb: protocol error`, drop."""
    run.path("rules.cdb").write_bytes(b"\xff" * 4096)
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_corrupt_truncated(run):
    """A real cdb cut inside its hash tables: its slots point past EOF."""
    run.rules("".join("10.0.%d.%d:allow\n" % (i // 256, i % 256) for i in range(300)) + ":deny\n")
    path = run.path("rules.cdb")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1500])
    one_connection(run, ["-v", "-x", "rules.cdb"])


DROP_WARNING = r" log: tcpserver: warning: dropping connection, unable to read rules\.cdb: [a-z ]+"


def drop_with_any_reason(ref_lines):
    """Ours must drop exactly as the reference does, but the error text is not pinned."""
    return [Re(re.escape(line.split(" log: ")[0]) + DROP_WARNING)
            if "warning: dropping connection, unable to read rules.cdb:" in line else line
            for line in ref_lines]


@scenario(expect=drop_with_any_reason)
def s_rules_empty_file(run):
    """DELIBERATE DIFFERENCE: Debian's build drops a 0-byte rules file with `invalid argument`
    (its cdb_init mmap check was optimised away, spec §4.4); pristine djb would say `protocol
    error`. Ours must drop (111, status 28416) with a warning; the wording is not pinned."""
    run.path("rules.cdb").write_bytes(b"")
    one_connection(run, ["-v", "-x", "rules.cdb"])


def sigsegv_becomes_drop(ref_lines):
    """Debian's child dies of SIGSEGV (status 11) on a directory; ours must drop instead."""
    fixed = []
    for line in ref_lines:
        if line.endswith(" log: tcpserver: end PID1 status 11"):
            fixed.append(Re(re.escape(line.split(" log: ")[0]) + DROP_WARNING))
            line = line.replace("status 11", "status 28416")
        fixed.append(line)
    return fixed


@scenario(expect=sigsegv_becomes_drop)
def s_rules_directory(run):
    """DELIBERATE DIFFERENCE: a directory as rules file crashes Debian's child with SIGSEGV
    (`end P status 11`, spec §4.4). Ours must drop with 111 (status 28416) and a warning."""
    run.path("rules.cdb").mkdir()
    one_connection(run, ["-v", "-x", "rules.cdb"])


@scenario()
def s_rules_replaced_live(run):
    """tcprules between two connections: the new rules apply at once, without any signal."""
    run.rules('127.0.0.1:allow,WHICH="one"\n')
    server = run.start(["-v", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="two"\n')
    run.serve_one(server, "client2", ends=2)
    run.rules("127.0.0.1:deny\n")
    run.serve_one(server, "client3", ends=3)
    run.finish()


def rewrite_in_place(path, data):
    """Overwrite a file keeping its inode (as `cp` over it would), unlike tcprules' rename."""
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)


@scenario()
def s_rules_rewritten_in_place(run):
    """The rules file rewritten in place (same inode, within the same second), first shrinking
    to a much smaller cdb, then changing only bytes of the same length. djb reopens the file for
    every connection; a server that keeps it mapped must notice both (and never read past the
    new end of file)."""
    run.rules("".join("10.1.%d.%d:deny\n" % (i // 256, i % 256) for i in range(2000)) +
              '127.0.0.1:allow,WHICH="big"\n')
    server = run.start(["-v", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="one"\n', name="small.cdb")
    rewrite_in_place(run.path("rules.cdb"), run.path("small.cdb").read_bytes())
    run.serve_one(server, "client2", ends=2)
    run.rules('127.0.0.1:allow,WHICH="two"\n', name="small.cdb")
    rewrite_in_place(run.path("rules.cdb"), run.path("small.cdb").read_bytes())
    run.serve_one(server, "client3", ends=3)
    run.finish()


@scenario()
def s_rules_created_after_start(run):
    """-X with no file at start, then tcprules creates it: the next connection sees it."""
    server = run.start(["-v", "-X", "-x", "rules.cdb"])
    run.serve_one(server)
    run.rules('127.0.0.1:allow,WHICH="created"\n')
    run.serve_one(server, "client2", ends=2)
    run.finish()
