"""tcpserver -y behind a balancer, as the PROXY protocol tests start it: a rules cdb that denies
one client address and names another, and a child that prints what tcpserver told it and then
the first line it reads, so a test sees both the environment and where the stream starts."""
import os
import re
import socket
import subprocess
import time

from child_script import write_child
from tcpserver_process import start_tcpserver

# What the child prints: one line of variables, then the client's first line as it read it.
CHILD = """#!/bin/sh
echo "REMOTE=$TCPREMOTEIP:$TCPREMOTEPORT LOCAL=$TCPLOCALIP:$TCPLOCALPORT PROTO=$PROTO \
INFO=${TCPREMOTEINFO-unset} WHO=${WHO-unset}"
IFS= read -r line
printf 'READ=%s\\n' "$line"
"""


def compile_rules(bin_dir, work, text):
    path = os.path.join(work, "rules.cdb")
    with open(os.path.join(work, "rules.txt"), "w+") as f:
        f.write(text)
        f.seek(0)
        subprocess.run([os.path.join(bin_dir, "tcprules"), path, path + ".tmp"], stdin=f,
                       check=True)
    return path


def start_proxied(bin_dir, work, rules_text, extra=()):
    """tcpserver -v with the rules, the child above, no DNS; returns (proc, port, log)."""
    rules = compile_rules(bin_dir, work, rules_text)
    child = write_child(work, CHILD)
    return start_tcpserver(os.path.join(bin_dir, "tcpserver"), work,
                           ["-v", "-1", "-H", "-l", "x", "-x", rules, *extra,
                            "127.0.0.1", "0", child])


def converse(address, send, source=None, timeout=30, pause=0.0):
    """Connects (from source, an address of the loopback), sends each piece of send (bytes, or
    a list of pieces with pause seconds between them), half-closes nothing, and returns all the
    server said until it closed; b"" when it closed without a word."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect(address)
        for piece in (send if isinstance(send, list) else [send]):
            s.sendall(piece)
            time.sleep(pause)
        return read_to_end(s)


def read_to_end(s):
    """All the peer says until it closes (a reset ends it too), as text."""
    data = b""
    try:
        while chunk := s.recv(4096):
            data += chunk
    except ConnectionResetError:
        pass
    return data.decode(errors="replace")


def log_text(log):
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")


def wait_for_log(log, pattern, bound=30):
    """The log once pattern (a regex) appears in it, or as it is after bound seconds."""
    deadline = time.monotonic() + bound
    while True:
        text = log_text(log)
        if re.search(pattern, text, re.M) or time.monotonic() > deadline:
            return text
        time.sleep(0.05)
