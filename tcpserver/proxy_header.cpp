#include "tcpserver/proxy_header.h"

#include <algorithm>
#include <optional>

#include "rules/base/scan_ulong.h"

namespace ucspi {
namespace {

constexpr std::string_view v1_signature = "PROXY ";
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

constexpr std::size_t v2_inet_length = 12;   // two IPv4 addresses, two ports
constexpr std::size_t v2_inet6_length = 36;  // two IPv6 addresses, two ports
constexpr std::size_t tlv_head_length = 3;   // type, 16-bit length

ProxyParse need_more() { return ProxyParse{}; }

ProxyParse invalid(std::string_view reason) {
  ProxyParse out;
  out.status = ProxyParse::Status::invalid;
  out.reason = reason;
  return out;
}

ProxyParse done(const ProxyHeader& header) {
  ProxyParse out;
  out.status = ProxyParse::Status::done;
  out.header = header;
  return out;
}

// True while what we have could still grow into the signature.
bool prefix_of(std::string_view have, std::string_view signature) {
  return signature.substr(0, have.size()) == have.substr(0, signature.size());
}

// ---- version 1 ---------------------------------------------------------------------------

// The next space-separated field of a v1 line; empty when there is none or it is empty.
std::string_view next_field(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  const std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return field;
}

// Decimal 0..65535 as the spec writes it: no sign, no leading zero.
std::optional<std::uint16_t> parse_v1_port(std::string_view text) {
  const std::optional<unsigned long> value = parse_decimal(text, 65535);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

std::optional<ProxyPeer> parse_v1_address(std::string_view text, bool ipv6) {
  ProxyPeer peer;
  peer.ipv6 = ipv6;
  if (!ipv6) {
    const std::optional<Ip4> ip = parse_ip4(text);
    if (!ip) return std::nullopt;
    peer.ip4 = *ip;
    return peer;
  }
  // parse_ip6 takes any IPv6 text; a bare dotted quad is not one.
  if (text.find(':') == std::string_view::npos) return std::nullopt;
  const std::optional<Ip6> ip = parse_ip6(text);
  if (!ip) return std::nullopt;
  peer.ip6 = *ip;
  return peer;
}

// "TCP4 SRC DST SPORT DPORT" (or TCP6), the line without "PROXY " and the CRLF.
ProxyParse parse_v1_addresses(std::string_view rest, bool ipv6, ProxyHeader header) {
  const std::string_view src = next_field(rest);
  const std::string_view dst = next_field(rest);
  const std::string_view sport = next_field(rest);
  const std::string_view dport = rest;  // the last field: no space may follow it
  if (src.empty() || dst.empty() || sport.empty() || dport.empty())
    return invalid("v1 line with a missing field");
  if (dport.find(' ') != std::string_view::npos) return invalid("v1 line with an extra field");
  auto source = parse_v1_address(src, ipv6);
  auto destination = parse_v1_address(dst, ipv6);
  if (!source || !destination)
    return invalid(ipv6 ? "v1 TCP6 with a bad IPv6 address" : "v1 TCP4 with a bad IPv4 address");
  auto source_port = parse_v1_port(sport);
  auto destination_port = parse_v1_port(dport);
  if (!source_port || !destination_port) return invalid("v1 line with a bad port");
  source->port = *source_port;
  destination->port = *destination_port;
  header.command = ProxyHeader::Command::proxied;
  header.source = *source;
  header.destination = *destination;
  return done(header);
}

ProxyParse parse_v1(std::string_view bytes) {
  const std::size_t lf = bytes.substr(0, proxy_v1_max_length).find('\n');
  if (lf == std::string_view::npos) {
    if (bytes.size() >= proxy_v1_max_length) return invalid("v1 line longer than 107 bytes");
    // A CR anywhere but just before the LF would never end a valid line.
    const std::size_t cr = bytes.find('\r');
    if (cr != std::string_view::npos && cr + 1 < bytes.size())
      return invalid("v1 line with a CR not before its LF");
    return need_more();
  }
  if (lf == 0 || bytes[lf - 1] != '\r') return invalid("v1 line ending without CRLF");
  std::string_view line = bytes.substr(0, lf - 1);
  if (line.find('\r') != std::string_view::npos) return invalid("v1 line with a stray CR");
  ProxyHeader header;
  header.version = 1;
  header.length = lf + 1;
  line.remove_prefix(v1_signature.size());
  std::string_view rest = line;
  const std::string_view protocol = next_field(rest);
  // UNKNOWN: the spec says to ignore whatever follows it on the line.
  if (protocol == "UNKNOWN") return done(header);
  if (protocol == "TCP4") return parse_v1_addresses(rest, false, header);
  if (protocol == "TCP6") return parse_v1_addresses(rest, true, header);
  return invalid("v1 line with an unknown protocol");
}

// ---- version 2 ---------------------------------------------------------------------------

std::uint16_t read_be16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

// The TLVs after the addresses: each head and value inside the block, nothing left over.
bool tlvs_fit(std::string_view tlvs) {
  while (!tlvs.empty()) {
    if (tlvs.size() < tlv_head_length) return false;
    const std::size_t value_length = read_be16(tlvs, 1);
    if (tlvs.size() - tlv_head_length < value_length) return false;
    tlvs.remove_prefix(tlv_head_length + value_length);
  }
  return true;
}

ProxyPeer v2_peer(std::string_view block, std::size_t address_at, std::size_t port_at,
                  bool ipv6) {
  ProxyPeer peer;
  peer.ipv6 = ipv6;
  if (ipv6)
    std::copy_n(block.data() + address_at, peer.ip6.size(), peer.ip6.begin());
  else
    std::copy_n(block.data() + address_at, peer.ip4.size(), peer.ip4.begin());
  peer.port = read_be16(block, port_at);
  return peer;
}

// A PROXY command's address block (after the 16 fixed bytes) for family byte fam.
ProxyParse parse_v2_addresses(std::string_view block, unsigned fam, ProxyHeader header) {
  const unsigned family = fam >> 4;
  const unsigned transport = fam & 0x0f;
  if (family == 0 && transport == 0) return done(header);  // UNSPEC: addresses unknown
  if (family == 3) return invalid("v2 UNIX addresses are not served");
  if (family != 1 && family != 2) return invalid("v2 with an unknown address family");
  if (transport == 2) return invalid("v2 DGRAM (UDP) is not served");
  if (transport != 1) return invalid("v2 with an unknown transport");
  const bool ipv6 = family == 2;
  const std::size_t address_length = ipv6 ? v2_inet6_length : v2_inet_length;
  if (block.size() < address_length) return invalid("v2 block shorter than its addresses");
  if (!tlvs_fit(block.substr(address_length))) return invalid("v2 TLV overruns the block");
  const std::size_t ip_size = ipv6 ? 16 : 4;
  header.command = ProxyHeader::Command::proxied;
  header.source = v2_peer(block, 0, 2 * ip_size, ipv6);
  header.destination = v2_peer(block, ip_size, 2 * ip_size + 2, ipv6);
  return done(header);
}

ProxyParse parse_v2(std::string_view bytes) {
  if (bytes.size() < proxy_v2_fixed_length) return need_more();
  const auto ver_cmd = static_cast<unsigned char>(bytes[12]);
  const auto fam = static_cast<unsigned char>(bytes[13]);
  if ((ver_cmd >> 4) != 2) return invalid("v2 signature with an unknown version");
  const unsigned command = ver_cmd & 0x0f;
  if (command > 1) return invalid("v2 with an unknown command");
  ProxyHeader header;
  header.version = 2;
  header.length = proxy_v2_fixed_length + read_be16(bytes, 14);
  if (bytes.size() < header.length) return need_more();
  // LOCAL: the spec has the receiver discard the block, family and all.
  if (command == 0) {
    header.command = ProxyHeader::Command::local;
    return done(header);
  }
  const std::string_view block =
      bytes.substr(proxy_v2_fixed_length, header.length - proxy_v2_fixed_length);
  return parse_v2_addresses(block, fam, header);
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view bytes) {
  if (bytes.empty()) return need_more();
  if (bytes[0] == v1_signature[0]) {
    if (!prefix_of(bytes, v1_signature)) return invalid("no PROXY signature");
    if (bytes.size() < v1_signature.size()) return need_more();
    return parse_v1(bytes);
  }
  if (!prefix_of(bytes, v2_signature)) return invalid("no PROXY signature");
  if (bytes.size() < v2_signature.size()) return need_more();
  return parse_v2(bytes);
}

}  // namespace ucspi
