"""A daemontools service directory run by Debian's supervise, the way svscan runs one: a
supervise for the service and one for its log/ subdirectory, joined by a pipe (the service's
stdout is multilog's stdin). The test starts the two supervise processes itself instead of
svscan so that it knows their pids and nothing rescans a directory behind its back.
"""
import os
import re
import subprocess

import processes

SUPERVISE, SVC, SVSTAT = "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/svstat"
# What svscanboot gives the services it starts: a clean environment with a PATH. The run file
# sets whatever else the service needs, as an admin's run file does.
SUPERVISE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
LOG_RUN = "#!/bin/sh\nexec multilog t ./main\n"


def write_executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


class Service:
    def __init__(self, directory, run_text):
        self.dir = directory
        self.log_dir = os.path.join(directory, "log")
        os.makedirs(self.log_dir, mode=0o755, exist_ok=True)
        write_executable(os.path.join(directory, "run"), run_text)
        write_executable(os.path.join(self.log_dir, "run"), LOG_RUN)
        self.main, self.logger = None, None

    def start(self):
        read_end, write_end = os.pipe()
        errors = open(os.path.join(os.path.dirname(self.dir), "supervise.stderr"), "ab")
        try:
            self.logger = subprocess.Popen([SUPERVISE, self.log_dir], stdin=read_end,
                                           stdout=errors, stderr=errors, env=SUPERVISE_ENV,
                                           start_new_session=True)
            self.main = subprocess.Popen([SUPERVISE, self.dir], stdin=subprocess.DEVNULL,
                                         stdout=write_end, stderr=errors, env=SUPERVISE_ENV,
                                         start_new_session=True)
        finally:
            # Only the two supervise processes may hold the pipe, or multilog never sees its end.
            os.close(read_end)
            os.close(write_end)
            errors.close()

    def status(self, directory=None):
        r = subprocess.run([SVSTAT, directory or self.dir], capture_output=True, text=True,
                           timeout=10)
        return (r.stdout + r.stderr).strip()

    def pid(self):
        """The pid of the service (the run file's process) per svstat, or None when down."""
        match = re.search(r": up \(pid (\d+)\)", self.status())
        return int(match.group(1)) if match else None

    def uptime(self):
        match = re.search(r"\) (\d+) seconds", self.status())
        return int(match.group(1)) if match else None

    def svc(self, flags, directory=None):
        return subprocess.run([SVC, flags, directory or self.dir], capture_output=True, text=True,
                              timeout=10)

    def log_lines(self):
        """The service's log as multilog wrote it, without the TAI64N stamps."""
        try:
            with open(os.path.join(self.log_dir, "main", "current"), errors="replace") as f:
                text = f.read()
        except OSError:
            return []
        return [line.split(" ", 1)[1] if line.startswith("@") and " " in line else line
                for line in text.splitlines()]

    def log_text(self):
        return "\n".join(self.log_lines())

    def stop(self):
        """svc -dx on the service, then on its log once the service's end reached multilog;
        whatever does not stop within its time is killed with its process group."""
        for proc, directory in ((self.main, self.dir), (self.logger, self.log_dir)):
            if proc is None:
                continue
            if proc.poll() is None:
                try:
                    self.svc("-dx", directory)
                    proc.wait(timeout=10)
                except Exception:  # svc failing, subprocess.TimeoutExpired, or the deadline alarm
                    pass
            processes.stop_group(proc, grace=2.0)
