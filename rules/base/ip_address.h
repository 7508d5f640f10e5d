// Binary IP addresses and the text forms each peer uses for them:
//   dotted quad (djb), fefe's ip6_fmt (rules keys and TCP6* variables of the fefe build),
//   RFC 5952 (roaming-store keys), fehcom's expanded uppercase (ucspi-tcp6 rules keys).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ucspi {

using Ip4 = std::array<std::uint8_t, 4>;
using Ip6 = std::array<std::uint8_t, 16>;

// Strict a.b.c.d, four decimal parts 0..255 without leading zeros.
std::optional<Ip4> parse_ip4(std::string_view text);
// One to four decimal parts, missing ones are zero, a trailing dot allowed ("10", "127.", "10.1").
// Only for the network part of CIDR rules, where admins write short forms.
std::optional<Ip4> parse_ip4_network(std::string_view text);
// Any IPv6 text form, including an embedded dotted quad tail.
std::optional<Ip6> parse_ip6(std::string_view text);

bool is_v4_mapped(const Ip6& ip);
Ip4 v4_of_mapped(const Ip6& ip);
Ip6 mapped_of_v4(const Ip4& ip);

std::string format_ip4(const Ip4& ip);
// fefe's ip6_fmt: the longest zero run (first on a tie, even a single group) becomes "::";
// a dotted tail only for v4-mapped addresses.
std::string format_ip6_fefe(const Ip6& ip);
// RFC 5952: like fefe's but a single zero group is not compressed.
std::string format_ip6_rfc5952(const Ip6& ip);
// fehcom's ip6_fmt_str: eight groups of four uppercase hex digits.
std::string format_ip6_expanded(const Ip6& ip);

// The canonical text of an address for keys that must compare equal across peers:
// v4-mapped becomes the dotted quad, IPv6 becomes RFC 5952, garbage gives nullopt.
std::optional<std::string> canonical_ip_text(std::string_view text);

}  // namespace ucspi
