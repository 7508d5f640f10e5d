"""The chain's clients, Debian's own: curl for POP3 logins, swaks for SMTP. Each connects from a
chosen address of 127.0.0.0/8 (all of it is local on Linux), which is how the test plays
several roaming users on one machine.
"""
import subprocess
from dataclasses import dataclass, field

CURL, SWAKS = "/usr/bin/curl", "/usr/bin/swaks"
CURL_LOGIN_DENIED = 67


@dataclass
class PopLogin:
    exit_code: int
    output: str


def pop3_login(source, port, user, password):
    """LIST over POP3 after USER/PASS from source; curl's exit code says whether login worked."""
    r = subprocess.run([CURL, "-sS", "--max-time", "20", "--interface", source,
                        f"pop3://127.0.0.1:{port}/", "-u", f"{user}:{password}"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    return PopLogin(r.returncode, (r.stdout + r.stderr).strip())


@dataclass
class SmtpSession:
    greeting: str = ""
    replies: dict = field(default_factory=dict)  # command verb -> the server's last reply line
    transcript: str = ""

    def reply(self, verb):
        return self.replies.get(verb, "")

    def __str__(self):
        return self.transcript


def parse_transcript(text):
    """Swaks prints ' -> CMD' for what it sent and '<-  ' / '<** ' for the server's lines."""
    session, verb = SmtpSession(transcript=text), None
    for line in text.splitlines():
        if line.startswith(" -> "):
            verb = line[4:].split(" ", 1)[0].split(":", 1)[0].upper()
        elif line.startswith("<-  ") or line.startswith("<** "):
            reply = line[4:]
            if verb is None:
                session.greeting = reply
            else:
                session.replies[verb] = reply
    return session


def smtp_rcpt(source, port, recipient, sender="roamer@mail.test"):
    """EHLO, MAIL FROM, RCPT TO recipient, QUIT from source; the server's answers."""
    r = subprocess.run([SWAKS, "--server", "127.0.0.1", "--port", str(port),
                        "--local-interface", source, "--helo", "client.test",
                        "--from", sender, "--to", recipient, "--quit-after", "RCPT",
                        "--timeout", "20"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=40)
    return parse_transcript(r.stdout + r.stderr)
