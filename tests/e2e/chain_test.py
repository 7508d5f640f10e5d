#!/usr/bin/env python3
"""The real mail chain, end to end, with software nobody here wrote around our tcpserver.

    chain_test.py --build DIR --cmake CMAKE --reference DIR --smtp-fixture BIN
                  --store cdb|relay-ctrl|mysql [--mariadb-fixture SCRIPT]
                  --softlimit BYTES [--sanitized]

In one temporary directory, on loopback only:
  - our build installed with `cmake --install` into DIR/usr/local (as an admin installs it);
  - Debian's Dovecot (pop3) configured with doc/run/dovecot/relay.conf, so that its
    script-login runs doc/run/dovecot/relay-postlogin.sh (`exec relay-allow -s STORE "$@"`) as
    its internal user under Dovecot's umask 0077, after a script that records what it was given;
  - a scripted DNS server on 127.53.0.1:53 listing 127.0.0.5 and 127.0.0.6 in rbl.test;
  - our tcpserver started by Debian's daemontools supervise from doc/run/daemontools/smtpd/run
    (softlimit, tcpserver -v -R -l -x -s -c -u -g, djb's rblsmtpd from Debian's ucspi-tcp
    package, $QMAIL/bin/qmail-smtpd: the SMTP fixture), logging through
    doc/run/daemontools/smtpd/log/run (setuidgid, multilog). Only their [test] lines are set to
    the test's values (doc/run/run_files.py), so a broken edit of those files fails here;
  - curl logging in by POP3 and swaks speaking SMTP, each from its own 127.0.0.X.

With --sanitized (sanitizer builds) the run file has no softlimit, since ASan reserves terabytes
of address space, Dovecot's own limit is lifted for postlogin, and any sanitizer report in the
logs fails the test: ASan watches the whole chain instead.

Prints one line per check and "N passed, N failed"; exits 1 on any failure. A missing tool is a
failure, never a skip. E2E_NO_SOFTLIMIT=1, set by hand, drops the softlimit wrapper to debug the
rest of the chain; the run then fails on purpose, so it can never pass for a real one.
"""
import argparse
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

import clients
import dovecot_pop3
import processes
import rbl_dns
import supervised

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc", "run"))
import run_files  # noqa: E402  (doc/run: the run files and their [test] settings)

DNS_IP = "127.53.0.1"   # not 127.0.0.1 (compat tests bind it) nor 127.0.0.53 (systemd-resolved)
RBL_ZONE = "rbl.test"
OWN_DOMAIN = "mail.test"
FOREIGN_RCPT = "someone@elsewhere.example"
POP_USER, POP_PASSWORD = "roamer", "pop-secret"
# The clients: each plays one situation from its own loopback address.
ROAMER = "127.0.0.5"        # listed in the RBL, logs in by POP: must relay and pass rblsmtpd
LISTED = "127.0.0.6"        # listed, never logs in: blocked by rblsmtpd
FAILED_LOGIN = "127.0.0.7"  # not listed, wrong POP password: must not relay, nothing recorded
LOCAL_NET = "127.0.0.1"     # relays by the tcp.smtp rule
LISTED_REASONS = {ROAMER: "dynamic address listed by the e2e test",
                  LISTED: "spam source listed by the e2e test"}
# tcpserver's -u/-g: nobody/nogroup, the unprivileged account every Debian machine has. The
# test creates no account of its own, and nobody owns no files here, so reading the store
# as nobody proves exactly "readable by an unrelated unprivileged user". The log service writes
# as nobody too (the run file's qmaill).
SERVER_UID = SERVER_GID = 65534
LOG_USER = "nobody"
QMAIL_553 = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")
COMPLAINT = re.compile(r"fatal|warning|error|unable|unavailable|denied|Sanitizer", re.I)
DEADLINE = 150          # the inner test's own limit, cleanup included in the outer's grace
CLEANUP_GRACE = 60

