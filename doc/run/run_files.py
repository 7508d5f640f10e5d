"""The run files of doc/run as the tests run them: each file's text with the settings a test
must change set to the test's values, and nothing else touched.

A doc run file keeps each such setting as a shell assignment alone at the start of a line,
marked "[test]" in its comment (`STORE=cdb:/var/lib/relay/relay.cdb`); set() replaces that
whole line by `NAME=VALUE`. A setting the file does not assign exactly once is an error, so
renaming or duplicating one fails the test that runs the file instead of running something
else. Everything else (the checks, the exec line, the chain) runs as written. The one other
change is drop(), for sanitizer builds only: it removes the softlimit wrapper from the exec
line (ASan reserves terabytes of address space), and fails likewise unless that text is
there exactly once. README.md beside this file lists the settings of each file.
"""
import os
import re
import shlex
import shutil

DOC_RUN = os.path.dirname(os.path.abspath(__file__))


class RunFileError(Exception):
    pass


def path(*parts):
    """A file of doc/run, e.g. path("daemontools", "smtpd", "run")."""
    return os.path.join(DOC_RUN, *parts)


def read(*parts):
    with open(path(*parts)) as f:
        return f.read()


def set_values(text, settings, name="run file"):
    """text with each `NAME=...` line of settings replaced by `NAME=VALUE` (shell-quoted)."""
    for variable, value in settings.items():
        line = re.compile(rf"^{re.escape(variable)}=.*$", re.M)
        found = line.findall(text)
        if len(found) != 1:
            raise RunFileError(f"{name}: expected one line `{variable}=...` (a [test] setting), "
                               f"found {len(found)}")
        assignment = f"{variable}={shlex.quote(str(value))}"
        text = line.sub(lambda _: assignment, text)
    return text


def drop(text, fragment, name="run file"):
    """text without fragment, which must occur exactly once."""
    count = text.count(fragment)
    if count != 1:
        raise RunFileError(f"{name}: expected `{fragment}` once, found it {count} times")
    return text.replace(fragment, "")


def default_value(text, variable):
    """The value a file assigns to variable on its [test] line (the file's own default),
    without quotes and without the comment after it."""
    match = re.search(rf"^{re.escape(variable)}=(\S*)", text, re.M)
    if not match:
        raise RunFileError(f"no line `{variable}=...`")
    return match.group(1).strip("'\"")


def replace_once(text, old, new, name="file"):
    """text with old, which must occur exactly once, replaced by new (for files that are not
    shell, such as Dovecot's configuration)."""
    count = text.count(old)
    if count != 1:
        raise RunFileError(f"{name}: expected `{old}` once, found it {count} times")
    return text.replace(old, new)



# ---- the settings of each file, as the tests give them --------------------------------------

# doc/run/{daemontools,runit,s6}/smtpd/run: every [test] line, and the softlimit wrapper that
# a sanitizer build drops.
SMTPD_SETTINGS = ("PATH", "QMAIL", "QMAILDUID", "NOFILESGID", "IP", "PORT", "RULES", "STORE",
                  "RBL", "MEMORY")
MEMORY_LIMIT = {"daemontools": 'softlimit -m "$MEMORY" ', "runit": 'chpst -m "$MEMORY" ',
                "s6": 's6-softlimit -m "$MEMORY" '}
# doc/run/*/smtpd/log/run
LOG_SETTINGS = ("LOGUSER", "LOGDIR")
# doc/run/daemontools/pop3d/run
POP3D_SETTINGS = ("PATH", "QMAIL", "CHECKPASSWORD", "IP", "PORT", "STORE", "MEMORY")
# doc/run/dovecot/relay-postlogin.sh and doc/run/courier/relay-after-login.sh
LOGIN_SCRIPT_SETTINGS = ("PATH", "STORE")
# doc/run/dovecot/relay.conf: the script's path, replaced by the test's script-login arguments.
DOVECOT_SCRIPT_LINE = "executable = script-login /usr/local/libexec/relay-postlogin.sh"
DOVECOT_POSTLOGIN_SERVICE = "relay-postlogin"


def with_settings(parts, names, values, drop_fragment=None):
    """The file doc/run/PARTS with exactly the settings names set from values (a dict)."""
    name = "doc/run/" + "/".join(parts)
    if set(values) != set(names):
        raise RunFileError(f"{name}: the test must give exactly {', '.join(names)}; "
                           f"it gave {', '.join(sorted(values))}")
    text = set_values(read(*parts), values, name)
    return drop(text, drop_fragment, name) if drop_fragment else text


def smtpd_run(kit, values, no_softlimit=False):
    """doc/run/KIT/smtpd/run with SMTPD_SETTINGS from values; without its memory limit for a
    sanitizer build (no_softlimit)."""
    return with_settings((kit, "smtpd", "run"), SMTPD_SETTINGS, values,
                         MEMORY_LIMIT[kit] if no_softlimit else None)


def log_run(kit, user, directory):
    """doc/run/KIT/smtpd/log/run writing directory as user."""
    return with_settings((kit, "smtpd", "log", "run"), LOG_SETTINGS,
                         {"LOGUSER": user, "LOGDIR": directory})


def make_qmail_home(qmail, local, programs):
    """A stand-in for /var/qmail: control/me and control/rcpthosts naming local, and bin/NAME
    a copy of each {NAME: source} in programs."""
    for sub in ("control", "bin"):
        os.makedirs(os.path.join(qmail, sub), mode=0o755, exist_ok=True)
    for control in ("me", "rcpthosts"):
        with open(os.path.join(qmail, "control", control), "w") as f:
            f.write(local + "\n")
    for program, source in programs.items():
        target = os.path.join(qmail, "bin", program)
        shutil.copyfile(source, target)
        os.chmod(target, 0o755)
