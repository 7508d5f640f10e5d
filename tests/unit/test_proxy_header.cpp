// The PROXY protocol header parser (tcpserver/proxy_header.h), table-driven in the manner of
// Postfix's haproxy_srvr_test.c: each row is a header as bytes and what it must read as. Every
// row that parses is also checked one byte short (need more, never a verdict) and with one byte
// of application data after it (the same header, the extra byte not counted in its length).
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rules/base/ip_address.h"
#include "tcpserver/proxy_header.h"

using namespace ucspi;
using namespace std::string_literals;
using Status = ProxyParse::Status;
using Command = ProxyHeader::Command;

namespace {

const std::string v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string be16(unsigned value) {
  return {static_cast<char>((value >> 8) & 0xff), static_cast<char>(value & 0xff)};
}

// A v2 header: signature, version/command byte, family byte, the block's length, the block.
std::string v2(unsigned ver_cmd, unsigned fam, const std::string& block) {
  return v2_signature + static_cast<char>(ver_cmd) + static_cast<char>(fam) +
         be16(static_cast<unsigned>(block.size())) + block;
}

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out += static_cast<char>(v);
  return out;
}

// 192.0.2.1:56324 -> 198.51.100.2:25, the row every v4 form is checked against.
const std::string inet_block = bytes({192, 0, 2, 1, 198, 51, 100, 2}) + be16(56324) + be16(25);
// 2001:db8::1:56324 -> 2001:db8::2:25
const std::string inet6_block = bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                                       0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}) +
                                be16(56324) + be16(25);

std::string tlv(unsigned type, const std::string& value) {
  return static_cast<char>(type) + be16(static_cast<unsigned>(value.size())) + value;
}

std::string text_of(const ProxyPeer& p) {
  return (p.ipv6 ? format_ip6_rfc5952(p.ip6) : format_ip4(p.ip4)) + " " + std::to_string(p.port);
}

struct Row {
  const char* name;
  std::string input;
  Status status;
  Command command = Command::unknown;
  std::string source = "";       // "IP PORT" when proxied
  std::string destination = "";  // "IP PORT" when proxied
  int version = 0;
};

Row ok4(const char* name, std::string input, int version) {
  return {name, std::move(input), Status::done, Command::proxied, "192.0.2.1 56324",
          "198.51.100.2 25", version};
}
Row ok6(const char* name, std::string input, int version) {
  return {name, std::move(input), Status::done, Command::proxied, "2001:db8::1 56324",
          "2001:db8::2 25", version};
}
Row bad(const char* name, std::string input) { return {name, std::move(input), Status::invalid}; }
Row none(const char* name, std::string input, Command command, int version) {
  return {name, std::move(input), Status::done, command, "", "", version};
}

const std::string v1_4 = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n";
const std::string v1_6 = "PROXY TCP6 2001:db8::1 2001:db8::2 56324 25\r\n";

