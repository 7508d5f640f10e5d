// djb's scan_ulong: the leading decimal digits of text as a number, wrapping like his; the
// rest is ignored, and no digits at all read as 0. tcpserver's own -c, -b, -t, -u and -g, and
// tcprules' address ranges, read numbers exactly this way.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace ucspi {

// consumed, if given, gets the number of digits read.
inline unsigned long scan_ulong(std::string_view text, std::size_t* consumed = nullptr) {
  unsigned long value = 0;
  std::size_t n = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
    value = value * 10 + static_cast<unsigned long>(text[n] - '0');
    ++n;
  }
  if (consumed) *consumed = n;
  return value;
}

}  // namespace ucspi

namespace ucspi {

// The strict opposite, for numbers a protocol or our own options define: the whole text is
// decimal digits, no leading zero (but "0" itself), at most max. Anything else is nullopt.
inline std::optional<unsigned long> parse_decimal(std::string_view text, unsigned long max) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > max) return std::nullopt;  // also before it could wrap
  }
  return value;
}

}  // namespace ucspi
