#include "rules/lookup_order.h"

namespace ucspi::detail {

ParsedClientIp parse_client_ip(std::string_view ip) {
  ParsedClientIp parsed;
  if (auto v4 = parse_ip4(ip)) {
    parsed.v4 = v4;
  } else if (auto v6 = parse_ip6(ip)) {
    parsed.v6 = v6;
    parsed.expanded = format_ip6_expanded(*v6);
  }
  return parsed;
}

}  // namespace ucspi::detail
