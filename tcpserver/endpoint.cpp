#include "tcpserver/endpoint.h"

#include <cstring>

#include "rules/client_ip.h"
#include "tcpserver/socket_address.h"

namespace ucspi {

bool ipv4_of(const sockaddr_storage& addr, in_addr& out) {
  if (is_v4(addr)) {
    out = as_v4(addr).sin_addr;
    return true;
  }
  if (is_v6(addr)) {
    const Ip6 ip = ip6_of(as_v6(addr));
    if (!is_v4_mapped(ip)) return false;
    std::memcpy(&out, ip.data() + 12, 4);
    return true;
  }
  return false;
}

bool present_endpoint(const sockaddr_storage& addr, bool v4_as_mapped, Endpoint& out) {
  out = Endpoint{};
  if (is_v4(addr)) {
    const Ip4 ip = ip4_of(as_v4(addr));
    out.port = port_of(addr);
    out.canonical = format_ip4(ip);
    out.ipv6 = v4_as_mapped;
    out.ip = v4_as_mapped ? client_ip_text(mapped_of_v4(ip), true) : client_ip_text(ip);
    return true;
  }
  if (is_v6(addr)) {
    const Ip6 ip = ip6_of(as_v6(addr));
    out.port = port_of(addr);
    out.scope_id = as_v6(addr).sin6_scope_id;
    const bool mapped = is_v4_mapped(ip);
    out.canonical = mapped ? format_ip4(v4_of_mapped(ip)) : format_ip6_rfc5952(ip);
    out.ipv6 = !mapped || v4_as_mapped;
    out.ip = client_ip_text(ip, v4_as_mapped);
    return true;
  }
  return false;
}

}  // namespace ucspi
