"""A scripted DNS server for the chain: UDP on one loopback address, port 53 (root needed).

djb's resolver (in rblsmtpd) and our tcpserver's both send their queries to $DNSCACHEIP, so the
run file points them here and no query ever leaves loopback. The server lists the given IPs in
one RBL zone (A 127.0.0.2 and a TXT reason for d.c.b.a.ZONE) and answers everything else
NXDOMAIN, PTR lookups included. It remembers every question, so the test can tell whether
rblsmtpd looked a client up at all.
"""
import socket
import struct
import threading

TYPE_A, TYPE_PTR, TYPE_TXT, TYPE_ANY = 1, 12, 16, 255
RCODE_NXDOMAIN = 3
# QR, AA, RD, RA: an authoritative answer to a recursive query, as a cache would give it.
FLAGS = 0x8580


def reversed_name(ip, zone):
    return ".".join(reversed(ip.split("."))) + "." + zone


def parse_question(packet):
    """Returns (lowercased name, qtype, the question section's bytes)."""
    pos, labels = 12, []
    while packet[pos]:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode("ascii").lower())
        pos += 1 + n
    qtype, _qclass = struct.unpack(">HH", packet[pos + 1:pos + 5])
    return ".".join(labels), qtype, packet[12:pos + 5]


def txt_rdata(text):
    data = text.encode()
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255]
                    for i in range(0, len(data), 255))


class RblDns:
    """listed: {ip: reason}. queries: [(name, qtype)] in arrival order."""

    def __init__(self, address, zone, listed):
        self.zone = zone.lower().rstrip(".")
        self.records = {reversed_name(ip, self.zone): reason for ip, reason in listed.items()}
        self.queries = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((address, 53))
        except OSError:
            self.sock.close()
            raise
        self.sock.settimeout(0.1)
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def answer(self, packet):
        name, qtype, question = parse_question(packet)
        with self.lock:
            self.queries.append((name, qtype))
        reason = self.records.get(name)
        records = []
        if reason is not None and qtype in (TYPE_A, TYPE_ANY):
            records.append((TYPE_A, socket.inet_aton("127.0.0.2")))
        if reason is not None and qtype in (TYPE_TXT, TYPE_ANY):
            records.append((TYPE_TXT, txt_rdata(reason)))
        rcode = 0 if reason is not None else RCODE_NXDOMAIN
        header = packet[:2] + struct.pack(">HHHHH", FLAGS | rcode, 1, len(records), 0, 0)
        body = b"".join(struct.pack(">HHHIH", 0xC00C, rtype, 1, 60, len(data)) + data
                        for rtype, data in records)
        return header + question + body

    def serve(self):
        while not self.stopping:
            try:
                packet, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            try:
                self.sock.sendto(self.answer(packet), peer)
            except (IndexError, struct.error, UnicodeDecodeError, OSError):
                pass  # a malformed question gets no answer, as from a real cache

    def asked(self, name, qtype=None):
        """How many questions for name (and qtype, if given) arrived so far."""
        with self.lock:
            return sum(1 for n, t in self.queries if n == name and (qtype is None or t == qtype))

    def close(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()
