#include "tools/import_entries.h"

#include <algorithm>
#include <utility>

#include "rules/base/ip_address.h"

namespace ucspi {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// vpopmail's get_remote_ip() keeps [A-Za-z0-9_-.@] and turns every other character into '_':
// a native IPv6 address of up to 30 characters reaches open-smtp and the relay table as
// "2001_db8__1". Only hex digits and '_' are read back; anything else stays as it is.
std::string undo_vpopmail_mangling(std::string_view address) {
  std::string text(address);
  if (text.find('_') == std::string::npos ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c == '_' || is_hex_digit(c); }))
    return text;
  std::replace(text.begin(), text.end(), '_', ':');
  return text;
}

// Why address is no single IP: tcprules' prefixes ("192.168.", "2001:db8:"), CIDR blocks and
// djb's ranges ("10.0.0.1-9") are networks; the rest is garbage.
std::string why_not_an_address(std::string_view address) {
  if (address.empty()) return "no address (vpopmail writes ::1 and other ::x addresses so)";
  const bool address_chars = std::all_of(address.begin(), address.end(), [](char c) {
    return is_hex_digit(c) || c == '.' || c == ':' || c == '/' || c == '-';
  });
  const bool network = address.back() == '.' || address.back() == ':' ||
                       address.find_first_of("/-") != std::string_view::npos;
  return address_chars && network ? "a network, not a single address" : "not an IP address";
}

}  // namespace

void add_source_entry(SourceEntries& out, std::string_view address, std::int64_t last_login,
                      std::string where) {
  std::optional<std::string> ip = canonical_ip_text(undo_vpopmail_mangling(address));
  if (!ip) {
    out.skipped.push_back({std::move(where), std::string(address), why_not_an_address(address)});
  } else if (last_login <= 0) {  // MySQL reads a CHAR timestamp that is no number as 0
    out.skipped.push_back(
        {std::move(where), std::string(address), "no login time (1970 or before)"});
  } else {
    out.entries.push_back({std::move(*ip), last_login, std::move(where)});
  }
}

}  // namespace ucspi
