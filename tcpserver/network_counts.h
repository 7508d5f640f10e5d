// The connections tcpserver holds now (client_slots.h: from accept to the child's exit), by
// client address and by client network: -C and MAXCONNIP count one address, MAXCONNC its
// network, a /24 for IPv4 as the tcpserver limits patch counts it, a /64 for IPv6 (one site's
// subnet: a single client usually holds a whole /64, so a smaller prefix would be the
// per-address limit again).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace ucspi {

// The key of ip's network ("10.1.2" for 10.1.2.3, the first four groups for IPv6); ip
// itself when it is not an address (counted alone, never with others).
std::string network_of(std::string_view canonical_ip);

class NetworkCounts {
 public:
  // canonical_ip as tcpserver keys clients (canonical_ip_text). Throws bad_alloc, nothing added.
  void add(const std::string& canonical_ip);
  void remove(const std::string& canonical_ip);

  unsigned long at_ip(const std::string& canonical_ip) const;
  unsigned long in_network(const std::string& canonical_ip) const;

 private:
  std::unordered_map<std::string, unsigned long> ips_;
  std::unordered_map<std::string, unsigned long> networks_;
};

}  // namespace ucspi
