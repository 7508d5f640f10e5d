#!/usr/bin/env python3
"""The run files of doc/run, run for real so that they cannot rot (ctest doc.run_files).

check_run_files.py --build DIR --cmake CMAKE --reference DIR --smtp-fixture BIN

In one temporary directory, on loopback only, with this build installed by `cmake --install`
(as an admin installs it) and each file's [test] lines set by run_files.py (README.md):
  - every shell file passes `sh -n` and is executable;
  - every file that names the roaming store names the same one, the daemontools run file's;
  - runit/smtpd (run, log/run) under Debian's runsv and s6/smtpd under two s6-supervise joined
    by a pipe, as s6-svscan joins a service and its log: each serves SMTP through djb's
    rblsmtpd to the SMTP fixture in qmail-smtpd's place, with the file's own memory limit
    (checked in /proc), as tcpserver's -u user; a client in the store relays and passes
    rblsmtpd, a listed one is blocked, another gets qmail's 553; the log service writes the
    relay line as its own user;
  - daemontools/pop3d/run under Debian's supervise with stand-ins for qmail-popup, vchkpw and
    qmail-pop3d (Debian ships none of them): a good login reaches qmail-pop3d and is recorded
    by relay-allow, a bad one is neither;
  - dovecot/relay-postlogin.sh run the way Dovecot's script-login runs it (as the dovecot user,
    umask 0077, an environment of $IP and $USER, the rest of the login as arguments), and
    dovecot/relay.conf accepted by doveconf; the e2e.chain tests run both under Dovecot itself;
  - courier/relay-after-login.sh run the way courierpop3login runs courierpop3d;
  - systemd/*: `systemd-analyze verify` (offline: it loads the units from files, checks their
    keys, that ExecStart's program exists and is executable, and that their man: pages exist,
    here our installed pages), with only /usr/local/bin/ set to this install's; and the smtpd
    unit's limits and options against the daemontools run file.
Prints one line per check and "N passed, N failed"; exits 1 on any failure. A missing program
(runit, s6, daemontools, systemd-analyze, swaks, dovecot, djb's rblsmtpd) or not being root
is a failure, never a skip. Everything it starts is stopped; what is left is killed by pid and
reported.
"""
import argparse
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "support"))
import clients  # noqa: E402
import processes  # noqa: E402
import rbl_dns  # noqa: E402
import run_files  # noqa: E402
import supervised  # noqa: E402
from checks import Checks  # noqa: E402

DNS_IP = "127.53.0.2"   # not the e2e chain's 127.53.0.1, nor 127.0.0.1 (compat tests)
RBL_ZONE = "rbl.test"
OWN_DOMAIN = "mail.test"
FOREIGN_RCPT = "someone@elsewhere.example"
ROAMER = "127.0.0.5"      # in the store and listed: relays, passes rblsmtpd
LISTED = "127.0.0.6"      # listed, not in the store: blocked by rblsmtpd
STRANGER = "127.0.0.7"    # neither: may not relay (553)
POP_GOOD, POP_BAD = "127.0.0.8", "127.0.0.9"
DOVECOT_IP, COURIER_IP = "127.0.0.10", "127.0.0.11"
LISTED_REASONS = {ROAMER: "listed by doc.run_files", LISTED: "listed by doc.run_files"}
SERVER_UID = SERVER_GID = 65534   # nobody/nogroup: tcpserver's -u/-g (qmaild's place)
LOG_USER = "nobody"               # the log services' user (qmaill's place)
POP_USER, POP_PASSWORD = "roamer", "pop-secret"
QMAIL_553 = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
DEADLINE = 100
SHELL_FILES = [("daemontools", "smtpd", "run"), ("daemontools", "smtpd", "log", "run"),
               ("daemontools", "pop3d", "run"), ("runit", "smtpd", "run"),
               ("runit", "smtpd", "log", "run"), ("s6", "smtpd", "run"), ("s6", "smtpd", "log", "run"),
               ("dovecot", "relay-postlogin.sh"), ("courier", "relay-after-login.sh")]
UNITS = ["ucspi-relay-smtpd.service", "relay-clear.service", "relay-clear.timer"]
PROGRAMS = ["/bin/sh", *supervised.DAEMONTOOLS.programs, *supervised.S6.programs,
            *supervised.RUNIT_PROGRAMS, "/usr/bin/systemd-analyze", "/usr/bin/man",
            clients.SWAKS, "/usr/bin/doveconf"]

