// djb's cdb file format, for the writers that lay out bytes themselves (CdbImage, and the
// roaming store's rewrite straight from the mapped old file): a 2048-byte header of 256
// (position, length) pairs, then the records, then the hash tables; every number a
// little-endian 32-bit word.
#pragma once

#include <cstdint>

namespace ucspi {

inline constexpr std::uint32_t cdb_header_size = 2048;

inline void put_u32(char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(value >> (8 * i) & 0xff);
}

inline std::uint32_t get_u32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

}  // namespace ucspi
