"""Seeded generator of tcprules input files and of clients to check against them.

The IPv4 corpus covers every quirk of djb's parser (spec 4.1): comments only on a '#' first
byte, blank lines, lines without ':', trailing blanks and tabs, CRLF, leading spaces in the
address, any quote character, NAMEs with spaces, empty values, deny with variables, duplicate
keys, ranges (including 250-300, 9-5, '1.2.3.-' and x-y errors), =host, =.domain, info@ip,
info@=host, the empty key, a last line without newline, NUL bytes and very long lines.

It deliberately never produces the inputs on which ours differs from djb on purpose, since
those are tested against expected values in test_differences.py:
  (a) CIDR and (b) '/' in an address: no address contains '/';
  (c) the open-relay warning: RELAYCLIENT is never set on the catch-all keys "" and "=";
  fefe's address syntax: no line whose first ':' is not followed by allow/deny while a later
      one is (djb rejects it, ours and fefe take the longer address);
  fehcom's CIDR keys: no address starts with '_' or '^' (ours looks those up as CIDR keys).
The IPv6 corpus is written in fefe's canonical form, so ours must match fefe byte for byte.
"""

from __future__ import annotations

import ipaddress
import os
import random
from dataclasses import dataclass, field

from harness import Client, ip6_fmt

FIRST_OCTETS = [1, 10, 18, 86, 127, 192, 255]
DOMAINS = ["example.org", "two.three", "abuser.edu", "known.edu", "Mixed.Case.NET", "a.b.c.d.e"]
INFOS = ["joe", "bill", "root", "x y", "a@b"]
NAMES = ["which", "RELAYCLIENT", "X", "a b", " X", "QMAILQUEUE", "TCPREMOTEHOST", "",
         "DENY", "Z9", "LONG_NAME_" + "N" * 40]
QUOTES = '"/+=|,:\'ab#'  # any single byte works as a quote in djb's parser
VALUE_CHARS = "abcxyz0189 .,:=@#-_/\"'+|"
CATCH_ALL = (b"", b"=")


@dataclass
class Line:
    text: bytes
    clients: list = field(default_factory=list)  # clients this line was written to match


@dataclass
class RulesFile:
    name: str
    text: bytes
    clients: list


# ---------------------------------------------------------------------------------------------
# Predicates shared with the tests


def first_colon_lacks_verb_but_later_has(line: bytes) -> bool:
    """True for lines djb rejects but fefe (and ours) accept with a ':' in the address."""
    if line.startswith(b"#"):
        return False  # a comment, whatever it holds
    colon = line.find(b":")
    if colon < 0 or line[colon + 1:].startswith((b"allow", b"deny")):
        return False
    rest = line[colon + 1:]
    return any(rest[i + 1:].startswith((b"allow", b"deny"))
               for i in range(len(rest)) if rest[i:i + 1] == b":")


# ---------------------------------------------------------------------------------------------
# IPv4 pieces


def random_ip(rng: random.Random) -> str:
    return ".".join(str(o) for o in [rng.choice(FIRST_OCTETS), rng.choice([0, 1, 2, 75, 255]),
                                     rng.choice([0, 3, 30, 200]), rng.choice([1, 4, 9, 250, 255])])


def random_host(rng: random.Random) -> str:
    domain = rng.choice(DOMAINS)
    return rng.choice(["", "www.", "x.", "x.y."]) + domain


def random_value(rng: random.Random) -> str:
    length = rng.choice([0, 0, 1, 3, 8, 20])
    return "".join(rng.choice(VALUE_CHARS) for _ in range(length))


def instruction(rng: random.Random, name: str) -> bytes:
    """',NAME=<q>VALUE<q>' with a quote byte that does not occur in the value."""
    value = random_value(rng)
    # A blank as the closing quote at the end of a line is stripped (a parse error), so it is
    # drawn rarely: otherwise most files would be rejected.
    pool = QUOTES + (" \t" if rng.random() < 0.03 else "")
    quote = rng.choice([q for q in pool if q not in value])
    return f",{name}={quote}{value}{quote}".encode()


def instructions(rng: random.Random, address: bytes) -> bytes:
    names = NAMES if address not in CATCH_ALL else [n for n in NAMES if n != "RELAYCLIENT"]
    return b"".join(instruction(rng, rng.choice(names)) for _ in range(rng.choice([0, 0, 1, 2, 4])))


def rule(rng: random.Random, address: bytes, clients: list, *, verb: bytes | None = None) -> Line:
    verb = verb or rng.choice([b"allow", b"allow", b"deny"])
    return Line(address + b":" + verb + instructions(rng, address), clients)


def host_states(rng: random.Random, host: str | None) -> str | None:
    """A host as given, or (sometimes) unset or empty: both are distinct cases for the lookup."""
    return rng.choice([host, host, host, None, ""])


