// djb's scan_ulong: the leading decimal digits of text as a number, wrapping like his; the
// rest is ignored, and no digits at all read as 0. tcpserver's own -c, -b, -t, -u and -g, and
// tcprules' address ranges, read numbers exactly this way.
#pragma once

#include <cstddef>
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
