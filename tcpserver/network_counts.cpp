#include "tcpserver/network_counts.h"

#include "rules/base/ip_address.h"

namespace ucspi {
namespace {

unsigned long count_of(const std::unordered_map<std::string, unsigned long>& counts,
                       const std::string& key) {
  const auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

// False when key was not counted.
bool decrement(std::unordered_map<std::string, unsigned long>& counts, const std::string& key) {
  const auto it = counts.find(key);
  if (it == counts.end()) return false;
  if (--it->second == 0) counts.erase(it);
  return true;
}

}  // namespace

std::string network_of(std::string_view canonical_ip) {
  if (const std::optional<Ip4> v4 = parse_ip4(canonical_ip))
    return std::to_string((*v4)[0]) + '.' + std::to_string((*v4)[1]) + '.' +
           std::to_string((*v4)[2]);
  if (const std::optional<Ip6> v6 = parse_ip6(canonical_ip))
    return format_ip6_expanded(*v6).substr(0, 19);  // "XXXX:XXXX:XXXX:XXXX": the /64
  return std::string(canonical_ip);
}

void NetworkCounts::add(const std::string& canonical_ip) {
  const std::string network = network_of(canonical_ip);
  ++ips_[canonical_ip];
  try {
    ++networks_[network];
  } catch (...) {
    decrement(ips_, canonical_ip);
    throw;
  }
}

void NetworkCounts::remove(const std::string& canonical_ip) {
  // An address not counted takes nothing from its network, which other addresses share.
  if (decrement(ips_, canonical_ip)) decrement(networks_, network_of(canonical_ip));
}

unsigned long NetworkCounts::at_ip(const std::string& canonical_ip) const {
  return count_of(ips_, canonical_ip);
}

unsigned long NetworkCounts::in_network(const std::string& canonical_ip) const {
  return count_of(networks_, network_of(canonical_ip));
}

}  // namespace ucspi
