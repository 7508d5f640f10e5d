"""Scenarios: how an accepted command line is read (clustered options, `--`, where the options
end, the last verbosity flag winning, djb's parsing of the listen host and port, -1)."""

import select

from harness import QUIET_LOOKUPS, WAIT, child, one_connection, scenario


@scenario()
def s_not_verbose(run):
    """Default verbosity (-Q): no status/pid/ok/end lines."""
    server = run.start([])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_last_verbosity_wins(run):
    """`-v -q`: quiet wins; `-q -v` would be verbose (covered by the other scenarios)."""
    server = run.start(["-v", "-q"])
    run.serve_one(server, ends=None)
    run.finish()


@scenario()
def s_clustered_options(run):
    """Clustered flags and attached arguments: `-vHR1 -lLocal -Bban -c2 -b5`."""
    server = run.start_argv(["-vHR1", "-lLocal", "-Bban", "-c2", "-b5", "127.0.0.1", "0"]
                            + child())
    run.serve_one(server)
    run.finish()


@scenario()
def s_double_dash(run):
    """`--` ends the options."""
    server = run.start_argv(QUIET_LOOKUPS + ["-v1", "--", "127.0.0.1", "0"] + child())
    run.serve_one(server)
    run.finish()


@scenario()
def s_program_word_stops_options(run):
    """Options stop at the host: `... 127.0.0.1 0 -v` runs a program called -v (and fails)."""
    one_connection(run, ["-v"], program=["-v"])


@scenario()
def s_port_line_then_stdout_closed(run):
    """-1 writes `PORT\\n` and nothing more: tcpserver's stdout is closed after it."""
    server = run.start(["-v"])
    ready, _, _ = select.select([server.proc.stdout], [], [], WAIT)
    run.note("stdout after the port line: %r" % (server.proc.stdout.read1(100) if ready
                                                  else "still open"))
    server.settle()
    run.finish()


@scenario()
def s_port_65536_is_ephemeral(run):
    """Port 65536 truncates to 0: the kernel picks one, -1 prints it."""
    one_connection(run, ["-v"], port="65536")


@scenario()
def s_host_bracketed_zero_padded(run):
    """djb's numeric host parser: `[127.000.000.001]` is 127.0.0.1."""
    one_connection(run, ["-v"], host="[127.000.000.001]")


@scenario()
def s_host_five_parts(run):
    """djb's numeric host parser keeps whole groups of four bytes: 127.0.0.1.5 is 127.0.0.1."""
    one_connection(run, ["-v"], host="127.0.0.1.5")
