// The address part of a rules line -> the cdb keys it stands for.
//   djb:    verbatim keys, and one "a.b.c.x-y" range per address
//   fefe:   IPv6 addresses as keys (we store them in fefe's ip6_fmt form, which is what the
//           lookup builds from a client address)
//   fehcom: CIDR "a.b.c.d/n" and "x::/n" (see cidr_key.h)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ucspi {

struct AddressKeys {
  std::vector<std::string> keys;
  // Set when the address was stored but probably not as the admin meant it.
  std::string warning;
};

// Returns false when the address cannot be compiled (a bad range); keys is then unspecified.
bool expand_address(std::string_view address, AddressKeys& out);

}  // namespace ucspi
