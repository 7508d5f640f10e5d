// fehcom ucspi-tcp6's CIDR key encoding, so cdbs built by either tcprules work with our lookup.
//   IPv4 a.b.c.d/n -> '_' + n chars: bit i (from the top) is '0' when clear,
//                     "abcdefghijklmnopqrstuvwxyz123456"[i] when set.
//   IPv6 x::/n     -> '^' + n chars: '0' when clear; the k-th set bit is the char 0x60 + k.
// Both encodings are prefix-closed: the key of /n is the first 1+n bytes of the key of /32 (/128).
#pragma once

#include <string>

#include "rules/base/ip_address.h"

namespace ucspi {

inline constexpr char cidr_v4_marker = '_';
inline constexpr char cidr_v6_marker = '^';

std::string cidr_key_v4(const Ip4& ip, unsigned prefix);
std::string cidr_key_v6(const Ip6& ip, unsigned prefix);

}  // namespace ucspi
