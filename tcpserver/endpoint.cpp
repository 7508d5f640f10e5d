#include "tcpserver/endpoint.h"

#include <cstring>

#include "rules/base/ip_address.h"

namespace ucspi {

bool ipv4_of(const sockaddr_storage& addr, in_addr& out) {
  if (addr.ss_family == AF_INET) {
    out = reinterpret_cast<const sockaddr_in&>(addr).sin_addr;
    return true;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
    Ip6 ip;
    std::memcpy(ip.data(), &a6.sin6_addr, 16);
    if (!is_v4_mapped(ip)) return false;
    std::memcpy(&out, ip.data() + 12, 4);
    return true;
  }
  return false;
}

bool present_endpoint(const sockaddr_storage& addr, bool v4_as_mapped, Endpoint& out) {
  out = Endpoint{};
  if (addr.ss_family == AF_INET) {
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(addr);
    Ip4 ip;
    std::memcpy(ip.data(), &a4.sin_addr, 4);
    out.port = ntohs(a4.sin_port);
    out.canonical = format_ip4(ip);
    out.ipv6 = v4_as_mapped;
    out.ip = v4_as_mapped ? format_ip6_fefe(mapped_of_v4(ip)) : out.canonical;
    return true;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
    Ip6 ip;
    std::memcpy(ip.data(), &a6.sin6_addr, 16);
    out.port = ntohs(a6.sin6_port);
    out.scope_id = a6.sin6_scope_id;
    const bool mapped = is_v4_mapped(ip);
    out.canonical = mapped ? format_ip4(v4_of_mapped(ip)) : format_ip6_rfc5952(ip);
    out.ipv6 = !mapped || v4_as_mapped;
    out.ip = out.ipv6 ? format_ip6_fefe(ip) : out.canonical;
    return true;
  }
  return false;
}

}  // namespace ucspi