def exact_ip_rule(rng, _):
    ip = random_ip(rng)
    return rule(rng, ip.encode(), [Client(ip, host_states(rng, random_host(rng)), None)])


def prefix_rule(rng, _):
    ip = random_ip(rng)
    parts = ip.split(".")
    keep = rng.randint(1, 3)
    prefix = ".".join(parts[:keep]) + "."
    return rule(rng, prefix.encode(), [Client(ip), Client(ip, rng.choice([None, "", random_host(rng)]))])


RANGE_SHAPES = ["{a}.{b}.{c}.{lo}-{hi}", "{a}.{lo}-{hi}.", "{a}.{b}.{lo}-{hi}.", "{lo}-{hi}.",
                "{a}.{b}.{lo}-{hi}.{d}", "{a}.{b}.{c}.250-300", "{a}.{b}.{c}.9-5", "{a}.{b}.{c}.-",
                "{a}.{b}.{c}.{lo}-", "{a}.{b}.{c}.-{hi}", "{a}.0-5.", "{a}.{b}.{c}.0{lo}-0{hi}",
                "{a}.{b}.{c}.18446744073709551617-3"]


def range_rule(rng, _):
    a, b, c, d = rng.choice(FIRST_OCTETS), rng.randint(0, 9), rng.randint(0, 9), rng.randint(0, 255)
    lo = rng.randint(0, 260)
    hi = lo + rng.randint(-3, 12)
    address = rng.choice(RANGE_SHAPES).format(a=a, b=b, c=c, d=d, lo=lo, hi=max(hi, 0))
    inside = [f"{a}.{b}.{c}.{n}" for n in (lo, hi, 0, 255, 3, 5, 250)]
    extra = [f"{a}.{n}.{c}.{d}" for n in (0, 2, 5, 6)] + [f"{n}.{b}.{c}.{d}" for n in (lo, hi)]
    return rule(rng, address.encode(), [Client(ip) for ip in rng.sample(inside + extra, 4)])


def bad_range_rule(rng, _):
    address = rng.choice(["x-y", "1.2.3.a-5", "1.2.3.4-x", "1-2-3", "1.2.3.1 -5", "-x.", "1.2.3.+1-2"])
    return rule(rng, address.encode(), [])


def host_rule(rng, _):
    host = random_host(rng)
    return rule(rng, b"=" + host.encode(), [Client(random_ip(rng), host),
                                            Client(random_ip(rng), host.lower())])


def domain_rule(rng, _):
    domain = rng.choice(DOMAINS)
    return rule(rng, b"=." + domain.encode(), [Client(random_ip(rng), "x." + domain),
                                               Client(random_ip(rng), domain),
                                               Client(random_ip(rng), "x.y." + domain)])


def info_ip_rule(rng, _):
    ip, info = random_ip(rng), rng.choice(INFOS + [""])
    return rule(rng, f"{info}@{ip}".encode(), [Client(ip, None, info), Client(ip, "", info),
                                               Client(ip, random_host(rng), "other")])


def info_host_rule(rng, _):
    host, info = random_host(rng), rng.choice(INFOS + [""])
    return rule(rng, f"{info}@={host}".encode(), [Client(random_ip(rng), host, info),
                                                  Client(random_ip(rng), None, info)])


def catch_all_rule(rng, _):
    address = rng.choice(CATCH_ALL)
    return rule(rng, address, [Client(random_ip(rng), None), Client(random_ip(rng), "")])


def leading_space_rule(rng, _):
    ip = random_ip(rng)
    spaced = " " * rng.randint(1, 3) + ip
    return rule(rng, spaced.encode(), [Client(spaced), Client(ip)])


def odd_literal_rule(rng, _):
    # Literal keys djb stores verbatim: '-' after '=' or '@' is no range, any byte goes.
    address = rng.choice([b"a=b-c", b"x@1.2-3.4", b"=host-with-dash", b"\xff\xfe", b"@", b"@=",
                          b"1.2.3.4 ", b"\t1.2.3.4", b" #notacomment", b"1.2.3.4.5", b"01.002.3.4"])
    return rule(rng, address, [Client(os.fsdecode(address).strip())])


def duplicate_rule(rng, previous):
    # Duplicates are all stored; the first one added wins the lookup.
    earlier = [line for line in previous if line.clients and b":" in line.text]
    if not earlier:
        return exact_ip_rule(rng, previous)
    model = rng.choice(earlier)
    address = model.text[:model.text.index(b":")]
    return rule(rng, address, model.clients)


def trailing_blanks_rule(rng, previous):
    line = exact_ip_rule(rng, previous)
    line.text += rng.choice([b" ", b"\t", b" \t ", b"\t\t"])
    return line


