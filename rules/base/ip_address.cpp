#include "rules/base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace ucspi {
namespace {

// Parses 1..3 decimal digits with value <= 255 at the front of text. Strict parsing refuses
// leading zeros, which some parsers read as octal: "010" must not quietly mean 10.
std::optional<std::uint8_t> take_octet(std::string_view& text, bool strict) {
  unsigned value = 0;
  std::size_t n = 0;
  while (n < text.size() && n < 4 && text[n] >= '0' && text[n] <= '9') {
    value = value * 10 + static_cast<unsigned>(text[n] - '0');
    ++n;
  }
  if (n == 0 || n > 3 || value > 255) return std::nullopt;
  if (strict && n > 1 && text[0] == '0') return std::nullopt;
  text.remove_prefix(n);
  return static_cast<std::uint8_t>(value);
}

void append_hex(std::string& out, unsigned value, const char* digits) {
  char buf[4];
  int n = 0;
  do {
    buf[n++] = digits[value & 15];
    value >>= 4;
  } while (value != 0);
  while (n > 0) out += buf[--n];
}

unsigned group(const Ip6& ip, int i) {
  const auto at = static_cast<std::size_t>(2 * i);
  return (static_cast<unsigned>(ip[at]) << 8) | ip[at + 1];
}

// Finds the longest run of zero groups (the first on a tie) of at least min_len groups.
std::pair<int, int> longest_zero_run(const Ip6& ip, int min_len) {
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (group(ip, i) != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && group(ip, j) == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < min_len) return {-1, 0};
  return {best_start, best_len};
}

std::string format_ip6_compressed(const Ip6& ip, int min_run) {
  if (is_v4_mapped(ip)) return "::ffff:" + format_ip4(v4_of_mapped(ip));
  auto [start, len] = longest_zero_run(ip, min_run);
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == start) {
      out += "::";
      i += len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    append_hex(out, group(ip, i), "0123456789abcdef");
  }
  return out;
}

}  // namespace

std::optional<Ip4> parse_ip4(std::string_view text) {
  Ip4 ip{};
  for (std::size_t i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    auto octet = take_octet(text, true);
    if (!octet) return std::nullopt;
    ip[i] = *octet;
  }
  if (!text.empty()) return std::nullopt;
  return ip;
}

std::optional<Ip4> parse_ip4_network(std::string_view text) {
  Ip4 ip{};
  for (std::size_t i = 0; i < 4 && !text.empty(); ++i) {
    auto octet = take_octet(text, false);
    if (!octet) return std::nullopt;
    ip[i] = *octet;
    if (text.empty()) break;
    if (text.front() != '.') return std::nullopt;
    text.remove_prefix(1);
  }
  if (!text.empty()) return std::nullopt;
  return ip;
}

std::optional<Ip6> parse_ip6(std::string_view text) {
  // A NUL would end inet_pton's text early: "::1\0junk" must not read as ::1.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos)
    return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Ip6 ip{};
  if (inet_pton(AF_INET6, buf, ip.data()) != 1) return std::nullopt;
  return ip;
}

bool is_v4_mapped(const Ip6& ip) {
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(ip.data(), prefix, sizeof prefix) == 0;
}

Ip4 v4_of_mapped(const Ip6& ip) { return {ip[12], ip[13], ip[14], ip[15]}; }

Ip6 mapped_of_v4(const Ip4& ip) {
  Ip6 out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::memcpy(out.data() + 12, ip.data(), 4);
  return out;
}

std::string format_ip4(const Ip4& ip) {
  std::string out;
  out.reserve(15);
  for (std::size_t i = 0; i < 4; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(ip[i]);
  }
  return out;
}

std::string format_ip6_fefe(const Ip6& ip) { return format_ip6_compressed(ip, 1); }

std::string format_ip6_rfc5952(const Ip6& ip) { return format_ip6_compressed(ip, 2); }

std::string format_ip6_expanded(const Ip6& ip) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(39);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i > 0 && i % 2 == 0) out += ':';
    out += digits[ip[i] >> 4];
    out += digits[ip[i] & 15];
  }
  return out;
}

std::optional<std::string> canonical_ip_text(std::string_view text) {
  if (auto v4 = parse_ip4(text)) return format_ip4(*v4);
  if (auto v6 = parse_ip6(text)) {
    if (is_v4_mapped(*v6)) return format_ip4(v4_of_mapped(*v6));
    return format_ip6_rfc5952(*v6);
  }
  return std::nullopt;
}

}  // namespace ucspi
