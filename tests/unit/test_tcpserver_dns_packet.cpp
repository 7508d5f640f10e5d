// DNS messages as djb's resolver reads them: names kept as labels until djb's todot, replies
// matched to their question, and every malformed or hostile packet refused without a crash.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <string>

#include "tcpserver/dns_packet.h"

using namespace ucspi;
using namespace std::string_literals;

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
  CHECK(numeric_ipv4_list("127.0.0.1") == "\x7f\0\0\1"s);
  CHECK(numeric_ipv4_list("1.2.3.4.5.6.7.8") == "\1\2\3\4\5\6\7\x08"s);
  CHECK(numeric_ipv4_list("1.2.3.4.5") == "\1\2\3\4"s);   // a short last group is dropped
  CHECK(numeric_ipv4_list("1.2.3") == ""s);                  // numeric, but no address
  CHECK(numeric_ipv4_list("383.0.0.1") == "\x7f\0\0\1"s);  // each byte mod 256
  CHECK(numeric_ipv4_list("1..2.3") == "\1\0\2\3"s);        // an empty byte is 0
  CHECK_FALSE(numeric_ipv4_list("127.0.0.1a"));
  CHECK_FALSE(numeric_ipv4_list("host.example"));
  CHECK_FALSE(numeric_ipv4_list("127\\0560.0.1"));           // an escape is not a digit
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
  CHECK(parse_dns_reply(reply(7, 0x0180, ptr_name, 12, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // a query, not a reply
  CHECK(parse_dns_reply(reply(7, 0x8180, "\001y\0"s, 12, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // another question
  CHECK(parse_dns_reply(reply(7, 0x8180, ptr_name, 1, 1, answer), 7, ptr_name, 12).status ==
        DnsReply::Status::foreign);  // another type
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
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    INFO("cut at " << cut);
    const DnsReply r = parse_dns_reply(good.substr(0, cut), 7, ptr_name, 12);
    CHECK(r.status != DnsReply::Status::answer);
  }
  // A pointer to itself: a loop, not a hang.
  const std::string loop = reply(7, 0x8180, ptr_name, 12, 1, record(12, "\xc0\x00"s));
  std::string looped = loop;
  const std::size_t rdata = looped.size() - 2;
  looped[rdata] = '\xc0';
  looped[rdata + 1] = static_cast<char>(rdata);
  CHECK(parse_dns_reply(looped, 7, ptr_name, 12).status == DnsReply::Status::malformed);
}
