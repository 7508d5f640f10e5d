"""Scenarios: what tcpserver says and exits with before it serves anyone (usage, option
errors, a host or port it cannot use, and -q silencing it)."""

import socket

from harness import scenario


@scenario()
def s_usage_missing_program(run):
    """`tcpserver 0 0`: usage line, exit 100."""
    run.invoke(["0", "0"])


@scenario()
def s_usage_no_args(run):
    run.invoke([])


@scenario()
def s_illegal_option(run):
    """`-z`: 'illegal option -- z' then usage, exit 100."""
    run.invoke(["-z", "0", "0", "true"])


@scenario()
def s_missing_option_argument(run):
    """`-c` at the end: 'option requires an argument -- c' then usage."""
    run.invoke(["-v", "-c"])


@scenario()
def s_quiet_silences_usage(run):
    """`-q 0`: the usage still exits 100 but prints nothing."""
    run.invoke(["-q", "0"])


@scenario()
def s_quiet_then_illegal_option(run):
    """The illegal-option message is printed while parsing, before -q takes effect."""
    run.invoke(["-q", "-z", "0", "0", "true"])


@scenario()
def s_unknown_port_name(run):
    run.invoke(["127.0.0.1", "nonexistentport", "true"])


@scenario()
def s_bind_not_available(run):
    """`1.2.3.4 016`: a non-local IP; the port has a leading zero."""
    run.invoke(["1.2.3.4", "016", "true"])


@scenario()
def s_quiet_silences_fatal(run):
    run.invoke(["-q", "1.2.3.4", "016", "true"])


@scenario()
def s_no_ip_address_numeric(run):
    """`127.1` is numeric to djb: two bytes round down to none, so 'no IP address for 127.1'."""
    run.invoke(["127.1", "0", "true"])


@scenario()
def s_port_in_use(run):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        run.masker.add_port(port, "BUSYPORT")
        run.invoke(["127.0.0.1", str(port), "true"])
    finally:
        holder.close()
