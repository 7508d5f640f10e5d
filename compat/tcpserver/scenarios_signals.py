"""Scenarios: signals to the parent: SIGTERM ends it alone (children keep serving), SIGHUP
keeps its default action."""

import subprocess
import signal
import time

from harness import WAIT, scenario


@scenario()
def s_sigterm_idle(run):
    """SIGTERM: the parent exits 0 at once."""
    server = run.start(["-v"])
    server.settle()  # the startup status line first: a SIGTERM may otherwise beat it
    t0 = time.monotonic()
    code = server.terminate()
    run.note("exit after SIGTERM: %s, within 1s: %s" % (code, time.monotonic() - t0 < 1.0))
    run.finish()


@scenario()
def s_sigterm_leaves_children(run):
    """SIGTERM kills only the parent: a running child still serves its client."""
    server = run.start(["-v"], mode="wait")
    a = server.connect()
    run.ready("A ready", a)
    run.note("exit after SIGTERM: %s" % server.terminate())
    a.send(b"still here\n")
    run.note_client("A", a, a.read_all())
    run.finish()


@scenario()
def s_sighup_default_action(run):
    """SIGHUP keeps its default action: the parent dies of it (no reload, nothing caught)."""
    server = run.start(["-v"])
    server.settle()
    server.proc.send_signal(signal.SIGHUP)
    try:
        server.exit_code = server.proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        server.exit_code = "still running after SIGHUP"
    run.note("exit after SIGHUP: %s" % server.exit_code)
    run.finish()
