#include "rules/cidr_key.h"

namespace ucspi {
namespace {

bool bit_at(const std::uint8_t* bytes, unsigned i) { return (bytes[i / 8] >> (7 - i % 8)) & 1; }

}  // namespace

std::string cidr_key_v4(const Ip4& ip, unsigned prefix) {
  static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyz123456";
  std::string key(1, cidr_v4_marker);
  for (unsigned i = 0; i < prefix && i < 32; ++i) key += bit_at(ip.data(), i) ? letters[i] : '0';
  return key;
}

std::string cidr_key_v6(const Ip6& ip, unsigned prefix) {
  std::string key(1, cidr_v6_marker);
  unsigned char next_set = 0x60;
  for (unsigned i = 0; i < prefix && i < 128; ++i) {
    key += bit_at(ip.data(), i) ? static_cast<char>(next_set++) : '0';
  }
  return key;
}

}  // namespace ucspi