std::vector<Row> rows() {
  return {
      // v1, the forms HAProxy sends
      ok4("v1 TCP4", v1_4, 1),
      ok6("v1 TCP6", v1_6, 1),
      {"v1 TCP6 v4-mapped", "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:198.51.100.2 56324 25\r\n",
       Status::done, Command::proxied, "::ffff:192.0.2.1 56324", "::ffff:198.51.100.2 25", 1},
      {"v1 TCP4 ports 0 and 65535", "PROXY TCP4 192.0.2.1 198.51.100.2 0 65535\r\n",
       Status::done, Command::proxied, "192.0.2.1 0", "198.51.100.2 65535", 1},
      none("v1 UNKNOWN", "PROXY UNKNOWN\r\n", Command::unknown, 1),
      none("v1 UNKNOWN with addresses ignored", "PROXY UNKNOWN ::1 ::1 1 2\r\n", Command::unknown,
           1),
      none("v1 UNKNOWN of exactly 107 bytes", "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n",
           Command::unknown, 1),
      // v1, every field missing in turn
      bad("v1 no protocol", "PROXY \r\n"),
      bad("v1 TCP4 and nothing else", "PROXY TCP4\r\n"),
      bad("v1 no destination port", "PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n"),
      bad("v1 no ports", "PROXY TCP4 192.0.2.1 198.51.100.2\r\n"),
      bad("v1 no destination", "PROXY TCP4 192.0.2.1\r\n"),
      bad("v1 empty source", "PROXY TCP4  198.51.100.2 56324 25\r\n"),
      bad("v1 empty destination port", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 \r\n"),
      bad("v1 extra field", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25 7\r\n"),
      // v1, numbers
      bad("v1 leading zero in source port", "PROXY TCP4 192.0.2.1 198.51.100.2 056324 25\r\n"),
      bad("v1 leading zero in destination port", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 025\r\n"),
      bad("v1 leading zero in an octet", "PROXY TCP4 192.0.2.01 198.51.100.2 56324 25\r\n"),
      bad("v1 port 65536", "PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n"),
      bad("v1 port 99999", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 99999\r\n"),
      bad("v1 six-digit port", "PROXY TCP4 192.0.2.1 198.51.100.2 100000 25\r\n"),
      bad("v1 negative port", "PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n"),
      bad("v1 signed port", "PROXY TCP4 192.0.2.1 198.51.100.2 +25 25\r\n"),
      bad("v1 octet 256", "PROXY TCP4 192.0.2.256 198.51.100.2 56324 25\r\n"),
      bad("v1 short IPv4", "PROXY TCP4 192.0.2 198.51.100.2 56324 25\r\n"),
      // v1, families and form
      bad("v1 TCP4 with IPv6 addresses", "PROXY TCP4 2001:db8::1 2001:db8::2 56324 25\r\n"),
      bad("v1 TCP6 with IPv4 addresses", "PROXY TCP6 192.0.2.1 198.51.100.2 56324 25\r\n"),
      bad("v1 TCP4 with v4-mapped addresses",
          "PROXY TCP4 ::ffff:192.0.2.1 ::ffff:198.51.100.2 56324 25\r\n"),
      bad("v1 bad IPv6", "PROXY TCP6 2001:db8:::1 2001:db8::2 56324 25\r\n"),
      bad("v1 UDP4", "PROXY UDP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
      bad("v1 lower-case protocol", "PROXY tcp4 192.0.2.1 198.51.100.2 56324 25\r\n"),
      bad("v1 UNKNOWN glued", "PROXY UNKNOWNX\r\n"),
      bad("v1 lower-case signature", "proxy TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
      bad("v1 no space after PROXY", "PROXYTCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
      bad("v1 LF without CR", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\n"),
      bad("v1 CR inside the line", "PROXY TCP4 192.0.2.1\r198.51.100.2 56324 25\r\n"),
      bad("v1 CR CR LF", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\r\n"),
      bad("v1 of 108 bytes", "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n"),
      bad("v1 without an end, 107 bytes", "PROXY UNKNOWN " + std::string(93, 'x')),
      bad("not a header at all", "EHLO example.org\r\n"),
      bad("SMTP's QUIT", "QUIT\r\n"),
      // v2, the same addresses
      ok4("v2 TCP4", v2(0x21, 0x11, inet_block), 2),
      ok6("v2 TCP6", v2(0x21, 0x21, inet6_block), 2),
      ok4("v2 TCP4 with TLVs skipped",
          v2(0x21, 0x11, inet_block + tlv(0x01, "smtp") + tlv(0x04, "") + tlv(0xee, "x")), 2),
      ok4("v2 TCP4 with a TLV of 300 bytes",
          v2(0x21, 0x11, inet_block + tlv(0x04, std::string(300, '\0'))), 2),
      ok6("v2 TCP6 with a TLV", v2(0x21, 0x21, inet6_block + tlv(0x02, "mx.example.org")), 2),
      none("v2 LOCAL", v2(0x20, 0x00, ""), Command::local, 2),
      none("v2 LOCAL with a block it discards", v2(0x20, 0x11, inet_block + "\xff"),
           Command::local, 2),
      none("v2 PROXY UNSPEC", v2(0x21, 0x00, ""), Command::unknown, 2),
      // v2, refused
      bad("v2 UNIX stream", v2(0x21, 0x31, std::string(216, '\0'))),
      bad("v2 UNIX datagram", v2(0x21, 0x32, std::string(216, '\0'))),
      bad("v2 UDP4", v2(0x21, 0x12, inet_block)),
      bad("v2 UDP6", v2(0x21, 0x22, inet6_block)),
      bad("v2 INET with transport UNSPEC", v2(0x21, 0x10, inet_block)),
      bad("v2 family 4", v2(0x21, 0x41, inet_block)),
      bad("v2 version 1", v2(0x11, 0x11, inet_block)),
      bad("v2 version 3", v2(0x31, 0x11, inet_block)),
      bad("v2 command 2", v2(0x22, 0x11, inet_block)),
      bad("v2 TCP4 block one byte short", v2(0x21, 0x11, inet_block.substr(0, 11))),
      bad("v2 TCP6 block one byte short", v2(0x21, 0x21, inet6_block.substr(0, 35))),
      bad("v2 TCP6 flag with IPv4 addresses", v2(0x21, 0x21, inet_block)),
      bad("v2 one stray byte after the addresses", v2(0x21, 0x11, inet_block + "\x04")),
      bad("v2 TLV head cut", v2(0x21, 0x11, inet_block + bytes({0x04, 0x00}))),
      bad("v2 TLV value one byte short", v2(0x21, 0x11, inet_block + tlv(0x04, "abc").substr(0, 5))),
      bad("v2 TLV value one byte too long",
          v2(0x21, 0x11, inet_block + tlv(0x04, "abc") + "d")),
      bad("v2 TLV claiming 65535 bytes", v2(0x21, 0x11, inet_block + "\x04\xff\xff" + "abc")),
      bad("v2 signature with one byte wrong", "\r\n\r\n\0\r\nQUIt\n"s + "\x21\x11" + be16(12) +
                                                   inet_block),
  };
}

void check_row(const Row& row, const ProxyParse& got) {
  INFO(row.name);
  REQUIRE(got.status == row.status);
  if (row.status == Status::invalid) {
    CHECK(!got.reason.empty());
    return;
  }
  CHECK(got.header.version == row.version);
  CHECK(got.header.command == row.command);
  CHECK(got.header.length == row.input.size());
  if (row.command != Command::proxied) return;
  CHECK(text_of(got.header.source) == row.source);
  CHECK(text_of(got.header.destination) == row.destination);
}

}  // namespace

TEST_CASE("proxy header: each row reads as its table says", "[proxy]") {
  for (const Row& row : rows()) check_row(row, parse_proxy_header(row.input));
}

TEST_CASE("proxy header: a valid header one byte short needs more, at every cut", "[proxy]") {
  for (const Row& row : rows()) {
    if (row.status != Status::done) continue;
    for (std::size_t cut = 0; cut < row.input.size(); ++cut) {
      INFO(row.name << " cut at " << cut);
      CHECK(parse_proxy_header(std::string_view(row.input).substr(0, cut)).status ==
            Status::need_more);
    }
  }
}

TEST_CASE("proxy header: bytes after a header are the client's, not the header's", "[proxy]") {
  for (const Row& row : rows()) {
    if (row.status != Status::done) continue;
    for (const std::string& extra : {"E"s, "\r\n"s, "EHLO x\r\n"s, "\n"s, "\0"s}) {
      const ProxyParse got = parse_proxy_header(row.input + extra);
      check_row(row, got);
    }
  }
}

TEST_CASE("proxy header: v1 and v2 of the same address read the same", "[proxy]") {
  const std::pair<std::string, std::string> pairs[] = {{v1_4, v2(0x21, 0x11, inet_block)},
                                                       {v1_6, v2(0x21, 0x21, inet6_block)}};
  for (const auto& [one, two] : pairs) {
    const ProxyParse v1 = parse_proxy_header(one);
    const ProxyParse v2 = parse_proxy_header(two);
    REQUIRE(v1.status == Status::done);
    REQUIRE(v2.status == Status::done);
    CHECK(v1.header.source == v2.header.source);
    CHECK(v1.header.destination == v2.header.destination);
  }
}

TEST_CASE("proxy header: an invalid prefix is refused before the header could end", "[proxy]") {
  // The reader need not wait for a timeout on bytes that can never become a header.
  CHECK(parse_proxy_header("G").status == Status::invalid);
  CHECK(parse_proxy_header("PROXI").status == Status::invalid);
  CHECK(parse_proxy_header("\r\n\r\n\0\r"s).status == Status::need_more);
  CHECK(parse_proxy_header("\r\n\r\n\1"s).status == Status::invalid);
  CHECK(parse_proxy_header("PROXY TCP4 1.2.3.4\r5").status == Status::invalid);
}

TEST_CASE("proxy header: a v2 header of the largest length is read whole", "[proxy]") {
  const std::string block = inet_block + tlv(0x04, std::string(65535 - 12 - 3, 'v'));
  const std::string header = v2(0x21, 0x11, block);
  REQUIRE(header.size() == proxy_v2_max_length);
  const ProxyParse got = parse_proxy_header(header + "DATA");
  REQUIRE(got.status == Status::done);
  CHECK(got.header.length == proxy_v2_max_length);
  CHECK(parse_proxy_header(std::string_view(header).substr(0, header.size() - 1)).status ==
        Status::need_more);
}