TOOLS = [dovecot_pop3.DOVECOT, dovecot_pop3.DOVECONF, clients.CURL, clients.SWAKS,
         *supervised.DAEMONTOOLS.programs]


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            detail = str(detail).strip()
            print(f"FAIL {name}" + (f":\n     {detail.replace(chr(10), chr(10) + '     ')}"
                                    if detail else ""), flush=True)
        return ok


class Chain:
    def __init__(self, args, work, checks):
        self.a, self.work, self.c = args, work, checks
        self.kind = args.store
        self.prefix = os.path.join(work, "usr", "local")
        self.bin = os.path.join(self.prefix, "bin")
        self.qmail = os.path.join(work, "qmail")
        self.store_dir = os.path.join(work, "store")
        self.record_dir = os.path.join(work, "postlogin-record")
        self.mariadb_dir = os.path.join(work, "mariadb")
        self.smtp_port = processes.free_port()
        self.pop_port = processes.free_port()
        self.store = None
        self.dns = self.dovecot = self.service = None
        self.mariadb_started = False
        self.softlimit = "none" if args.sanitized else args.softlimit
        self.hand_disabled_softlimit = os.environ.get("E2E_NO_SOFTLIMIT") == "1"

    # ---- preconditions: a missing piece fails loudly ----

    def preconditions_hold(self):
        """Root, every outside program and Dovecot's system users: one check naming each
        missing piece, so a machine without them fails loudly instead of skipping."""
        missing = [] if os.geteuid() == 0 else [f"root (euid {os.geteuid()}): port 53, dovecot, -u"]
        programs = TOOLS + [self.rblsmtpd_source(), self.a.smtp_fixture, self.a.cmake]
        missing += [f"program {p}" for p in programs if not os.access(p, os.X_OK)]
        missing += [f"system user {u} (Debian's dovecot-core makes it)"
                    for u in (dovecot_pop3.INTERNAL_USER, dovecot_pop3.LOGIN_USER)
                    if not user_exists(u)]
        if self.kind == "mysql" and not os.path.isfile(self.a.mariadb_fixture):
            missing.append(f"the MariaDB fixture {self.a.mariadb_fixture}")
        return self.c.check("root, dovecot, curl, swaks, daemontools, djb's rblsmtpd present",
                            not missing, "missing (tools/bootstrap.sh installs the packages, "
                            "the compat.fetch_reference test extracts rblsmtpd):\n"
                            + "\n".join(missing))

    def rblsmtpd_source(self):
        return os.path.join(self.a.reference, "usr", "bin", "rblsmtpd")

    # ---- setup, as an admin would do it ----

    def install(self):
        """`cmake --install` into the test's own /usr/local, then djb's rblsmtpd beside our
        tools (the run file's PATH finds them there), and a stand-in for /var/qmail whose
        bin/qmail-smtpd is the SMTP fixture."""
        r = subprocess.run([self.a.cmake, "--install", self.a.build, "--prefix", self.prefix],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"cmake --install failed:\n{r.stdout}{r.stderr}")
        shutil.copy2(self.rblsmtpd_source(), os.path.join(self.bin, "rblsmtpd"))
        run_files.make_qmail_home(self.qmail, OWN_DOMAIN, {"qmail-smtpd": self.a.smtp_fixture})
        for name in ("tcpserver", "tcprules", "relay-allow", "relay-list"):
            if not os.access(os.path.join(self.bin, name), os.X_OK):
                raise RuntimeError(f"cmake --install did not install {name} into {self.bin}")

    def compile_rules(self):
        """tcp.smtp as a mail admin writes it, compiled by our tcprules."""
        rules = os.path.join(self.work, "tcp.smtp")
        with open(rules, "w") as f:
            f.write(f'{LOCAL_NET}:allow,RELAYCLIENT=""\n:allow\n')
        with open(rules) as stdin:
            r = subprocess.run([os.path.join(self.bin, "tcprules"), rules + ".cdb", rules + ".tmp"],
                               stdin=stdin, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"tcprules failed: {r.stderr}")

    def prepare_store(self):
        """The store's directory belongs to Dovecot's internal user (the postlogin script
        writes there) and is world-searchable, as /var/lib/relay would be made by hand."""
        postlogin = pwd.getpwnam(dovecot_pop3.INTERNAL_USER)
        for directory in (self.store_dir, self.record_dir):
            os.makedirs(directory, mode=0o755)
            os.chown(directory, postlogin.pw_uid, postlogin.pw_gid)
            os.chmod(directory, 0o755)
        if self.kind == "cdb":
            self.store = f"cdb:{self.store_dir}/relay.cdb"
        elif self.kind == "relay-ctrl":
            self.store = f"relay-ctrl:{self.store_dir}"
        else:
            self.start_mariadb()
            conf = os.path.join(self.mariadb_dir, "sql.conf")
            # The fixture writes it with root's umask; both readers are checked just below.
            os.chmod(conf, 0o644)
            self.store = f"mysql:{conf}"
            for user in (dovecot_pop3.INTERNAL_USER, "nobody"):
                r = read_as(pwd.getpwnam(user), conf)
                self.c.check(f"mysql: sql.conf is readable by {user}", r.returncode == 0, r.stderr)

    def start_mariadb(self):
        """A private MariaDB; a failed start shows the fixture's output and is tried once more
        (a start racing another test's is infrastructure, not a result)."""
        self.mariadb_started = True
        for attempt in (1, 2):
            r = subprocess.run(["bash", self.a.mariadb_fixture, "start", self.mariadb_dir],
                               capture_output=True, text=True, timeout=150)
            if r.returncode == 0:
                return
            print(f"mariadb-fixture start (attempt {attempt}) failed:\n{r.stdout}{r.stderr}",
                  file=sys.stderr, flush=True)
            subprocess.run(["bash", self.a.mariadb_fixture, "stop", self.mariadb_dir],
                           capture_output=True, timeout=60)
        raise RuntimeError("MariaDB did not start")

    def write_postlogin_scripts(self):
        """Dovecot's script-login runs two scripts in a row: the test's record of what the
        script was given (its umask, uid, address-space limit in KiB, $IP and $USER), which
        goes on with "$@", then doc/run/dovecot/relay-postlogin.sh with its PATH and STORE set.
        Returns their paths, as relay.conf's script-login line takes them."""
        record = os.path.join(self.work, "record-login.sh")
        supervised.write_executable(record, f"""#!/bin/sh
echo "umask=$(umask) uid=$(/usr/bin/id -u) vsz=$(ulimit -v) ip=$IP user=$USER" >> {self.record_dir}/logins
exec "$@"
""")
        relay = os.path.join(self.work, "relay-postlogin.sh")
        supervised.write_executable(relay, run_files.with_settings(
            ("dovecot", "relay-postlogin.sh"), run_files.LOGIN_SCRIPT_SETTINGS,
            {"PATH": f"{self.bin}:/usr/bin:/bin", "STORE": self.store}))
        return [record, relay]

    def run_file(self):
        """doc/run/daemontools/smtpd/run with the test's values: this install's PATH, the
        stand-in /var/qmail, nobody's uid/gid, loopback and a free port, the rules, the store,
        the scripted RBL zone and the softlimit of this store (none in a sanitizer build).
        Both resolvers (rblsmtpd's and tcpserver's PTR lookups) ask the scripted DNS server
        named by $DNSCACHEIP, which supervise passes on."""
        return run_files.smtpd_run("daemontools", {
            "PATH": f"{self.bin}:/usr/bin:/bin", "QMAIL": self.qmail,
            "QMAILDUID": SERVER_UID, "NOFILESGID": SERVER_GID,
            "IP": LOCAL_NET, "PORT": self.smtp_port,
            "RULES": os.path.join(self.work, "tcp.smtp.cdb"), "STORE": self.store,
            "RBL": RBL_ZONE, "MEMORY": self.a.softlimit}, no_softlimit=self.softlimit == "none")

    def log_dir(self):
        """The log's directory, owned by the log/run file's user, as an admin makes it."""
        path = os.path.join(self.work, "log", "smtpd")
        os.makedirs(path, mode=0o750)
        user = pwd.getpwnam(LOG_USER)
        os.chown(path, user.pw_uid, user.pw_gid)
        return path

    def start_services(self):
        try:
            self.dns = rbl_dns.RblDns(DNS_IP, RBL_ZONE, LISTED_REASONS)
        except OSError as e:
            raise RuntimeError(f"cannot bind the scripted DNS server to {DNS_IP}:53 ({e}): "
                               "root is needed, and nothing else may hold that address")
        # Only the sanitizer configuration (--sanitized) lifts Dovecot's limit: the
        # hand switch keeps it, so relay-allow is still shown to fit Dovecot's default.
        self.dovecot = dovecot_pop3.Dovecot(os.path.join(self.work, "dovecot"), self.pop_port,
                                            POP_USER, POP_PASSWORD, self.write_postlogin_scripts(),
                                            unlimited_postlogin=self.a.sanitized)
        self.c.check("dovecot serves POP3 on 127.0.0.1", self.dovecot.start(),
                     self.dovecot.log_text()[-3000:])
        log_dir = self.log_dir()
        self.service = supervised.Service(os.path.join(self.work, "service", "smtpd"),
                                          self.run_file(),
                                          run_files.log_run("daemontools", LOG_USER, log_dir),
                                          log_dir, env={"DNSCACHEIP": DNS_IP})
        self.service.start()

    # ---- the checks ----

    def tcpserver_serves(self, what):
        """Waits for the listener; a server that does not come up is a failed check showing the
        end of its log (a crash loop under softlimit shows there)."""
        up = processes.wait_until(lambda: processes.accepts("127.0.0.1", self.smtp_port), 15)
        if up:  # also stays up: supervise restarting a crashing tcpserver would change the pid
            first = self.service.pid()
            time.sleep(1.5)
            up = first is not None and self.service.pid() == first
        return self.c.check(f"tcpserver {what} serves on 127.0.0.1:{self.smtp_port} and stays up "
                            f"({self.softlimit_text()})", up,
                            f"svstat: {self.service.status()}\nlog:\n{tail(self.service.log_text())}")

    def softlimit_text(self):
        return "no softlimit" if self.softlimit == "none" else f"softlimit -m {self.softlimit}"

    def before_login(self):
        s = clients.smtp_rcpt(ROAMER, self.smtp_port, FOREIGN_RCPT)
        self.c.check(f"before any POP login, {ROAMER} (listed) is stopped by rblsmtpd",
                     s.greeting.startswith("220 rblsmtpd.local") and s.reply("RCPT").startswith("451 "),
                     s)

    def pop_logins(self):
        ok = clients.pop3_login(ROAMER, self.pop_port, POP_USER, POP_PASSWORD)
        self.c.check(f"POP3 login from {ROAMER} succeeds (curl)", ok.exit_code == 0,
                     f"curl exit {ok.exit_code}: {ok.output}\n{tail(self.dovecot.log_text())}")
        bad = clients.pop3_login(FAILED_LOGIN, self.pop_port, POP_USER, "wrong-password")
        self.c.check(f"POP3 login from {FAILED_LOGIN} with a wrong password is refused",
                     bad.exit_code == clients.CURL_LOGIN_DENIED, f"curl exit {bad.exit_code}: {bad.output}")

    def postlogin_ran_as_dovecot(self):
        logins = self.recorded_logins()
        internal = pwd.getpwnam(dovecot_pop3.INTERNAL_USER).pw_uid
        mine = [login for login in logins if login.get("ip") == ROAMER]
        self.c.check(f"Dovecot ran the post-login script once for {ROAMER}, with $USER {POP_USER}",
                     len(mine) == 1 and mine[0].get("user") == POP_USER, logins)
        if mine:
            self.c.check(f"the post-login script ran with Dovecot's umask 0077 "
                         f"(got {mine[0].get('umask')}, address space {kib(mine[0].get('vsz'))})",
                         mine[0].get("umask") == "0077", logins)
            self.c.check(f"the post-login script ran as {dovecot_pop3.INTERNAL_USER} "
                         f"(uid {mine[0].get('uid')})", mine[0].get("uid") == str(internal), logins)
        self.c.check(f"no post-login run for the failed login from {FAILED_LOGIN}",
                     not any(login.get("ip") == FAILED_LOGIN for login in logins), logins)

    def recorded_logins(self):
        """The post-login script's records: one {umask, uid, vsz, ip, user} per run."""
        try:
            with open(os.path.join(self.record_dir, "logins")) as f:
                return [dict(field.split("=", 1) for field in line.split() if "=" in field)
                        for line in f.read().splitlines()]
        except OSError:
            return []

    def store_entries(self):
        """relay-list's lines (as root) by IP."""
        r = subprocess.run([os.path.join(self.bin, "relay-list"), "-s", self.store],
                           capture_output=True, text=True, timeout=30)
        entries = {}
        for line in r.stdout.splitlines():
            fields = line.split()
            if len(fields) == 3:
                entries[fields[0]] = fields[2]
        return entries, r

    def store_recorded(self):
        entries, r = self.store_entries()
        self.c.check(f"the store records {ROAMER} as relaying", entries.get(ROAMER) == "relay",
                     f"relay-list exit {r.returncode}: {r.stdout}{r.stderr}")
        self.c.check(f"nothing was recorded for {FAILED_LOGIN}", FAILED_LOGIN not in entries,
                     r.stdout)

    def store_readable_by_server_user(self):
        """What tcpserver -u needs from what the postlogin user wrote under umask 0077."""
        nobody = pwd.getpwuid(SERVER_UID)
        if self.kind == "cdb":
            path = self.store.split(":", 1)[1]
            r = read_as(nobody, path)
            self.c.check(f"the store file ({describe(path)}) written by "
                         f"{dovecot_pop3.INTERNAL_USER} under umask 0077 is readable by "
                         f"tcpserver's -u user {nobody.pw_name}", r.returncode == 0, r.stderr)
        elif self.kind == "relay-ctrl":
            # A relay-ctrl lookup is a stat of DIR/IP: the entry must be visible, not readable.
            path = os.path.join(self.store_dir, ROAMER)
            r = subprocess.run(["/usr/bin/test", "-e", path], user=SERVER_UID, group=SERVER_GID,
                               extra_groups=[], capture_output=True, text=True, timeout=10)
            self.c.check(f"the relay-ctrl entry ({describe(path)}) written by "
                         f"{dovecot_pop3.INTERNAL_USER} under umask 0077 is visible to "
                         f"tcpserver's -u user {nobody.pw_name}", r.returncode == 0, describe(path))
        # mysql: the rows live in MariaDB; sql.conf was checked for both users at setup.

    def roamer_relays(self, when):
        s = clients.smtp_rcpt(ROAMER, self.smtp_port, FOREIGN_RCPT)
        self.c.check(f"{when}: {ROAMER} (logged in by POP, RBL-listed) passes rblsmtpd",
                     s.greeting.startswith(f"220 {OWN_DOMAIN} ESMTP smtp-fixture"), s)
        self.c.check(f"{when}: {ROAMER} relays (RCPT to {FOREIGN_RCPT} gets 250)",
                     s.reply("RCPT").startswith("250"), s)

    def listed_is_blocked(self):
        asked = self.dns.asked(rbl_dns.reversed_name(LISTED, RBL_ZONE))
        s = clients.smtp_rcpt(LISTED, self.smtp_port, FOREIGN_RCPT)
        self.c.check(f"{LISTED} (listed, never logged in) is blocked by rblsmtpd with the "
                     "zone's reason",
                     s.greeting.startswith("220 rblsmtpd.local")
                     and s.reply("RCPT").startswith("451 ")
                     and LISTED_REASONS[LISTED] in s.reply("RCPT"), s)
        self.c.check(f"rblsmtpd asked the scripted DNS server about {LISTED}",
                     self.dns.asked(rbl_dns.reversed_name(LISTED, RBL_ZONE), rbl_dns.TYPE_TXT) > asked,
                     self.dns.queries)

    def failed_login_refused(self):
        s = clients.smtp_rcpt(FAILED_LOGIN, self.smtp_port, FOREIGN_RCPT)
        self.c.check(f"{FAILED_LOGIN} (failed POP login) reaches the SMTP server but may not relay "
                     f"({QMAIL_553.split(',')[0]})",
                     s.greeting.startswith(f"220 {OWN_DOMAIN}") and s.reply("RCPT") == QMAIL_553, s)
        s = clients.smtp_rcpt(FAILED_LOGIN, self.smtp_port, f"postmaster@{OWN_DOMAIN}")
        self.c.check(f"{FAILED_LOGIN} may still send to {OWN_DOMAIN} (the 553 is about relaying)",
                     s.reply("RCPT").startswith("250"), s)

    def local_net_relays(self):
        s = clients.smtp_rcpt(LOCAL_NET, self.smtp_port, FOREIGN_RCPT)
        self.c.check(f"{LOCAL_NET} relays by its tcp.smtp rule", s.reply("RCPT").startswith("250"), s)

    def roamer_not_looked_up(self, txt_before):
        """RBLSMTPD="" from the store tells rblsmtpd to skip its lookup altogether."""
        name = rbl_dns.reversed_name(ROAMER, RBL_ZONE)
        self.c.check(f"rblsmtpd did not look {ROAMER} up after its login (RBLSMTPD set)",
                     self.dns.asked(name, rbl_dns.TYPE_TXT) == txt_before, self.dns.queries)

    def ptr_lookups_reached_scripted_dns(self):
        self.c.check("tcpserver's PTR lookups went to $DNSCACHEIP (the scripted server)",
                     self.dns.asked("5.0.0.127.in-addr.arpa", rbl_dns.TYPE_PTR) > 0, self.dns.queries)

    def log_shows_relay(self, restarts=0):
        pattern = re.compile(rf"tcpserver: relay \d+ {re.escape(ROAMER)} by {re.escape(self.kind)}$",
                             re.M)
        # The lines travel through a pipe and multilog: give them a moment, not a fixed sleep.
        processes.wait_until(lambda: len(pattern.findall(self.service.log_text())) > restarts, 5)
        log = self.service.log_text()
        self.c.check(f"the log shows `tcpserver: relay PID {ROAMER} by {self.kind}`"
                     + (" again after the restart" if restarts else ""),
                     len(pattern.findall(log)) > restarts, tail(log))
        others = [ip for ip in (LISTED, FAILED_LOGIN, LOCAL_NET)
                  if re.search(rf"tcpserver: relay \d+ {re.escape(ip)} by ", log)]
        self.c.check("no relay line for clients that did not log in", not others, others)

    def restart_with_svc(self):
        old = self.service.pid()

        def new_pid():
            pid = self.service.pid()
            return pid if pid is not None and pid != old else None

        r = self.service.svc("-t")
        new = processes.wait_until(new_pid, 10)
        self.c.check(f"svc -t: supervise restarted tcpserver (pid {old} -> {new})",
                     r.returncode == 0 and old is not None and new is not None,
                     f"{r.stderr}\nsvstat: {self.service.status()}\n{tail(self.service.log_text())}")
        self.c.check(f"svc -t: the old tcpserver (pid {old}) is gone",
                     old is not None and processes.parent_of(old) is None,
                     f"{old}: {processes.command_line(old)}")
        self.tcpserver_serves("restarted by svc -t")

    def no_sanitizer_reports(self):
        texts = {"the tcpserver log": self.service.log_text(), "dovecot's log": self.dovecot.log_text()}
        found = [f"{where}: {line}" for where, text in texts.items() for line in text.splitlines()
                 if any(mark in line for mark in SANITIZER_MARKS)]
        self.c.check("no sanitizer report in the tcpserver or dovecot logs", not found,
                     "\n".join(found[:20]))

    def run(self):
        if not self.preconditions_hold():
            return
        if self.a.sanitized:
            print(f"NOTE: sanitizer build: the chain runs WITHOUT softlimit -m {self.a.softlimit} "
                  "(ASan reserves terabytes of address space); ASan watches it instead", flush=True)
        elif self.hand_disabled_softlimit:
            print("NOTE: E2E_NO_SOFTLIMIT=1: softlimit dropped by hand; this run fails on purpose",
                  flush=True)
            self.softlimit = "none"
        self.install()
        self.compile_rules()
        self.prepare_store()
        self.start_services()
        serving = self.tcpserver_serves("started by supervise")
        if serving:
            self.before_login()
        # The POP side does not need tcpserver: it is checked (and reported) either way.
        self.pop_logins()
        self.postlogin_ran_as_dovecot()
        self.store_recorded()
        self.store_readable_by_server_user()
        if serving:
            self.smtp_checks()
        else:
            self.c.check("the SMTP checks (relaying, rblsmtpd, 553, svc -t, the relay log line)",
                         False, "not run: tcpserver never served (see above)")
        if self.a.sanitized:
            self.no_sanitizer_reports()

    def smtp_checks(self):
        txt_before = self.dns.asked(rbl_dns.reversed_name(ROAMER, RBL_ZONE), rbl_dns.TYPE_TXT)
        self.roamer_relays("after its POP login")
        self.roamer_not_looked_up(txt_before)
        self.listed_is_blocked()
        self.failed_login_refused()
        self.local_net_relays()
        self.ptr_lookups_reached_scripted_dns()
        self.log_shows_relay()
        self.restart_with_svc()
        self.roamer_relays("after svc -t")
        self.log_shows_relay(restarts=1)

    def stop_all(self):
        """Everything this run started, each step bounded and tried even when an earlier one
        failed; the outer process sweeps (and reports) whatever is still running after."""
        steps = [("supervise", self.service and self.service.stop),
                 ("dovecot", self.dovecot and self.dovecot.stop),
                 ("the scripted DNS server", self.dns and self.dns.close),
                 ("MariaDB", self.mariadb_started and self.stop_mariadb)]
        for what, stop in steps:
            if not stop:
                continue
            try:
                stop()
            except Exception as e:  # the next step must still run
                print(f"stopping {what} failed: {e!r}", file=sys.stderr, flush=True)

    def stop_mariadb(self):
        subprocess.run(["bash", self.a.mariadb_fixture, "stop", self.mariadb_dir],
                       capture_output=True, timeout=60)

    def show_logs(self):
        """After a failure: each log's complaints from anywhere in it, then its end."""
        for title, text in (("tcpserver log (multilog)", self.service and self.service.log_text()),
                            ("dovecot log", self.dovecot and self.dovecot.log_text()),
                            ("supervise stderr", self.service
                             and processes.read_text(self.service.errors_path))):
            if not text:
                continue
            complaints = [line for line in text.splitlines() if COMPLAINT.search(line)]
            if complaints:
                print(f"--- {title}: complaints ---\n" + "\n".join(squeeze(complaints)[-30:]),
                      flush=True)
            print(f"--- {title} (tail) ---\n{tail(text, 60)}", flush=True)


