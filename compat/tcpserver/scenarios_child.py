"""Scenarios: what tcpserver does for each connection besides the environment: which program it
runs, the banner, the ids it runs as, the fds, signals and socket options the child inherits,
bytes the client sends early, and the wait status in the end line."""

from harness import one_connection, scenario


@scenario()
def s_program_not_found(run):
    """`unable to run ./nonexistprog: file does not exist`, drop status 28416."""
    one_connection(run, ["-v"], program=["./nonexistprog"])


@scenario()
def s_program_from_path(run):
    """A bare program name is searched in $PATH (pathexec)."""
    one_connection(run, ["-v"], program=["echo", "hi", "there"])


@scenario()
def s_banner(run):
    """-B bytes are written raw (no escapes) before the program's output."""
    one_connection(run, ["-v", "-B", "220 banner\\n\r\n"])


@scenario()
def s_client_speaks_first(run):
    """Bytes the client sends before the program starts are left for the program's stdin."""
    server = run.start(["-v", "-B", "hello "], mode="wait")
    run.serve_one(server, send=b"early bird\n")
    run.finish()


@scenario()
def s_drop_privileges(run):
    """-g then -u after bind: setgroups({gid}), setgid, setuid; the child runs as them."""
    one_connection(run, ["-v", "-u", "65534", "-g", "65534"], mode="ids")


@scenario()
def s_drop_privileges_from_env(run):
    """-U takes $UID and $GID."""
    one_connection(run, ["-v", "-U"], mode="ids", env={"UID": "65534", "GID": "65534"})


@scenario()
def s_wait_status_exit3(run):
    """The end line shows the raw wait status: exit 3 is 768."""
    one_connection(run, ["-v"], mode="exit3")


@scenario()
def s_wait_status_sigkill(run):
    """A child killed by SIGKILL: status 9."""
    one_connection(run, ["-v"], mode="kill")


@scenario()
def s_child_fds_and_signals(run):
    """The child has exactly fds 0,1,2, blocking sockets, no blocked or ignored signals."""
    one_connection(run, ["-v"], mode="fds")


@scenario()
def s_nodelay_default(run):
    """Default -d: Nagle stays on."""
    one_connection(run, ["-v"], mode="sockopts")


@scenario()
def s_nodelay_flag(run):
    """-D: TCP_NODELAY on the accepted socket."""
    one_connection(run, ["-v", "-D"], mode="sockopts")