def nul_rule(rng, _):
    ip = random_ip(rng)
    return Line(rng.choice([f"{ip}:allow,X=\"a\0b\",Y=/c/".encode(),
                            f"{ip}\0:deny".encode(),
                            f"{ip}:allow,\0=\"v\"".encode(),
                            f"{ip}:allow,X=\0abc\0".encode(),
                            # A NUL in a value starts a new entry; one starting with D denies.
                            f"{ip}:allow,X=\"a\0Db\",Y=/c/".encode()]), [Client(ip)])


def long_rule(rng, _):
    ip = random_ip(rng)
    size = rng.choice([5000, 70000, 300000])
    if rng.random() < 0.5:
        return Line(f"{ip}:allow,BIG=\"{'v' * size}\"".encode(), [Client(ip)])
    host = "h" * min(size, 100000) + ".example.org"  # one env string is capped at 128 KiB
    return Line(f"={host}:deny".encode(), [Client(ip, host)])


def comment_line(rng, _):
    return Line(rng.choice([b"# a comment", b"#1.2.3.4:deny", b"#", b"#: junk :allow",
                            b"# \x00 nul in a comment", b"#" + b"c" * 1000]))


def blank_line(rng, _):
    return Line(rng.choice([b"", b"  ", b"\t", b" \t "]))


def no_colon_line(rng, _):
    return Line(rng.choice([b"no colon here", b"1.2.3.4 deny", b" # space then hash", b"=host",
                            b"allow", b"\x00\x01\x02", b"1.2.3.4-x"]))


BAD_TAILS = [b" deny", b"allowed", b"allow,X", b"allow,X=", b'allow,X="abc', b'allow,X="a"junk',
             b"allow\r", b"allow,=v=", b"permit", b"Allow", b"", b"deny,", b"allow ,X=/1/",
             b'allow,X="1",', b"denyx", b'deny;X="1"']


def bad_line(rng, _):
    address = rng.choice([random_ip(rng), "", "=" + random_host(rng), " 1.2.3.4"]).encode()
    tail = rng.choice(BAD_TAILS)
    if rng.random() < 0.2:
        tail += b"\0after a nul"
    return Line(address + b":" + tail)


def long_bad_line(rng, _):
    return Line(f"{random_ip(rng)}:allow,X=\"{'v' * 100000}".encode())  # never closed


def crlf_rule(rng, previous):
    line = exact_ip_rule(rng, previous)
    line.text += b"\r"  # djb keeps the \r, so this is a parse error
    return line


VALID = [exact_ip_rule, prefix_rule, range_rule, host_rule, domain_rule, info_ip_rule,
         info_host_rule, catch_all_rule, leading_space_rule, odd_literal_rule, duplicate_rule,
         trailing_blanks_rule, nul_rule, comment_line, blank_line, no_colon_line]
RARE = [long_rule]
INVALID = [bad_line, bad_line, bad_range_rule, crlf_rule, long_bad_line]


def random_client(rng: random.Random) -> Client:
    return Client(rng.choice([random_ip(rng), random_ip(rng), None, "", "1.2.3", "abc"]),
                  rng.choice([None, "", random_host(rng)]), rng.choice([None, "", "joe"]))


def ipv4_file(rng: random.Random, index: int) -> RulesFile:
    lines: list[Line] = []
    for _ in range(rng.choice([1, 3, 8, 15, 30, 60])):
        pick = rng.choice(VALID)
        if rng.random() < 0.02:
            pick = rng.choice(RARE)
        lines.append(pick(rng, lines))
    # About 40% of the files fail somewhere: the position decides how much was written.
    if rng.random() < 0.4:
        lines.insert(rng.randint(0, len(lines)), rng.choice(INVALID)(rng, lines))
    if any(first_colon_lacks_verb_but_later_has(line.text) for line in lines):
        return ipv4_file(rng, index)  # outside the djb domain: draw again (same seed stream)
    return RulesFile(f"v4-{index:03d}", join_lines(rng, lines), sample_clients(rng, lines))


def join_lines(rng: random.Random, lines: list[Line]) -> bytes:
    text = b"".join(line.text + b"\n" for line in lines)
    if text and rng.random() < 0.25:
        text = text[:-1]  # the last line without '\n' is still a line
    return text


def sample_clients(rng: random.Random, lines: list[Line], limit: int = 24) -> list[Client]:
    clients = [client for line in lines for client in line.clients]
    # Variations flip host and info between unset and empty: the lookup treats them differently.
    varied = [Client(c.ip, rng.choice([c.host, None, ""]), rng.choice([c.info, None, ""]))
              for c in clients]
    pool = clients + varied
    chosen = rng.sample(pool, min(len(pool), limit - 6)) if pool else []
    return dedupe(chosen + [random_client(rng) for _ in range(6)] + [Client()])


