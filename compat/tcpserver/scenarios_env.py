"""Scenarios: the environment the child gets (PROTO, TCP*, inherited values replaced or
removed) and how the -v log writes those values (safecats: long and odd bytes)."""

from harness import one_connection, scenario


@scenario()
def s_env_basic(run):
    """PROTO and TCP* as the child sees them; the -v log with status/pid/ok/end lines."""
    server = run.start(["-v"])
    run.serve_one(server)
    run.serve_one(server, "client2")
    run.finish()


@scenario()
def s_env_stale_inherited(run):
    """Inherited TCP* values are replaced or removed (-H/-R unset TCPREMOTEHOST/INFO); djb
    knows nothing of TCP6*, so inherited TCP6* values reach the child untouched."""
    stale = {v: "stale" for v in ["TCPLOCALHOST", "TCPREMOTEHOST", "TCPREMOTEINFO", "TCPLOCALIP",
                                  "TCPREMOTEPORT", "PROTO", "TCP6INTERFACE", "TCP6REMOTEIP"]}
    one_connection(run, ["-v"], env=stale)


@scenario()
def s_local_name_empty(run):
    """`-l ''` sets TCPLOCALHOST to the empty string (djb: env("TCPLOCALHOST","") with a
    non-null pointer); only a failed or empty PTR lookup leaves it unset."""
    one_connection(run, ["-v", "-l", ""], env={"TCPLOCALHOST": "stale"})


@scenario()
def s_safecats_100(run):
    """Exactly 100 bytes still get `...` in the log; the env keeps the whole value."""
    one_connection(run, ["-v", "-l", "x" * 100])


@scenario()
def s_safecats_99(run):
    one_connection(run, ["-v", "-l", "x" * 99])


@scenario()
def s_safecats_101(run):
    one_connection(run, ["-v", "-l", "y" * 101])


@scenario()
def s_safecats_specials(run):
    """`a:b c%dé` logs as `a?b?c?d??` (':', ' ', '%' and each byte of é)."""
    one_connection(run, ["-v", "-l", "a:b c%dé"])
