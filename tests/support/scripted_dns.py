"""A scripted DNS server for tests: UDP on one loopback address, port 53 (root needed).

djb's resolver and our tcpserver both send their queries to $DNSCACHEIP, so a test points it
here and no query ever leaves loopback. A subclass decides each answer: the records to send,
NXDOMAIN, or no answer at all (a name server that never answers). Every question is
remembered, so a test can tell what was asked.
"""
import socket
import struct
import threading

TYPE_A, TYPE_CNAME, TYPE_PTR, TYPE_TXT, TYPE_ANY = 1, 5, 12, 16, 255
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


TC = 0x0200  # truncated: ask again over TCP


def response(packet, question, records, rcode=0, flags=0):
    """An answer to packet: records is [(type, rdata)], all for the question's name, or
    [(owner, type, rdata)] with the owner in wire form (a CNAME chain, RFC 2317), or a mix."""
    header = packet[:2] + struct.pack(">HHHHH", FLAGS | flags | rcode, 1, len(records), 0, 0)
    body = b""
    for record in records:
        owner, rtype, data = record if len(record) == 3 else (b"\xc0\x0c", *record)
        body += owner + struct.pack(">HHIH", rtype, 1, 60, len(data)) + data
    return header + question + body


class ScriptedDns:
    """Subclasses define answer(name, qtype, packet, question) -> bytes or None (no reply), and
    may define answer_tcp the same way for questions that come over TCP (the default is the
    UDP answer), and send_tcp(conn, data) for how a TCP reply goes out (a slow drip, say)."""

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
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.tcp.bind((address, 53))
            self.tcp.listen(16)
        except OSError:
            self.sock.close()
            self.tcp.close()
            raise
        self.tcp.settimeout(0.1)
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        self.tcp_thread = threading.Thread(target=self.serve_tcp, daemon=True)
        self.tcp_thread.start()

    def answer(self, name, qtype, packet, question):
        raise NotImplementedError

    def answer_tcp(self, name, qtype, packet, question):
        return self.answer(name, qtype, packet, question)

    def send_tcp(self, conn, data):
        """data: the two-byte length and the message."""
        conn.sendall(data)

    def serve_tcp(self):
        """One question per connection: a two-byte length, then the message, both ways."""
        while not self.stopping:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(2)
                    data = b""
                    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
                        chunk = conn.recv(4096)
                        if not chunk:
                            raise OSError("closed early")
                        data += chunk
                    packet = data[2:]
                    name, qtype, question = parse_question(packet)
                    with self.lock:
                        self.queries.append((name, qtype))
                    reply = self.answer_tcp(name, qtype, packet, question)
                    if reply:
                        self.send_tcp(conn, struct.pack(">H", len(reply)) + reply)
                except (OSError, IndexError, struct.error, UnicodeDecodeError):
                    continue

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
        self.tcp_thread.join(timeout=5)
        self.sock.close()
        self.tcp.close()