# Stand-ins for the qmail POP3 chain, which Debian does not ship. Each does the part of the
# real program's job that the run file's chain depends on.
QMAIL_POPUP = r"""#!/bin/sh
# qmail-popup HOST PROGRAM...: reads USER and PASS, hands them to PROGRAM on descriptor 3.
echo "+OK <stand-in@$1>"
read -r cmd user; echo "+OK"
read -r cmd pass
user=$(printf %s "$user" | tr -d '\r'); pass=$(printf %s "$pass" | tr -d '\r')
shift
exec 3<<EOF
$user
$pass
EOF
exec "$@"
"""
CHECKPASSWORD = r"""#!/bin/sh
# vchkpw PROGRAM...: checks descriptor 3's user and password; runs PROGRAM only if they match.
read -r user <&3; read -r pass <&3
[ "$user" = "{user}" ] && [ "$pass" = "{password}" ] || exit 1
USER=$user; export USER
exec "$@"
"""
QMAIL_POP3D = r"""#!/bin/sh
# qmail-pop3d MAILDIR: says what it was given instead of serving the mailbox.
echo "+OK stand-in qmail-pop3d maildir=$1 user=$USER ip=$TCPREMOTEIP"
"""
COURIER_SERVER = r"""#!/bin/sh
echo "real server $(basename "$0") maildir=$1 authenticated=$AUTHENTICATED"
"""


