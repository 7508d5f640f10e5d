// -y: the load balancers tcpserver trusts to send a PROXY protocol header (proxy_header.h).
// Only these sources are read for one, and each of them must send one; every other client is
// served exactly as without -y. The admin names them: addresses or CIDR networks, never
// guessed from what a connection sends.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/base/ip_address.h"

namespace ucspi {

// One trusted network: an IPv4 or IPv6 address and how many of its leading bits must match.
struct ProxyNetwork {
  bool ipv6 = false;
  Ip6 bits{};  // an IPv4 network as its v4-mapped form, so one comparison serves both
  unsigned prefix = 0;  // of the 128 bits (an IPv4 /n is /96+n)
};

class ProxyTrust {
 public:
  // A comma-separated list of ADDRESS or ADDRESS/PREFIX (IPv4 strict dotted quad, prefix 0..32;
  // IPv6 any text form, prefix 0..128). Adds them all, or returns why not and adds none.
  std::optional<std::string> add(std::string_view list);

  bool empty() const { return networks_.empty(); }
  // A v4-mapped IPv6 peer (a dual-stack listener) matches the IPv4 networks.
  bool trusts(const sockaddr_storage& peer) const;
  bool trusts(const Ip6& address) const;

 private:
  std::vector<ProxyNetwork> networks_;
};

}  // namespace ucspi
