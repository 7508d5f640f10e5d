"""The RBL zone for the chain: a scripted DNS server (tests/support/scripted_dns.py) that lists
the given IPs in one zone (A 127.0.0.2 and a TXT reason for d.c.b.a.ZONE) and answers
everything else NXDOMAIN, PTR lookups included. djb's rblsmtpd and our tcpserver both ask it,
through $DNSCACHEIP in the run file.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from scripted_dns import (RCODE_NXDOMAIN, TYPE_A, TYPE_ANY, TYPE_PTR,  # noqa: E402,F401
                          TYPE_TXT, ScriptedDns, response)

# The chain test asks the zone's queries by type through this module.
__all__ = ["RblDns", "reversed_name", "txt_rdata", "TYPE_PTR", "TYPE_TXT"]


def reversed_name(ip, zone):
    return ".".join(reversed(ip.split("."))) + "." + zone


def txt_rdata(text):
    data = text.encode()
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255]
                    for i in range(0, len(data), 255))


class RblDns(ScriptedDns):
    """listed: {ip: reason}. queries: [(name, qtype)] in arrival order."""

    def __init__(self, address, zone, listed):
        self.zone = zone.lower().rstrip(".")
        self.records = {reversed_name(ip, self.zone): reason for ip, reason in listed.items()}
        super().__init__(address)

    def answer(self, name, qtype, packet, question):
        reason = self.records.get(name)
        records = []
        if reason is not None and qtype in (TYPE_A, TYPE_ANY):
            records.append((TYPE_A, socket.inet_aton("127.0.0.2")))
        if reason is not None and qtype in (TYPE_TXT, TYPE_ANY):
            records.append((TYPE_TXT, txt_rdata(reason)))
        return response(packet, question, records, 0 if reason is not None else RCODE_NXDOMAIN)
