#!/usr/bin/env python3
"""The SMTP child fixture on its own, under the same softlimit it gets in the chain.

    smtp_fixture_test.py --fixture BIN --softlimit BYTES [--sanitized]

A fixture that cannot live in the chain's address-space limit would make every chain check
fail for a reason that is not tcpserver's: this test names that reason on its own. A sanitizer
build (--sanitized) cannot link it statically nor fit it in the limit: it runs without one.
Prints one line per check and "N passed, N failed".
"""
import argparse
import subprocess
import sys

QMAIL_553 = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
SESSION = (b"EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@elsewhere.example>\r\n"
           b"RCPT TO:<postmaster@MAIL.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
           b"NOOP\r\nQUIT\r\n")


def converse(command, env):
    r = subprocess.run(command, input=SESSION, env=env, capture_output=True, timeout=20)
    return r.returncode, r.stdout.decode(errors="replace").splitlines(), r.stderr.decode(errors="replace")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fixture", required=True)
    p.add_argument("--softlimit", required=True)
    p.add_argument("--sanitized", action="store_true")
    a = p.parse_args()
    prefix = [] if a.sanitized else ["/usr/bin/softlimit", "-m", a.softlimit]
    if not prefix:
        print(f"NOTE: sanitizer build: WITHOUT softlimit -m {a.softlimit} (ASan reserves terabytes)")
    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        passed, failed = passed + bool(ok), failed + (not ok)
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))

    base = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": "127.0.0.7"}
    code, lines, err = converse(prefix + [a.fixture, "mail.test"], base)
    limit = "no softlimit" if not prefix else f"softlimit -m {a.softlimit}"
    check(f"runs to QUIT under {limit}", code == 0 and lines[-1:] == ["221 mail.test"],
          (code, lines, err))
    expected = ["220 mail.test ESMTP smtp-fixture", "250 mail.test", "250 ok", QMAIL_553,
                "250 ok", "354 go ahead", "250 ok discarded by smtp-fixture", "250 ok",
                "221 mail.test"]
    check("without RELAYCLIENT: foreign RCPT 553, own domain 250, DATA accepted",
          [l.rstrip("\r") for l in lines] == expected, lines)
    check("logs what it was given to stderr",
          "smtp-fixture: client 127.0.0.7 RELAYCLIENT unset RBLSMTPD unset" in err, err)
    code, lines, err = converse(prefix + [a.fixture, "mail.test"], dict(base, RELAYCLIENT=""))
    check("with RELAYCLIENT=\"\": foreign RCPT 250",
          len(lines) > 3 and lines[3].rstrip("\r") == "250 ok", lines)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
