"""Debian's Dovecot 2.3 as the POP3 server of the chain, with a temporary configuration.

Everything lives under one directory: base_dir, state_dir, the log, a passwd-file passdb with
one user, a static userdb, the Maildir. It listens on 127.0.0.1 only, without TLS, and runs the
post-login scripts through doc/run/dovecot/relay.conf, included as an admin includes it, with
only its script-login line set to the test's scripts (service pop3 { executable = pop3
relay-postlogin }, service relay-postlogin { executable = script-login SCRIPT...; user =
$default_internal_user }): they run as Dovecot's internal user with Dovecot's service umask
(0077) and get $IP/$USER.
"""
import os
import pwd
import subprocess
import sys

import processes

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc", "run"))
import run_files  # noqa: E402  (doc/run: the run files and their [test] settings)

DOVECOT = "/usr/sbin/dovecot"
DOVECONF = "/usr/bin/doveconf"
# Debian's dovecot-core creates these system users; the test creates none of its own.
INTERNAL_USER = "dovecot"
LOGIN_USER = "dovenull"
# The mail user of the test account. nobody owns nothing on the machine, so giving it a Maildir
# in the test directory touches nothing else.
MAIL_UID = MAIL_GID = 65534

CONFIG = """\
# written by the ucspi-relay end-to-end test
base_dir = {top}/run
state_dir = {top}/state
log_path = {top}/dovecot.log
info_log_path = {top}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {top}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={top}/home/%u
}}

service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
!include {relay_conf}
{postlogin_vsz}"""
# Dovecot limits every service's address space (default_vsz_limit, 256M): its own softlimit.
# An ASan-built relay-allow reserves far more, so sanitizer builds lift it for the post-login
# service only (a second block for the same service adds to relay.conf's).
UNLIMITED_VSZ = f"service {run_files.DOVECOT_POSTLOGIN_SERVICE} {{\n  vsz_limit = 0\n}}\n"


def internal_user():
    return pwd.getpwnam(INTERNAL_USER)


class Dovecot:
    def __init__(self, top, port, user, password, postlogin_scripts, unlimited_postlogin=False):
        self.top, self.port = top, port
        self.user, self.password = user, password
        self.scripts = postlogin_scripts
        self.postlogin_vsz = UNLIMITED_VSZ if unlimited_postlogin else ""
        self.conf = os.path.join(top, "dovecot.conf")
        self.log = os.path.join(top, "dovecot.log")
        self.proc = None

    def write_files(self):
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(self.top, sub), mode=0o755, exist_ok=True)
        home = os.path.join(self.top, "home", self.user)
        os.makedirs(os.path.join(home, "Maildir"), mode=0o700, exist_ok=True)
        for path in (home, os.path.join(home, "Maildir")):
            os.chown(path, MAIL_UID, MAIL_GID)
        with open(os.path.join(self.top, "passwd"), "w") as f:
            f.write(f"{self.user}:{{PLAIN}}{self.password}\n")
        relay_conf = os.path.join(self.top, "relay.conf")
        with open(relay_conf, "w") as f:
            f.write(run_files.replace_once(
                run_files.read("dovecot", "relay.conf"), run_files.DOVECOT_SCRIPT_LINE,
                "executable = script-login " + " ".join(self.scripts), "doc/run/dovecot/relay.conf"))
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(top=self.top, port=self.port, relay_conf=relay_conf,
                                  postlogin_vsz=self.postlogin_vsz,
                                  internal_user=INTERNAL_USER, login_user=LOGIN_USER,
                                  mail_uid=MAIL_UID, mail_gid=MAIL_GID))

    def check_config(self):
        """doveconf's verdict on the configuration: (ok, its messages)."""
        r = subprocess.run([DOVECONF, "-c", self.conf, "-n"], capture_output=True, text=True,
                           timeout=30)
        return r.returncode == 0, r.stderr

    def start(self, seconds=20):
        """Starts dovecot in the foreground (its own process group) and waits for the POP3
        listener; returns False (see log_text) when it did not come up."""
        self.write_files()
        ok, messages = self.check_config()
        if not ok:
            raise RuntimeError(f"doveconf rejects the test configuration:\n{messages}")
        out = open(os.path.join(self.top, "dovecot.stdout"), "wb")
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True, env={"PATH": "/usr/sbin:/usr/bin:/bin"})
        out.close()
        return bool(processes.wait_until(
            lambda: self.proc.poll() is not None or processes.accepts("127.0.0.1", self.port),
            seconds)) and self.proc.poll() is None

    def log_text(self):
        text = ""
        for name in ("dovecot.stdout", "dovecot.log"):
            try:
                with open(os.path.join(self.top, name), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def stop(self):
        processes.stop_group(self.proc)