# ---- small helpers ----

def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def read_as(user, path):
    """cat path as user (uid, primary gid, no supplementary groups)."""
    return subprocess.run(["/bin/cat", path], user=user.pw_uid, group=user.pw_gid,
                          extra_groups=[], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, timeout=10)


def describe(path):
    try:
        st = os.stat(path)
    except OSError as e:
        return f"{path}: {e.strerror}"
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    return f"{os.path.basename(path)} mode {st.st_mode & 0o7777:04o} owner {owner}"


def kib(limit):
    """`ulimit -v` text as a reader wants it."""
    return f"{limit} KiB" if limit and limit.isdigit() else str(limit)


def squeeze(lines):
    """Runs of one repeated line (a crash loop under supervise) shown once with their count."""
    out = []
    for line in lines:
        if out and out[-1][0] == line:
            out[-1][1] += 1
        else:
            out.append([line, 1])
    return [line if n == 1 else f"{line}   [{n} times]" for line, n in out]


def tail(text, lines=25):
    return "\n".join(squeeze(text.splitlines())[-lines:])


# ---- the two processes ----

def inner(args):
    """The test itself, in TOP/work; writes {"passed", "failed"} to TOP/results.json."""
    c = Checks()
    work = os.path.join(args.top, "work")
    os.mkdir(work, 0o755)
    os.chmod(work, 0o755)  # Dovecot's users and tcpserver's -u user traverse it
    chain = Chain(args, work, c)
    try:
        processes.run_within(DEADLINE, c, "the chain", chain.run)
    finally:
        if chain.hand_disabled_softlimit and not args.sanitized:
            c.check("softlimit applied (E2E_NO_SOFTLIMIT=1 is a development switch)", False)
        try:
            if c.failed:
                chain.show_logs()
            chain.stop_all()
        finally:
            with open(os.path.join(args.top, "results.json"), "w") as f:
                json.dump({"passed": c.passed, "failed": c.failed}, f)
    return 0


