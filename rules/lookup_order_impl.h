// Template body of for_each_candidate; include lookup_order.h instead.
#pragma once

#include <string>

#include "rules/cidr_key.h"
#include "rules/base/ip_address.h"

namespace ucspi::detail {

struct ParsedClientIp {
  std::optional<Ip4> v4;
  std::optional<Ip6> v6;
  std::string expanded;  // fehcom's form, IPv6 only
};

ParsedClientIp parse_client_ip(std::string_view ip);

template <typename Visit>
bool visit_cidr(std::string& key, std::size_t max_bits, Visit& visit) {
  // key holds marker + max_bits chars; try /max_bits down to /0, with and without the NUL
  // fehcom's tcprules appends.
  for (std::size_t bits = max_bits + 1; bits-- > 0;) {
    key.resize(1 + bits);
    key.push_back('\0');
    if (visit(Candidate{key, static_cast<int>(bits)})) return true;
    key.pop_back();
    if (visit(Candidate{key, static_cast<int>(bits)})) return true;
  }
  return false;
}

}  // namespace ucspi::detail

namespace ucspi {

template <typename Visit>
bool for_each_candidate(const Client& client, Visit&& visit) {
  const std::string_view ip = client.ip;
  const detail::ParsedClientIp parsed = detail::parse_client_ip(ip);
  std::string key;
  auto try_key = [&](std::string_view k) { return visit(Candidate{k, -1}); };

  if (client.info) {
    key.assign(*client.info).append("@").append(ip);
    if (try_key(key)) return true;
    if (!parsed.expanded.empty()) {
      key.assign(*client.info).append("@").append(parsed.expanded);
      if (try_key(key)) return true;
    }
    if (client.host) {
      key.assign(*client.info).append("@=").append(*client.host);
      if (try_key(key)) return true;
    }
  }
  if (try_key(ip)) return true;
  if (!parsed.expanded.empty() && try_key(parsed.expanded)) return true;
  if (client.host) {
    key.clear();
    key.push_back('=');
    key.append(*client.host);
    if (try_key(key)) return true;
  }
  const bool colon_ends_prefix = parsed.v6.has_value();
  for (std::size_t len = ip.size(); len > 0; --len) {
    char c = ip[len - 1];
    if ((c == '.' || (c == ':' && colon_ends_prefix)) && try_key(ip.substr(0, len))) return true;
  }
  if (parsed.v4) {
    key = cidr_key_v4(*parsed.v4, 32);
    if (detail::visit_cidr(key, 32, visit)) return true;
  } else if (parsed.v6) {
    key = cidr_key_v6(*parsed.v6, 128);
    if (detail::visit_cidr(key, 128, visit)) return true;
  }
  if (client.host) {
    std::string_view host = *client.host;
    for (std::size_t i = 0; i < host.size(); ++i) {
      if (host[i] != '.') continue;
      key.clear();
      key.push_back('=');  // not assign("="): GCC 12 -O3 flags that with a false -Wrestrict
      key.append(host.substr(i));
      if (try_key(key)) return true;
    }
    if (try_key("=")) return true;
  }
  return try_key("");
}

}  // namespace ucspi
