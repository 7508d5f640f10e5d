"""A service directory (run, log/run) run by a real supervisor, the way its scanner runs one.

daemontools' supervise and s6's s6-supervise: one supervisor for the service and one for its
log/ subdirectory, joined by a pipe (the service's stdout is the logger's stdin), as svscan and
s6-svscan do. The test starts the two supervisors itself instead of the scanner so that it
knows their pids and nothing rescans a directory behind its back. runit's runsv starts and
joins the log service itself: one process.

The run files come from doc/run (run_files.py there sets their [test] lines); the log is read
from the directory the log/run file writes to.
"""
import os
import re
import subprocess

import processes

# What svscanboot, runsvdir and s6-svscan give the services they start: an environment with a
# PATH, nothing else; the run file sets whatever its service needs. Tests add DNSCACHEIP (the
# machine's resolver, which the scanner's environment carries on a real system too).
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin"}


class Kit:
    """A supervisor family: its programs, and how its status names a running service's pid."""

    def __init__(self, name, supervise, control, status, stop_flags, programs=()):
        self.name, self.supervise, self.control, self.status = name, supervise, control, status
        self.stop_flags = stop_flags
        self.programs = [supervise, control, status, *programs]


DAEMONTOOLS = Kit("daemontools", "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/svstat", "-dx",
                  ["/usr/bin/softlimit", "/usr/bin/multilog", "/usr/bin/setuidgid"])
S6 = Kit("s6", "/usr/bin/s6-supervise", "/usr/bin/s6-svc", "/usr/bin/s6-svstat", "-dx",
         ["/usr/bin/s6-softlimit", "/usr/bin/s6-log", "/usr/bin/s6-setuidgid"])
RUNIT_PROGRAMS = ["/usr/bin/runsv", "/usr/bin/sv", "/usr/bin/chpst", "/usr/bin/svlogd"]
# Kept for the chain test's list of tools.
SUPERVISE, SVC, SVSTAT = DAEMONTOOLS.supervise, DAEMONTOOLS.control, DAEMONTOOLS.status
UP_PID = re.compile(r"\bup \(pid (\d+)")


def write_executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


class ServiceFiles:
    """The service directory, its run and log/run files, and the log's directory."""

    def __init__(self, directory, run_text, log_run_text, log_path, env):
        self.dir = directory
        self.log_dir = os.path.join(directory, "log")
        self.log_path = log_path
        self.env = {**BASE_ENV, **env}
        os.makedirs(self.log_dir, mode=0o755, exist_ok=True)
        write_executable(os.path.join(directory, "run"), run_text)
        write_executable(os.path.join(self.log_dir, "run"), log_run_text)
        self.errors_path = os.path.join(os.path.dirname(directory),
                                        os.path.basename(directory) + ".supervisor.stderr")

    def log_lines(self):
        """The service's log as the logger wrote it, without TAI64N or svlogd time stamps."""
        try:
            with open(os.path.join(self.log_path, "current"), errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        return [strip_stamp(line) for line in text.splitlines()]

    def log_text(self):
        return "\n".join(self.log_lines())


def strip_stamp(line):
    """multilog t / s6-log t: '@4000... text'; svlogd -tt: '2024-01-02_03:04:05.12345 text'."""
    if line.startswith("@") or re.match(r"\d{4}-\d\d-\d\d_\d", line):
        return line.split(" ", 1)[1] if " " in line else ""
    return line


class Service(ServiceFiles):
    """Under daemontools (the default) or s6: two supervisors joined by a pipe."""

    def __init__(self, directory, run_text, log_run_text, log_path, env=None, kit=DAEMONTOOLS):
        super().__init__(directory, run_text, log_run_text, log_path, env or {})
        self.kit = kit
        self.main, self.logger = None, None

    def start(self):
        read_end, write_end = os.pipe()
        errors = open(self.errors_path, "ab")
        try:
            self.logger = subprocess.Popen([self.kit.supervise, self.log_dir], stdin=read_end,
                                           stdout=errors, stderr=errors, env=self.env,
                                           start_new_session=True)
            self.main = subprocess.Popen([self.kit.supervise, self.dir], stdin=subprocess.DEVNULL,
                                         stdout=write_end, stderr=errors, env=self.env,
                                         start_new_session=True)
        finally:
            # Only the two supervisors may hold the pipe, or the logger never sees its end.
            os.close(read_end)
            os.close(write_end)
            errors.close()

    def status(self, directory=None):
        r = subprocess.run([self.kit.status, directory or self.dir], capture_output=True,
                           text=True, timeout=10)
        return (r.stdout + r.stderr).strip()

    def pid(self):
        """The pid of the service (the run file's process) per the status program, or None."""
        match = UP_PID.search(self.status())
        return int(match.group(1)) if match else None

    def svc(self, flags, directory=None):
        return subprocess.run([self.kit.control, flags, directory or self.dir],
                              capture_output=True, text=True, timeout=10)

    def stop(self):
        """Down and exit the service, then its log once the service's end reached the logger;
        whatever does not stop within its time is killed with its process group."""
        for proc, directory in ((self.main, self.dir), (self.logger, self.log_dir)):
            if proc is None:
                continue
            if proc.poll() is None:
                try:
                    self.svc(self.kit.stop_flags, directory)
                    proc.wait(timeout=10)
                except Exception:  # the control program failing, a timeout, the deadline alarm
                    pass
            processes.stop_group(proc, grace=2.0)


class RunitService(ServiceFiles):
    """Under runit's runsv, which starts log/run itself and pipes the service into it."""

    RUN_PID = re.compile(r"^run: [^:]+: \(pid (\d+)\)")

    def __init__(self, directory, run_text, log_run_text, log_path, env=None):
        super().__init__(directory, run_text, log_run_text, log_path, env or {})
        self.runsv = None

    def start(self):
        with open(self.errors_path, "ab") as errors:
            self.runsv = subprocess.Popen(["/usr/bin/runsv", self.dir], stdin=subprocess.DEVNULL,
                                          stdout=errors, stderr=errors, env=self.env,
                                          start_new_session=True)

    def sv(self, *command):
        return subprocess.run(["/usr/bin/sv", *command, self.dir], capture_output=True, text=True,
                              timeout=20)

    def status(self):
        r = self.sv("status")
        return (r.stdout + r.stderr).strip()

    def pid(self):
        match = self.RUN_PID.search(self.status())
        return int(match.group(1)) if match else None

    def stop(self):
        """sv exit: runsv stops the service and its log service, then exits itself."""
        if self.runsv is None:
            return
        if self.runsv.poll() is None:
            try:
                self.sv("exit")
                self.runsv.wait(timeout=10)
            except Exception:
                pass
        processes.stop_group(self.runsv, grace=2.0)