TOP_PREFIX = "e2e-chain-"
OWNER_FILE = "owner.pid"


def remove_stale_tops():
    """A run killed from outside (ctest's TIMEOUT kills the whole tree with SIGKILL) cannot
    remove its directory; the next run removes those whose owner is gone."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        top = os.path.join(base, name)
        if not name.startswith(TOP_PREFIX) or not os.path.isdir(top):
            continue
        try:
            with open(os.path.join(top, OWNER_FILE)) as f:
                owner = int(f.read())
        except (OSError, ValueError):
            continue  # not one of ours, or not finished being made
        if "chain_test.py" not in processes.command_line(owner):
            shutil.rmtree(top, ignore_errors=True)


def run_inner(top, argv):
    """The inner test, bounded: past its deadline plus the cleanup grace it is stopped."""
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--inner", top, *argv])
    try:
        proc.wait(timeout=DEADLINE + CLEANUP_GRACE)
    except subprocess.TimeoutExpired:
        print(f"FAIL the test did not end within {DEADLINE + CLEANUP_GRACE} s; stopping it", flush=True)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def inner_counts(top):
    try:
        with open(os.path.join(top, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        print("FAIL the inner test ended without reporting its checks", flush=True)
        return {"passed": 0, "failed": 1}


def outer(args, argv):
    """Runs the inner test below a subreaper, then makes sure nothing it started survives."""
    processes.become_subreaper()
    remove_stale_tops()
    top = tempfile.mkdtemp(prefix=f"{TOP_PREFIX}{args.store}.")
    os.chmod(top, 0o755)
    with open(os.path.join(top, OWNER_FILE), "w") as f:
        f.write(str(os.getpid()))
    try:
        run_inner(top, argv)
        left = processes.kill_leftovers(os.getpid())
        counts = inner_counts(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    c = Checks()
    c.passed, c.failed = counts["passed"], counts["failed"]
    c.check("nothing the test started is left running (dovecot, supervise, tcpserver, MariaDB)",
            not left, "\n".join(f"{pid} {cmd}" for pid, cmd in left))
    print(f"{c.passed} passed, {c.failed} failed", flush=True)
    return 0 if c.failed == 0 and c.passed > 0 else 1


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--inner", metavar="TOP", dest="top", help="(internal) run the test in TOP")
    p.add_argument("--build", required=True, help="the CMake build directory to install from")
    p.add_argument("--cmake", required=True)
    p.add_argument("--reference", required=True, help="Debian's ucspi-tcp, extracted")
    p.add_argument("--smtp-fixture", required=True)
    p.add_argument("--store", required=True, choices=["cdb", "relay-ctrl", "mysql"])
    p.add_argument("--mariadb-fixture")
    p.add_argument("--softlimit", required=True, help="bytes for the run file's softlimit -m")
    p.add_argument("--sanitized", action="store_true", help="a sanitizer build: no softlimit")
    a = p.parse_args(argv)
    if a.store == "mysql" and not a.mariadb_fixture:
        p.error("--store mysql needs --mariadb-fixture")
    return a


def main():
    args = parse_args(sys.argv[1:])
    if args.top:
        return inner(args)
    return outer(args, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
