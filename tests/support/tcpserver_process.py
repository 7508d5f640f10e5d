"""tcpserver started by a test: stderr into a log file of the test's directory, in a session of
its own (so the test can kill it and its children as one group), and the port its -1 printed."""
import os
import select
import subprocess
import time


class StartFailure(Exception):
    pass


def start_tcpserver(binary, work, args, bound=10, **popen):
    """Runs binary with args (which must hold -1 and port 0) and returns (proc, port, log), log
    the open log file. Raises StartFailure, with the status and the log, when no port is printed
    within bound seconds."""
    log = open(os.path.join(work, f"tcpserver-{time.monotonic_ns()}.log"), "w+b")
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=log,
                            start_new_session=True, **popen)
    ready, _, _ = select.select([proc.stdout], [], [], bound)
    line = proc.stdout.readline() if ready else b""
    proc.stdout.close()
    if line.strip().isdigit():
        return proc, int(line), log
    if proc.poll() is None:
        proc.kill()
    status = proc.wait()
    log.seek(0)
    raise StartFailure(f"{binary} printed no port ({line!r}), status {status}: "
                       f"{log.read().decode(errors='replace')}")
