#include "rules/rule_keys.h"

#include <cstdint>

#include "rules/cidr_key.h"
#include "rules/base/ip_address.h"
#include "rules/base/scan_ulong.h"

namespace ucspi {
namespace {

bool contains(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// djb's range rule: the first '-', the decimal part around it, one key per value, top capped.
bool expand_range(std::string_view address, std::vector<std::string>& keys) {
  std::size_t dash = address.find('-');
  std::size_t dot_before = address.rfind('.', dash);
  std::size_t left = dot_before == std::string_view::npos ? 0 : dot_before + 1;
  std::size_t right = address.find('.', dash + 1);
  if (right == std::string_view::npos) right = address.size();
  std::string_view bot_text = address.substr(left, dash - left);
  std::string_view top_text = address.substr(dash + 1, right - dash - 1);
  if (!all_digits(bot_text) || !all_digits(top_text)) return false;
  std::uint64_t bot = scan_ulong(bot_text);
  std::uint64_t top = scan_ulong(top_text);
  if (top > 255) top = 255;
  for (std::uint64_t n = bot; n <= top; ++n) {
    std::string key(address.substr(0, left));
    key += std::to_string(n);
    key += address.substr(right);
    keys.push_back(std::move(key));
  }
  return true;
}

std::optional<std::string> cidr_key(std::string_view address) {
  std::size_t slash = address.find('/');
  std::string_view network = address.substr(0, slash);
  std::string_view bits = address.substr(slash + 1);
  if (network.empty() || bits.empty() || bits.size() > 3 || !all_digits(bits)) return std::nullopt;
  auto prefix = static_cast<unsigned>(scan_ulong(bits));
  if (contains(network, ':')) {
    auto ip = parse_ip6(network);
    if (!ip || prefix > 128) return std::nullopt;
    return cidr_key_v6(*ip, prefix);
  }
  auto ip = parse_ip4_network(network);
  if (!ip || prefix > 32) return std::nullopt;
  return cidr_key_v4(*ip, prefix);
}

bool looks_like_ip6(std::string_view s) {
  for (char c : s) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  return contains(s, ':');
}

// An IPv6 address or prefix as the lookup will spell it: lowercase, full addresses in fefe's
// ip6_fmt (so "2001:DB8:0:0::1" and "2001:db8::1" are one key).
std::string ip6_key(std::string_view text) {
  if (auto ip = parse_ip6(text)) return format_ip6_fefe(*ip);
  std::string key(text);
  for (char& c : key)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return key;
}

}  // namespace

bool expand_address(std::string_view address, AddressKeys& out) {
  out.keys.clear();
  out.warning.clear();
  bool has_eq = contains(address, '=');
  bool has_at = contains(address, '@');

  if (has_at && !has_eq) {
    std::size_t at = address.rfind('@');
    std::string_view ip = address.substr(at + 1);
    if (looks_like_ip6(ip)) {
      out.keys.push_back(std::string(address.substr(0, at + 1)) + ip6_key(ip));
      return true;
    }
  }
  if (has_eq || has_at) {
    out.keys.emplace_back(address);
    return true;
  }
  if (contains(address, '/')) {
    if (auto key = cidr_key(address)) {
      out.keys.push_back(std::move(*key));
      return true;
    }
    if (!contains(address, '-')) {
      out.warning = "not a valid CIDR prefix, stored as a literal key: ";
      out.warning += address;
      out.keys.emplace_back(address);
      return true;
    }
  }
  if (contains(address, '-')) return expand_range(address, out.keys);
  if (looks_like_ip6(address)) {
    out.keys.push_back(ip6_key(address));
    return true;
  }
  out.keys.emplace_back(address);
  return true;
}

}  // namespace ucspi
