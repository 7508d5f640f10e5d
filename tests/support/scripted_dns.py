"""A scripted DNS server for tests: UDP on one loopback address, port 53 (root needed).

djb's resolver and our tcpserver both send their queries to $DNSCACHEIP, so a test points it
here and no query ever leaves loopback. A subclass decides each answer: the records to send,
NXDOMAIN, or no answer at all (a name server that never answers). Every question is
remembered, so a test can tell what was asked.
"""
import socket
import struct
import threading

TYPE_A, TYPE_PTR, TYPE_TXT, TYPE_ANY = 1, 12, 16, 255
RCODE_NXDOMAIN = 3
# QR, AA, RD, RA: an authoritative answer to a recursive query, as a cache would give it.
FLAGS = 0x8580


def encode_name(name):
    return encode_labels([l.encode() for l in name.rstrip(".").split(".")])


def encode_labels(labels):
    """A name on the wire from raw labels, which may hold any byte, '.' and NUL included."""
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def parse_question(packet):
    """Returns (lowercased name, qtype, the question section's bytes)."""
    pos, labels = 12, []
    while packet[pos]:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode("ascii").lower())
        pos += 1 + n
    qtype, _qclass = struct.unpack(">HH", packet[pos + 1:pos + 5])
    return ".".join(labels), qtype, packet[12:pos + 5]


def response(packet, question, records, rcode=0):
    """An answer to packet: records is [(type, rdata)], all for the question's name."""
    header = packet[:2] + struct.pack(">HHHHH", FLAGS | rcode, 1, len(records), 0, 0)
    body = b"".join(struct.pack(">HHHIH", 0xC00C, rtype, 1, 60, len(data)) + data
                    for rtype, data in records)
    return header + question + body


class ScriptedDns:
    """Subclasses define answer(name, qtype, packet, question) -> bytes or None (no reply)."""

    def __init__(self, address):
        self.queries = []  # (name, qtype), in arrival order
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

    def answer(self, name, qtype, packet, question):
        raise NotImplementedError

    def serve(self):
        while not self.stopping:
            try:
                packet, peer = self.sock.recvfrom(512)
                name, qtype, question = parse_question(packet)
                with self.lock:
                    self.queries.append((name, qtype))
                reply = self.answer(name, qtype, packet, question)
                if reply:
                    self.sock.sendto(reply, peer)
            except (OSError, IndexError, struct.error, UnicodeDecodeError):
                continue  # a malformed question gets no answer, as from a real cache

    def asked(self, name, qtype=None):
        """How many questions for name (and qtype, if given) arrived so far."""
        with self.lock:
            return sum(1 for n, t in self.queries if n == name and (qtype is None or t == qtype))

    def close(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()
