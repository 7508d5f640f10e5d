// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a trusted load
// balancer (-y) sends before the client's first byte, parsed from the bytes read so far. No I/O:
// proxy_reader.h reads, this only judges. need_more promises that every byte given is part of
// the header, so the reader may consume all of them without eating an application byte.
//
// Served: v1 TCP4, TCP6 and UNKNOWN; v2 PROXY over INET or INET6 STREAM, v2 PROXY with an
// UNSPEC family, v2 LOCAL (TLVs after the addresses are walked, each length checked, and
// skipped). Refused: v2 UNIX and DGRAM, and anything malformed.
// v1 is strict: single spaces, no leading zeros in ports or IPv4 octets (inet_pton, which
// HAProxy uses, refuses those octets too), ports 0..65535, TCP4 with IPv4 text only, TCP6 with
// IPv6 text only (a v4-mapped ::ffff:a.b.c.d is IPv6 text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/base/ip_address.h"

namespace ucspi {

// A v1 line may be 107 bytes with its CRLF; a v2 header 16 fixed bytes and up to 65535 more.
inline constexpr std::size_t proxy_v1_max_length = 107;
inline constexpr std::size_t proxy_v2_fixed_length = 16;
inline constexpr std::size_t proxy_v2_max_length = proxy_v2_fixed_length + 65535;

struct ProxyPeer {
  bool ipv6 = false;
  Ip4 ip4{};  // when !ipv6
  Ip6 ip6{};  // when ipv6
  std::uint16_t port = 0;
  bool operator==(const ProxyPeer&) const = default;
};

struct ProxyHeader {
  // proxied: source and destination are the client's connection. unknown (v1 UNKNOWN, v2 PROXY
  // with an UNSPEC family) and local (v2 LOCAL, the balancer's own health checks): no client
  // addresses; the connection is served as the balancer's own.
  enum class Command { proxied, unknown, local };
  int version = 0;  // 1 or 2
  Command command = Command::unknown;
  ProxyPeer source;       // when proxied
  ProxyPeer destination;  // when proxied
  std::size_t length = 0;  // bytes of the header, CRLF or TLVs included
};

struct ProxyParse {
  enum class Status { need_more, invalid, done };
  Status status = Status::need_more;
  std::string_view reason;  // invalid: why, a static text for the log line
  ProxyHeader header;       // done
};

ProxyParse parse_proxy_header(std::string_view bytes);

}  // namespace ucspi
