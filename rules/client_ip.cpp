#include "rules/client_ip.h"

namespace ucspi {

std::string client_ip_text(const Ip4& ip) { return format_ip4(ip); }

std::string client_ip_text(const Ip6& ip, bool keep_mapped) {
  if (is_v4_mapped(ip) && !keep_mapped) return format_ip4(v4_of_mapped(ip));
  return format_ip6_fefe(ip);
}

std::string client_ip_text(std::string_view remote_ip) {
  if (parse_ip4(remote_ip)) return std::string(remote_ip);
  if (auto v6 = parse_ip6(remote_ip)) return client_ip_text(*v6, false);
  return std::string(remote_ip);
}

}  // namespace ucspi
