// DNS messages as djb's resolver reads them: names kept as labels until djb's todot, replies
// matched to their question, and every malformed or hostile packet refused without a crash.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "tcpserver/dns_packet.h"

using namespace ucspi;
using namespace std::string_literals;
using Records = std::vector<std::string>;

namespace {

std::string u16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// A reply to dns_query(id, name, type): flags, then the question, then answers as given.
std::string reply(unsigned id, unsigned flags, const std::string& name, unsigned type,
                  unsigned count, const std::string& answers) {
  return u16(id) + u16(flags) + u16(1) + u16(count) + u16(0) + u16(0) + name + u16(type) +
         u16(1) + answers;
}

// One answer record owned by the question's name (a pointer to offset 12).
std::string record(unsigned type, const std::string& rdata) {
  return "\xc0\x0c"s + u16(type) + u16(1) + "\0\0\0\x3c"s + u16(static_cast<unsigned>(rdata.size())) +
         rdata;
}

const std::string ptr_name = "\0011\0010\0010\003127\007in-addr\004arpa\0"s;

}  // namespace

TEST_CASE("dns: reverse names for IPv4 and IPv6", "[tcpserver][dns]") {
  in_addr v4{};
  ::inet_pton(AF_INET, "127.0.0.1", &v4);
  CHECK(reverse_name(v4) == ptr_name);
  in6_addr v6{};
  ::inet_pton(AF_INET6, "2001:db8::1", &v6);
  CHECK(dotted_name(reverse_name(v6)) ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("dns: djb's todot escapes every byte but a-z 0-9 - _ and lowercases", "[tcpserver][dns]") {
  CHECK(dotted_name("\004Host\007Example\0"s) == "host.example");
  CHECK(dotted_name("\011a\nb\rc\x1b" "d\0e\007example\003com\0"s) == "a\\012b\\015c\\033d\\000e.example.com");
  CHECK(dotted_name("\011evil.com\0\001x\0"s) == "evil\\056com\\000.x");
  CHECK(dotted_name("\003a_b\003c-d\0"s) == "a_b.c-d");
  CHECK(dotted_name("\0"s) == ".");
}

TEST_CASE("dns: fromdot reads the escapes back into the labels they came from", "[tcpserver][dns]") {
  CHECK(wire_name("host.example") == "\004host\007example\0"s);
  CHECK(wire_name("evil\\056com\\000.x") == "\011evil.com\0\001x\0"s);
  CHECK(wire_name(dotted_name("\011a\nb\rc\x1b" "d\0e\001x\0"s)) == "\011a\nb\rc\x1b" "d\0e\001x\0"s);
  CHECK_FALSE(wire_name("a..b"));
  CHECK_FALSE(wire_name(std::string(64, 'a')));
  CHECK(wire_name(std::string(63, 'a')));
}

TEST_CASE("dns: a numeric name is its own addresses, as djb's dns_ip4 reads it", "[tcpserver][dns]") {
  CHECK(numeric_ipv4_list("127.0.0.1") == Records{"\x7f\0\0\1"s});
  CHECK(numeric_ipv4_list("1.2.3.4.5.6.7.8") == Records{"\1\2\3\4"s, "\5\6\7\x08"s});
  CHECK(numeric_ipv4_list("1.2.3.4.5") == Records{"\1\2\3\4"s});  // a short last group is dropped
  CHECK(numeric_ipv4_list("1.2.3") == Records{});  // numeric, but no address
  CHECK(numeric_ipv4_list("383.0.0.1") == Records{"\x7f\0\0\1"s});  // each byte mod 256
  CHECK(numeric_ipv4_list("1..2.3") == Records{"\1\0\2\3"s});  // an empty byte is 0
  CHECK_FALSE(numeric_ipv4_list("127.0.0.1a"));
  CHECK_FALSE(numeric_ipv4_list("host.example"));
  CHECK_FALSE(numeric_ipv4_list("127\\0560.0.1"));  // an escape is not a digit
}

TEST_CASE("dns: a PTR reply gives its target, compression followed", "[tcpserver][dns]") {
  const std::string target = "\004host\007example\0"s;
  DnsReply r = parse_dns_reply(reply(7, 0x8180, ptr_name, dns_type_ptr, 1, record(12, target)), 7,
                               ptr_name, dns_type_ptr);
  REQUIRE(r.status == DnsReply::Status::answer);
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0] == target);

  // The target "mail" + a pointer back to "in-addr.arpa" in the question.
  const std::string compressed = "\004mail\xc0\x16"s;
  r = parse_dns_reply(reply(7, 0x8180, ptr_name, dns_type_ptr, 1, record(12, compressed)), 7,
                      ptr_name, dns_type_ptr);
  REQUIRE(r.records.size() == 1);
  CHECK(dotted_name(r.records[0]) == "mail.in-addr.arpa");
}