class RunFiles:
    def __init__(self, args, work, checks):
        self.a, self.work, self.c = args, work, checks
        self.prefix = os.path.join(work, "usr", "local")
        self.bin = os.path.join(self.prefix, "bin")
        self.qmail = os.path.join(work, "qmail")
        self.rules = os.path.join(work, "tcp.smtp.cdb")
        self.store_dir = os.path.join(work, "store")
        self.store = f"cdb:{self.store_dir}/relay.cdb"
        self.dns = None
        self.services = []

    # ---- setup ----

    def preconditions_hold(self):
        missing = [] if os.geteuid() == 0 else [f"root (euid {os.geteuid()}): -u, port 53, runsv"]
        programs = PROGRAMS + [self.rblsmtpd_source(), self.a.smtp_fixture, self.a.cmake]
        missing += [f"program {p}" for p in programs if not os.access(p, os.X_OK)]
        for user in ("nobody", "dovecot"):
            try:
                pwd.getpwnam(user)
            except KeyError:
                missing.append(f"system user {user}")
        return self.c.check("root, runit, s6, daemontools, systemd-analyze, man, swaks, doveconf, "
                            "djb's rblsmtpd present", not missing,
                            "missing (tools/bootstrap.sh installs the packages, the "
                            "compat.fetch_reference test extracts rblsmtpd): " + ", ".join(missing))

    def rblsmtpd_source(self):
        return os.path.join(self.a.reference, "usr", "bin", "rblsmtpd")

    def install(self):
        r = run([self.a.cmake, "--install", self.a.build, "--prefix", self.prefix], timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"cmake --install failed:\n{r.stdout}{r.stderr}")
        shutil.copy2(self.rblsmtpd_source(), os.path.join(self.bin, "rblsmtpd"))
        run_files.make_qmail_home(self.qmail, OWN_DOMAIN, {"qmail-smtpd": self.a.smtp_fixture})
        for name, text in (("qmail-popup", QMAIL_POPUP), ("qmail-pop3d", QMAIL_POP3D)):
            supervised.write_executable(os.path.join(self.qmail, "bin", name), text)
        supervised.write_executable(os.path.join(self.work, "vchkpw"), CHECKPASSWORD.replace(
            "{user}", POP_USER).replace("{password}", POP_PASSWORD))
        with open(os.path.join(self.work, "tcp.smtp"), "w") as f:
            f.write('127.0.0.1:allow,RELAYCLIENT=""\n:allow\n')
        with open(os.path.join(self.work, "tcp.smtp")) as stdin:
            r = run([self.tool("tcprules"), self.rules, self.rules + ".tmp"], stdin=stdin)
        if r.returncode != 0:
            raise RuntimeError(f"tcprules failed: {r.stderr}")
        os.makedirs(self.store_dir, mode=0o755)
        r = run([self.tool("relay-allow"), "-s", self.store, "-i", ROAMER])
        if r.returncode != 0:
            raise RuntimeError(f"relay-allow -i {ROAMER} failed: {r.stderr}")
        self.dns = rbl_dns.RblDns(DNS_IP, RBL_ZONE, LISTED_REASONS)

    def tool(self, name):
        return os.path.join(self.bin, name)

    def log_dir(self, name, owner=LOG_USER):
        path = os.path.join(self.work, "log", name)
        os.makedirs(path, mode=0o750)
        user = pwd.getpwnam(owner)
        os.chown(path, user.pw_uid, user.pw_gid)
        return path

    def store_entries(self, store=None):
        r = run([self.tool("relay-list"), "-s", store or self.store])
        return {line.split()[0]: line.split()[-1] for line in r.stdout.splitlines() if line.strip()}

    # ---- the checks ----

    def shell_syntax(self):
        for parts in SHELL_FILES:
            name = "/".join(parts)
            r = run(["/bin/sh", "-n", run_files.path(*parts)])
            self.c.check(f"{name}: sh -n", r.returncode == 0, r.stderr)
            self.c.check(f"{name}: executable (admins copy it as it is)",
                         os.access(run_files.path(*parts), os.X_OK),
                         f"mode {os.stat(run_files.path(*parts)).st_mode & 0o7777:04o}")

    def same_store_everywhere(self):
        """The POP/IMAP side must write the store the SMTP side reads: one default for all."""
        expected = run_files.default_value(run_files.read("daemontools", "smtpd", "run"), "STORE")
        texts = {"/".join(parts): run_files.read(*parts) for parts in SHELL_FILES
                 if re.search(r"^STORE=", run_files.read(*parts), re.M)}
        found = {name: run_files.default_value(text, "STORE") for name, text in texts.items()}
        for unit in ("ucspi-relay-smtpd.service", "relay-clear.service"):
            lines = [line for line in run_files.read("systemd", unit).splitlines()
                     if not line.startswith("#")]
            match = re.search(r" -s (\S+)", "\n".join(lines))
            found["systemd/" + unit] = match and match.group(1)
        wrong = {name: store for name, store in found.items() if store != expected}
        self.c.check(f"every file names the same store ({expected}, {len(found)} files)",
                     not wrong and len(found) >= 7, wrong or found)

    def smtpd_values(self, kit, port):
        text = run_files.read(kit, "smtpd", "run")
        return {"PATH": f"{self.bin}:/usr/bin:/bin", "QMAIL": self.qmail,
                "QMAILDUID": SERVER_UID, "NOFILESGID": SERVER_GID, "IP": "127.0.0.1",
                "PORT": port, "RULES": self.rules, "STORE": self.store, "RBL": RBL_ZONE,
                # The file's own limit: what it says is enough must be enough.
                "MEMORY": run_files.default_value(text, "MEMORY")}

    def smtpd_service(self, kit):
        """kit/smtpd under its supervisor: started, served, checked, stopped."""
        port = processes.free_port()
        values = self.smtpd_values(kit, port)
        log_dir = self.log_dir(f"{kit}-smtpd")
        directory = os.path.join(self.work, "service", kit, "smtpd")
        run_text = run_files.smtpd_run(kit, values)
        log_text = run_files.log_run(kit, LOG_USER, log_dir)
        env = {"DNSCACHEIP": DNS_IP}
        if kit == "runit":
            service = supervised.RunitService(directory, run_text, log_text, log_dir, env)
            supervisor = "runsv"
        else:
            service = supervised.Service(directory, run_text, log_text, log_dir, env, kit=supervised.S6)
            supervisor = "s6-supervise"
        self.services.append(service)
        service.start()
        up = processes.wait_until(lambda: processes.accepts("127.0.0.1", port), 15)
        if not self.c.check(f"{kit}/smtpd: {supervisor} starts tcpserver, which serves on "
                            f"127.0.0.1:{port}", up, f"status: {service.status()}\n"
                            f"log: {service.log_text()[-2000:]}\n"
                            + processes.read_text(service.errors_path)):
            service.stop()
            return
        pid = processes.wait_until(service.pid, 5)
        self.process_limits(kit, pid, int(values["MEMORY"]))
        s = clients.smtp_rcpt(ROAMER, port, FOREIGN_RCPT)
        self.c.check(f"{kit}/smtpd: {ROAMER} (in the store, listed) passes rblsmtpd and relays",
                     s.greeting.startswith(f"220 {OWN_DOMAIN}") and s.reply("RCPT").startswith("250"), s)
        s = clients.smtp_rcpt(LISTED, port, FOREIGN_RCPT)
        self.c.check(f"{kit}/smtpd: {LISTED} (listed) is blocked by rblsmtpd",
                     s.greeting.startswith("220 rblsmtpd") and s.reply("RCPT").startswith("451"), s)
        s = clients.smtp_rcpt(STRANGER, port, FOREIGN_RCPT)
        self.c.check(f"{kit}/smtpd: {STRANGER} (no login) may not relay",
                     s.reply("RCPT") == QMAIL_553, s)
        relay_line = re.compile(rf"tcpserver: relay \d+ {re.escape(ROAMER)} by cdb$", re.M)
        logged = processes.wait_until(lambda: relay_line.search(service.log_text()), 5)
        self.c.check(f"{kit}/smtpd: the log service writes `tcpserver: relay PID {ROAMER} by cdb`",
                     logged, service.log_text()[-2000:])
        current = os.path.join(log_dir, "current")
        owner = os.stat(current).st_uid if os.path.exists(current) else None
        self.c.check(f"{kit}/smtpd: the log belongs to the log user ({LOG_USER})",
                     owner == pwd.getpwnam(LOG_USER).pw_uid, f"owner uid {owner}")
        service.stop()

    def process_limits(self, kit, pid, memory):
        """tcpserver (the run file's pid, after its execs) runs under the file's memory limit,
        as tcpserver's -u user."""
        limits = processes.read_text(f"/proc/{pid}/limits")
        status = processes.read_text(f"/proc/{pid}/status")
        soft = {name: fields for name, fields in
                ((line[:26].strip(), line[26:].split()) for line in limits.splitlines()[1:])}
        wanted = ["Max address space", "Max data size", "Max stack size", "Max locked memory"]
        ok = all(soft.get(name, [None])[0] == str(memory) for name in wanted)
        self.c.check(f"{kit}/smtpd: tcpserver (pid {pid}) runs with its memory limit {memory} "
                     "(address space, data, stack, locked memory)", ok,
                     f"{processes.command_line(pid)}\n{limits}")
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M)
        self.c.check(f"{kit}/smtpd: tcpserver runs as its -u user ({SERVER_UID})",
                     uid is not None and int(uid.group(1)) == SERVER_UID, status[:300])

    def pop3d_service(self):
        port = processes.free_port()
        text = run_files.read("daemontools", "pop3d", "run")
        store = f"cdb:{self.store_dir}/pop3d.cdb"
        run_text = run_files.with_settings(("daemontools", "pop3d", "run"), run_files.POP3D_SETTINGS, {
            "PATH": f"{self.bin}:/usr/bin:/bin", "QMAIL": self.qmail,
            "CHECKPASSWORD": os.path.join(self.work, "vchkpw"), "IP": "127.0.0.1", "PORT": port,
            "STORE": store, "MEMORY": run_files.default_value(text, "MEMORY")})
        log_dir = self.log_dir("pop3d")
        service = supervised.Service(os.path.join(self.work, "service", "daemontools", "pop3d"),
                                     run_text, run_files.log_run("daemontools", LOG_USER, log_dir),
                                     log_dir)
        self.services.append(service)
        service.start()
        up = processes.wait_until(lambda: processes.accepts("127.0.0.1", port), 15)
        if not self.c.check(f"daemontools/pop3d: supervise starts tcpserver on 127.0.0.1:{port}",
                            up, f"{service.status()}\n{service.log_text()[-2000:]}"):
            service.stop()
            return
        good = pop3_session(POP_GOOD, port, POP_USER, POP_PASSWORD)
        self.c.check(f"daemontools/pop3d: a good login from {POP_GOOD} goes through vchkpw and "
                     "relay-allow to qmail-pop3d Maildir",
                     f"+OK stand-in qmail-pop3d maildir=Maildir user={POP_USER} ip={POP_GOOD}" in good,
                     good + service.log_text()[-2000:])
        bad = pop3_session(POP_BAD, port, POP_USER, "wrong")
        self.c.check(f"daemontools/pop3d: a bad password from {POP_BAD} never reaches qmail-pop3d",
                     "stand-in qmail-pop3d" not in bad, bad)
        entries = self.store_entries(store)
        self.c.check(f"daemontools/pop3d: relay-allow recorded {POP_GOOD} and not {POP_BAD}",
                     entries.get(POP_GOOD) == "relay" and POP_BAD not in entries,
                     f"{entries}\n{service.log_text()[-2000:]}")
        service.stop()

    def dovecot_script(self):
        """As Dovecot's script-login runs it: as dovecot, umask 0077, $IP and $USER only, the
        rest of the login as its arguments."""
        dovecot = pwd.getpwnam("dovecot")
        store_dir = os.path.join(self.work, "dovecot-store")
        os.makedirs(store_dir, mode=0o755)
        os.chown(store_dir, dovecot.pw_uid, dovecot.pw_gid)
        store = f"cdb:{store_dir}/relay.cdb"
        script = os.path.join(self.work, "relay-postlogin.sh")
        supervised.write_executable(script, run_files.with_settings(
            ("dovecot", "relay-postlogin.sh"), run_files.LOGIN_SCRIPT_SETTINGS,
            {"PATH": f"{self.bin}:/usr/bin:/bin", "STORE": store}))
        for ip, what in ((DOVECOT_IP, "a login"), ("", "a local login (empty $IP)")):
            r = subprocess.run(
                [script, "/bin/echo", "the login goes on"], env={"IP": ip, "USER": POP_USER},
                user=dovecot.pw_uid, group=dovecot.pw_gid, extra_groups=[], umask=0o077,
                cwd=store_dir, capture_output=True, text=True, timeout=30)
            self.c.check(f"dovecot/relay-postlogin.sh: {what} goes on with \"$@\"",
                         r.returncode == 0 and r.stdout == "the login goes on\n",
                         f"exit {r.returncode}: {r.stdout}{r.stderr}")
        entries = self.store_entries(store)
        path = store.split(":", 1)[1]
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else None
        self.c.check(f"dovecot/relay-postlogin.sh: records {DOVECOT_IP} in a store file of mode "
                     "0644 under umask 0077", entries.get(DOVECOT_IP) == "relay" and mode == 0o644,
                     f"{entries}, mode {mode and oct(mode)}")
        self.dovecot_conf(script)

    def dovecot_conf(self, script):
        top = os.path.join(self.work, "doveconf")
        os.makedirs(top)
        relay_conf = os.path.join(top, "relay.conf")
        with open(relay_conf, "w") as f:
            f.write(run_files.replace_once(run_files.read("dovecot", "relay.conf"),
                                           run_files.DOVECOT_SCRIPT_LINE,
                                           f"executable = script-login {script}", "relay.conf"))
        conf = os.path.join(top, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(f"base_dir = {top}/run\nstate_dir = {top}/state\nprotocols = pop3\n"
                    f"ssl = no\n!include {relay_conf}\n")
        r = run(["/usr/bin/doveconf", "-c", conf, "-n"])
        self.c.check("dovecot/relay.conf: doveconf accepts it", r.returncode == 0
                     and f"script-login {script}" in r.stdout, r.stdout + r.stderr)

    def courier_script(self):
        """As courierpop3login runs courierpop3d: the account's home as the working directory,
        $TCPREMOTEIP (an IPv4 client on an IPv6 socket), $AUTHENTICATED, one argument."""
        courier = os.path.join(self.work, "courier")
        os.makedirs(courier)
        server = os.path.join(courier, "courierpop3d")
        supervised.write_executable(server, run_files.with_settings(
            ("courier", "relay-after-login.sh"), run_files.LOGIN_SCRIPT_SETTINGS,
            {"PATH": f"{self.bin}:/usr/bin:/bin", "STORE": self.store}))
        supervised.write_executable(server + ".real", COURIER_SERVER)
        r = subprocess.run([server, "Maildir"], cwd=courier, capture_output=True, text=True,
                           env={"TCPREMOTEIP": f"::ffff:{COURIER_IP}", "AUTHENTICATED": POP_USER},
                           timeout=30)
        self.c.check("courier/relay-after-login.sh: runs the real server as PROGRAM.real MAILDIR",
                     r.stdout == f"real server courierpop3d.real maildir=Maildir "
                                 f"authenticated={POP_USER}\n", f"exit {r.returncode}: "
                     f"{r.stdout}{r.stderr}")
        self.c.check(f"courier/relay-after-login.sh: records {COURIER_IP}",
                     self.store_entries().get(COURIER_IP) == "relay", self.store_entries())

    def systemd_units(self):
        units = os.path.join(self.work, "systemd")
        os.makedirs(units)
        for unit in UNITS:
            text = run_files.read("systemd", unit)
            if "/usr/local/bin/" in text:
                text = text.replace("/usr/local/bin/", self.bin + "/")
            with open(os.path.join(units, unit), "w") as f:
                f.write(text)
        env = {**os.environ, "MANPATH": os.path.join(self.prefix, "share", "man")}
        r = subprocess.run(["/usr/bin/systemd-analyze", "verify",
                            *[os.path.join(units, u) for u in UNITS]],
                           capture_output=True, text=True, timeout=60, env=env)
        self.c.check("systemd/*: systemd-analyze verify (keys, ExecStart programs, man: pages)",
                     r.returncode == 0 and not r.stderr.strip(), f"exit {r.returncode}: "
                     f"{r.stdout}{r.stderr}")
        self.systemd_matches_daemontools()

    def systemd_matches_daemontools(self):
        """The unit says in systemd's words what the daemontools run file says."""
        unit = run_files.read("systemd", "ucspi-relay-smtpd.service")
        keys = dict(re.findall(r"^(\w+)=(.*)$", unit.replace("\\\n", " "), re.M))
        memory = run_files.default_value(run_files.read("daemontools", "smtpd", "run"), "MEMORY")
        limits = {k: keys.get(k) for k in ("LimitAS", "LimitDATA", "LimitSTACK", "LimitMEMLOCK")}
        self.c.check(f"systemd: the smtpd unit has softlimit -m {memory}'s four limits",
                     all(v == memory for v in limits.values()), limits)
        start = keys.get("ExecStart", "").split()
        wanted = ["-v", "-R", "-l", "-x", "-s", "-c", "rblsmtpd", "qmail-smtpd"]
        missing = [w for w in wanted if not any(a == w or a.endswith("/" + w) for a in start)]
        self.c.check("systemd: the smtpd unit runs tcpserver -v -R -l -x -s -c with rblsmtpd "
                     "and qmail-smtpd", not missing, f"missing {missing}: {start}")
        self.c.check("systemd: the smtpd unit runs as qmaild with only CAP_NET_BIND_SERVICE, "
                     "and stops tcpserver alone (KillMode=process)",
                     keys.get("User") == "qmaild" and keys.get("AmbientCapabilities")
                     == "CAP_NET_BIND_SERVICE" and keys.get("KillMode") == "process", keys)

    def run(self):
        if not self.preconditions_hold():
            return
        self.shell_syntax()
        self.section("the store", self.same_store_everywhere)
        self.install()
        self.section("runit/smtpd", self.smtpd_service, "runit")
        self.section("s6/smtpd", self.smtpd_service, "s6")
        self.section("daemontools/pop3d", self.pop3d_service)
        self.section("dovecot", self.dovecot_script)
        self.section("courier", self.courier_script)
        self.section("systemd", self.systemd_units)

    def section(self, name, function, *args):
        """One file's checks; a file whose [test] lines cannot be set fails them and the
        others still run."""
        try:
            function(*args)
        except run_files.RunFileError as e:
            self.c.check(f"{name}: the [test] settings can be set (doc/run/README.md)", False, e)

    def stop_all(self):
        for service in self.services:
            try:
                service.stop()
            except Exception as e:
                print(f"stopping {service.dir} failed: {e!r}", file=sys.stderr, flush=True)
        if self.dns:
            self.dns.close()


# ---- helpers ----

def run(argv, stdin=None, timeout=30):
    return subprocess.run(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def pop3_session(source, port, user, password):
    """USER, PASS from source; everything the server said until it closed (or 10 s)."""
    out = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10,
                                      source_address=(source, 0)) as s:
            out += s.recv(512)
            s.sendall(f"USER {user}\r\n".encode())
            out += s.recv(512)
            s.sendall(f"PASS {password}\r\n".encode())
            while True:
                data = s.recv(512)
                if not data:
                    break
                out += data
    except OSError as e:
        out += f"[{e}]".encode()
    return out.decode(errors="replace")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--cmake", required=True)
    p.add_argument("--reference", required=True, help="Debian's ucspi-tcp, extracted")
    p.add_argument("--smtp-fixture", required=True)
    args = p.parse_args()
    processes.become_subreaper()
    c = Checks()
    top = tempfile.mkdtemp(prefix="doc-run-files.")
    os.chmod(top, 0o755)   # tcpserver's and the loggers' users traverse it
    started = time.monotonic()
    files = RunFiles(args, top, c)
    try:
        processes.run_within(DEADLINE, c, "the checks", files.run)
    finally:
        files.stop_all()
        left = processes.kill_leftovers(os.getpid())
        shutil.rmtree(top, ignore_errors=True)
    c.check("nothing the test started is left running", not left,
            "\n".join(f"{pid} {cmd}" for pid, cmd in left))
    print(f"took {time.monotonic() - started:.1f} s", flush=True)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
