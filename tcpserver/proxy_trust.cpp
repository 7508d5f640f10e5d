#include "tcpserver/proxy_trust.h"

#include "rules/base/scan_ulong.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
namespace {

constexpr unsigned v4_mapped_bits = 96;

std::optional<ProxyNetwork> parse_network(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  ProxyNetwork net;
  net.ipv6 = address.find(':') != std::string_view::npos;
  const unsigned max = net.ipv6 ? 128 : 32;
  std::optional<unsigned long> prefix = max;
  if (slash != std::string_view::npos) prefix = parse_decimal(text.substr(slash + 1), max);
  if (!prefix) return std::nullopt;
  if (net.ipv6) {
    const std::optional<Ip6> ip = parse_ip6(address);
    if (!ip) return std::nullopt;
    net.bits = *ip;
    net.prefix = static_cast<unsigned>(*prefix);
  } else {
    const std::optional<Ip4> ip = parse_ip4(address);
    if (!ip) return std::nullopt;
    net.bits = mapped_of_v4(*ip);
    net.prefix = v4_mapped_bits + static_cast<unsigned>(*prefix);
  }
  return net;
}

bool matches(const ProxyNetwork& net, const Ip6& address) {
  unsigned left = net.prefix;
  for (std::size_t i = 0; i < address.size() && left > 0; ++i) {
    const unsigned take = left >= 8 ? 8 : left;
    const auto mask = static_cast<std::uint8_t>(0xff00u >> take);
    if ((address[i] & mask) != (net.bits[i] & mask)) return false;
    left -= take;
  }
  return true;
}

}  // namespace

std::optional<std::string> ProxyTrust::add(std::string_view list) {
  std::vector<ProxyNetwork> parsed;
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const std::optional<ProxyNetwork> net = parse_network(item);
    if (!net) return "not an address or address/prefix: " + std::string(item);
    parsed.push_back(*net);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  networks_.insert(networks_.end(), parsed.begin(), parsed.end());
  return std::nullopt;
}

bool ProxyTrust::trusts(const Ip6& address) const {
  for (const ProxyNetwork& net : networks_)
    if (matches(net, address)) return true;
  return false;
}

bool ProxyTrust::trusts(const sockaddr_storage& peer) const {
  if (is_v4(peer)) return trusts(mapped_of_v4(ip4_of(as_v4(peer))));
  if (is_v6(peer)) return trusts(ip6_of(as_v6(peer)));
  return false;
}

}  // namespace ucspi