TEST_CASE("dns: replies that are not to this question are ignored", "[tcpserver][dns]") {
  const std::string answer = record(12, "\001x\0"s);
  CHECK(parse_dns_reply(reply(8, 0x8180, ptr_name, 12, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // another id
  CHECK(parse_dns_reply(reply(7, 0x8180, ptr_name, 12, 1, answer).substr(0, 11), 7, ptr_name,
                        12).status == DnsReply::Status::foreign);  // shorter than a header
  std::string none = reply(7, 0x8180, ptr_name, 12, 1, answer);
  none[5] = 0;
  CHECK(parse_dns_reply(none, 7, ptr_name, 12).status == DnsReply::Status::foreign);  // no question
  CHECK(parse_dns_reply(reply(7, 0x8180, "\001y\0"s, 12, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // another question
  CHECK(parse_dns_reply(reply(7, 0x8180, ptr_name, 1, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // another type
}

TEST_CASE("dns: QR and the opcode are not looked at: the id and the question make the reply",
          "[tcpserver][dns]") {
  // djb's irrelevant() checks the id, one question and that question, nothing else of the
  // header: a reply without QR, or with another opcode, is the reply (we ignored both, and
  // waited out 15 s of timeouts for no name where djb's named the client at once).
  const std::string target = "\004host\007example\0"s;
  for (const unsigned flags : {0x0180u, 0x1180u, 0x9180u, 0x7980u}) {
    INFO("flags " << flags);
    const DnsReply r = parse_dns_reply(reply(7, flags, ptr_name, 12, 1, record(12, target)), 7,
                                       ptr_name, 12);
    CHECK(r.status == DnsReply::Status::answer);
    CHECK(r.records == std::vector<std::string>{target});
  }
}

TEST_CASE("dns: truncated asks for TCP, SERVFAIL and REFUSED for another server, NXDOMAIN is an "
          "answer", "[tcpserver][dns]") {
  CHECK(parse_dns_reply(reply(7, 0x8380, ptr_name, 12, 0, ""), 7, ptr_name, 12).status ==
        DnsReply::Status::truncated);
  CHECK(parse_dns_reply(reply(7, 0x8182, ptr_name, 12, 0, ""), 7, ptr_name, 12).status ==
        DnsReply::Status::server_failed);
  CHECK(parse_dns_reply(reply(7, 0x8185, ptr_name, 12, 0, ""), 7, ptr_name, 12).status ==
        DnsReply::Status::server_failed);
  DnsReply nx = parse_dns_reply(reply(7, 0x8183, ptr_name, 12, 0, ""), 7, ptr_name, 12);
  CHECK(nx.status == DnsReply::Status::answer);
  CHECK(nx.records.empty());
}

TEST_CASE("dns: A and AAAA answers of the wrong size are skipped, records of other types too",
          "[tcpserver][dns]") {
  const std::string name = "\001x\0"s;
  const std::string answers = record(1, "\x7f\0\0\x01"s) + record(1, "\x7f\0\0"s) +
                              record(28, std::string(16, '\1')) + record(5, "\001y\0"s);
  DnsReply a = parse_dns_reply(reply(7, 0x8180, name, 1, 4, answers), 7, name, 1);
  REQUIRE(a.status == DnsReply::Status::answer);
  CHECK(a.records == std::vector<std::string>{"\x7f\0\0\x01"s});
}

TEST_CASE("dns: malformed replies are refused, never read past their end", "[tcpserver][dns]") {
  const std::string good = reply(7, 0x8180, ptr_name, 12, 1, record(12, "\001x\0"s));
  const std::size_t answers_at = good.size() - record(12, "\001x\0"s).size();
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    INFO("cut at " << cut);
    const DnsReply r = parse_dns_reply(good.substr(0, cut), 7, ptr_name, 12);
    // Cut in the header or the question: not a reply to this query (djb's waits on). Cut in
    // the answers: the reply, with nothing in it (djb's gives no name, asks no one again).
    CHECK(r.status == (cut < answers_at ? DnsReply::Status::foreign : DnsReply::Status::malformed));
    CHECK(r.records.empty());
  }
  // A pointer to itself: a loop, not a hang.
  const std::string loop = reply(7, 0x8180, ptr_name, 12, 1, record(12, "\xc0\x00"s));
  std::string looped = loop;
  const std::size_t rdata = looped.size() - 2;
  looped[rdata] = '\xc0';
  looped[rdata + 1] = static_cast<char>(rdata);
  CHECK(parse_dns_reply(looped, 7, ptr_name, 12).status == DnsReply::Status::malformed);
}

namespace {

// An answer record owned by a name given in wire form (or a raw pointer).
std::string owned(const std::string& owner, unsigned type, const std::string& rdata) {
  return owner + u16(type) + u16(1) + "\0\0\0\x3c"s + u16(static_cast<unsigned>(rdata.size())) +
         rdata;
}

// A PTR reply whose target is "chain.example" reached through `hops` pointers, each pointing at
// the one before (the PTR's rdata is one more): held in a record of type 99 before the PTR.
std::string chained(unsigned hops) {
  const std::string head = reply(7, 0x8180, ptr_name, 12, 2, "");
  const std::size_t start = head.size() + 12;  // the type 99 record's rdata
  std::string body = "\005chain\007example\0"s;
  std::size_t previous = start;
  for (unsigned i = 0; i < hops; ++i) {
    const std::size_t here = start + body.size();
    body += static_cast<char>(0xc0 | (previous >> 8));
    body += static_cast<char>(previous & 0xff);
    previous = here;
  }
  std::string last{static_cast<char>(0xc0 | (previous >> 8)), static_cast<char>(previous & 0xff)};
  return head + record(99, body) + record(12, last);
}

}  // namespace

TEST_CASE("dns: owners are never compared: a PTR through a CNAME (RFC 2317) is the answer",
          "[tcpserver][dns]") {
  // 1.0.0.127.in-addr.arpa CNAME 1.0/25.0.0.127.in-addr.arpa, then the PTR the CNAME's target
  // owns: djb's dns_name_packet takes the first PTR record of the answer, whoever owns it.
  const std::string classless = "\0011\0040/25\0010\0010\003127\007in-addr\004arpa\0"s;
  const std::string target = "\011classless\007example\0"s;
  const DnsReply r = parse_dns_reply(
      reply(7, 0x8180, ptr_name, 12, 2, record(5, classless) + owned(classless, 12, target)), 7,
      ptr_name, 12);
  CHECK(r.status == DnsReply::Status::answer);
  CHECK(r.records == std::vector<std::string>{target});
  // A CNAME loop, or a CNAME alone: an answer with no PTR in it.
  const DnsReply loop = parse_dns_reply(
      reply(7, 0x8180, ptr_name, 12, 2, record(5, classless) + owned(classless, 5, ptr_name)), 7,
      ptr_name, 12);
  CHECK(loop.status == DnsReply::Status::answer);
  CHECK(loop.records.empty());
}

TEST_CASE("dns: a PTR reply is read up to its first PTR and no further, as djb's",
          "[tcpserver][dns]") {
  const std::string first = "\005first\007example\0"s;
  const std::string second = "\006second\007example\0"s;
  const std::string both =
      reply(7, 0x8180, ptr_name, 12, 2, record(12, first) + record(12, second));
  DnsReply r = parse_dns_reply(both, 7, ptr_name, 12);
  CHECK(r.records == std::vector<std::string>{first});
  // Cut inside the second record, no TC: djb's names the client from the first (we refused the
  // whole reply, asked twice more, and gave no name).
  for (std::size_t cut = both.size() - record(12, second).size(); cut < both.size(); ++cut) {
    INFO("cut at " << cut);
    r = parse_dns_reply(both.substr(0, cut), 7, ptr_name, 12);
    CHECK(r.status == DnsReply::Status::answer);
    CHECK(r.records == std::vector<std::string>{first});
  }
  // An owner is skipped, not read: a pointer is two bytes wherever it points (djb's
  // dns_packet_skipname), here past the packet's end.
  r = parse_dns_reply(reply(7, 0x8180, ptr_name, 12, 1, owned("\xc0\xff"s, 12, first)), 7,
                      ptr_name, 12);
  CHECK(r.records == std::vector<std::string>{first});
  // The PTR's name is read where its rdata starts, whatever its rdlength says.
  std::string long_rdata = reply(7, 0x8180, ptr_name, 12, 1, record(12, first));
  long_rdata[long_rdata.size() - first.size() - 2] = '\xff';
  long_rdata[long_rdata.size() - first.size() - 1] = '\xff';
  r = parse_dns_reply(long_rdata, 7, ptr_name, 12);
  CHECK(r.records == std::vector<std::string>{first});
  // An unreadable PTR is the end: djb's gives no name, and neither reads a later one.
  r = parse_dns_reply(
      reply(7, 0x8180, ptr_name, 12, 2, record(12, "\x80\x01"s) + record(12, second)), 7,
      ptr_name, 12);
  CHECK(r.status == DnsReply::Status::malformed);
  CHECK(r.records.empty());
}

TEST_CASE("dns: a name takes at most djb's 1000 steps to read, pointers included",
          "[tcpserver][dns]") {
  // djb's dns_packet_getname counts each label length byte, label byte and pointer, and gives
  // up at 1000: "chain.example" is 15 steps, so 984 pointers read and 985 do not (measured
  // against djb's tcpserver over TCP: 983 chained pointers name the client, 984 do not). We
  // stopped at 128 pointers.
  const std::string target = "\005chain\007example\0"s;
  DnsReply r = parse_dns_reply(chained(983), 7, ptr_name, 12);
  CHECK(r.status == DnsReply::Status::answer);
  CHECK(r.records == std::vector<std::string>{target});
  r = parse_dns_reply(chained(984), 7, ptr_name, 12);
  CHECK(r.status == DnsReply::Status::malformed);
  CHECK(r.records.empty());
}

TEST_CASE("dns: A answers through a CNAME count; an unreadable A answer gives none",
          "[tcpserver][dns]") {
  const std::string alias = "\005alias\007example\0"s;
  const std::string real = "\004real\007example\0"s;
  DnsReply r = parse_dns_reply(
      reply(7, 0x8180, alias, 1, 2, record(5, real) + owned(real, 1, "\x7f\0\0\x01"s)), 7,
      alias, 1);
  CHECK(r.status == DnsReply::Status::answer);
  CHECK(r.records == std::vector<std::string>{"\x7f\0\0\x01"s});
  // djb's dns_ip4_packet fails as a whole when any record cannot be read: no address at all,
  // not the ones before it.
  const std::string two = reply(7, 0x8180, alias, 1, 2, record(1, "\x7f\0\0\x01"s) +
                                                        record(1, "\x7f\0\0\x02"s));
  r = parse_dns_reply(two.substr(0, two.size() - 3), 7, alias, 1);
  CHECK(r.status == DnsReply::Status::malformed);
  CHECK(r.records.empty());
  // A last record of another type whose rdata runs past the end is never read: no harm.
  const std::string past = reply(7, 0x8180, alias, 1, 2, record(1, "\x7f\0\0\x01"s)) +
                           "\xc0\x0c"s + u16(16) + u16(1) + "\0\0\0\x3c"s + u16(0xffff) + "x";
  r = parse_dns_reply(past, 7, alias, 1);
  CHECK(r.status == DnsReply::Status::answer);
  CHECK(r.records == std::vector<std::string>{"\x7f\0\0\x01"s});
}
