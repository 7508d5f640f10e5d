// A socket address as tcpserver presents it to the child and the log: djb's dotted quad for
// IPv4 clients (also those arriving on a dual-stack socket), fefe's ip6_fmt for IPv6 clients,
// and -6 presenting IPv4 clients as v4-mapped IPv6 like the fefe build.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace ucspi {

struct Endpoint {
  bool ipv6 = false;      // presented as IPv6: PROTO=TCP6 and the TCP6* variables
  std::string ip;         // TCPLOCALIP / TCPREMOTEIP text, also the rules lookup key
  std::string canonical;  // roaming-store key (canonical_ip_text)
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;  // IPv6 link-local interface, 0 if none
};

// v4_as_mapped is -6. Returns false for an address family tcpserver does not serve.
bool present_endpoint(const sockaddr_storage& addr, bool v4_as_mapped, Endpoint& out);

// The IPv4 address of a v4 or v4-mapped sockaddr, for PTR and ident; false for real IPv6.
bool ipv4_of(const sockaddr_storage& addr, in_addr& out);

}  // namespace ucspi