def dedupe(clients: list[Client]) -> list[Client]:
    seen, out = set(), []
    for client in clients:
        if client not in seen and "\0" not in str(client.ip) + str(client.host) + str(client.info):
            seen.add(client)
            out.append(client)
    return out


def ipv4_corpus(seed: int, count: int) -> list[RulesFile]:
    rng = random.Random(seed)
    return [ipv4_file(rng, i) for i in range(count)]


# ---------------------------------------------------------------------------------------------
# IPv6 (canonical fefe text only)


V6_BASES = ["2001:db8::", "2001:db8:0:1::", "fe80::", "::", "::ffff:0:0", "1:2:3:4:5:6:7:0",
            "a:b::", "2001:db8:0:0:1::"]


def random_ip6(rng: random.Random) -> str:
    base = int(ipaddress.IPv6Address(rng.choice(V6_BASES)))
    low = rng.choice([0, 1, 2, 0x10, 0xffff, 0x10000, 1 << 48, rng.getrandbits(64)])
    return ip6_fmt(str(ipaddress.IPv6Address((base + low) % (1 << 128))))


def ip6_prefix(ip: str, rng: random.Random) -> str:
    """A fefe lookup prefix: the text up to and including one of its ':'."""
    cuts = [i + 1 for i, c in enumerate(ip) if c == ":"]
    return ip[:rng.choice(cuts)] if cuts else ip


def v6_rule(rng: random.Random, address: str, clients: list[Client]) -> Line:
    return rule(rng, address.encode(), clients)


def ipv6_line(rng: random.Random) -> Line:
    ip = random_ip6(rng)
    host, info = random_host(rng), rng.choice(INFOS)
    kind = rng.randrange(7)
    if kind == 0:
        return v6_rule(rng, ip6_prefix(ip, rng), [Client(ip), Client(random_ip6(rng))])
    if kind == 1:
        return v6_rule(rng, f"{info}@{ip}", [Client(ip, None, info), Client(ip, host, "other")])
    if kind == 2:
        return v6_rule(rng, rng.choice([":", "::"]), [Client(ip)])  # keys ':' and '::'
    if kind == 3:
        return v6_rule(rng, "=" + host, [Client(ip, host)])
    if kind == 4:
        v4 = random_ip(rng)
        return v6_rule(rng, v4, [Client(v4), Client(random_ip(rng))])
    if kind == 5:
        # A djb range in a v4-mapped tail, as -6 clients are looked up.
        return v6_rule(rng, "::ffff:1.2.3.1-3", [Client("::ffff:1.2.3.2"), Client(ip)])
    if kind == 6:
        # '::allow' gives the key ':', ':::allow' the key '::' (spec 7.1).
        return Line(rng.choice([b"::allow", b":::allow", b":::deny", b"::deny"]) +
                    instructions(rng, b":"), [Client(ip)])
    return v6_rule(rng, ip, [Client(ip, rng.choice([None, host]), rng.choice([None, info]))])


def bad_ipv6_line(rng: random.Random) -> Line:
    """Rejected by fefe with djb's message (the verb colon is there, the rest is wrong)."""
    address = rng.choice([random_ip6(rng), "a:b-c", "2001:db8::1-5", "joe@::1"])
    return Line(address.encode() + rng.choice([b":allow,X", b":allowed", b":deny,", b":allow\r",
                                               b':allow,X="1"junk']))


def ipv6_file(rng: random.Random, index: int) -> RulesFile:
    lines = [ipv6_line(rng) for _ in range(rng.choice([1, 4, 10, 25]))]
    if rng.random() < 0.35:
        lines.insert(rng.randint(0, len(lines)), bad_ipv6_line(rng))
    # fefe loops forever on lines it cannot split, so this corpus only mixes in comments and
    # blank lines; the hanging inputs are tested on their own.
    for _ in range(rng.randint(0, 2)):
        lines.insert(rng.randint(0, len(lines)), Line(rng.choice([b"# comment", b""])))
    clients = sample_clients(rng, lines)
    clients += [Client(random_ip6(rng), rng.choice([None, "", random_host(rng)]),
                       rng.choice([None, "", "joe"])) for _ in range(4)]
    # A v4-mapped TCPREMOTEIP is looked up dotted by ours (difference (f)); keep it out here.
    clients = [c for c in dedupe(clients) if not (c.ip or "").startswith("::ffff:")]
    return RulesFile(f"v6-{index:03d}", join_lines(rng, lines), clients)


def ipv6_corpus(seed: int, count: int) -> list[RulesFile]:
    rng = random.Random(seed)
    return [ipv6_file(rng, i) for i in range(count)]
