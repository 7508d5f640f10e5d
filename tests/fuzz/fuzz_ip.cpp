// Address parsing and formatting (rules/base/ip_address.h), CIDR keys (rules/cidr_key.h) and
// the client IP text (rules/client_ip.h). Properties: every format of a parsed address parses
// back to the same bytes, a strict dotted quad is its own text, canonical text is a fixed
// point and the same for every spelling of an address, the CIDR keys are prefix-closed, and
// client_ip_text agrees with the parsers.
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/base/ip_address.h"
#include "rules/cidr_key.h"
#include "rules/client_ip.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

bool is_lower_hex_text(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef:.") == std::string_view::npos;
}

void check_ip4(const Ip4& ip) {
  const std::string text = format_ip4(ip);
  FUZZ_CHECK(parse_ip4(text) == ip);
  FUZZ_CHECK(parse_ip4_network(text) == ip);
  FUZZ_CHECK(canonical_ip_text(text) == text);
  FUZZ_CHECK(client_ip_text(ip) == text);
  FUZZ_CHECK(client_ip_text(std::string_view(text)) == text);
  const Ip6 mapped = mapped_of_v4(ip);
  FUZZ_CHECK(is_v4_mapped(mapped) && v4_of_mapped(mapped) == ip);
  FUZZ_CHECK(client_ip_text(mapped, false) == text);
  FUZZ_CHECK(canonical_ip_text(client_ip_text(mapped, true)) == text);

  const std::string full = cidr_key_v4(ip, 32);
  FUZZ_CHECK(full.size() == 33 && full[0] == cidr_v4_marker);
  for (unsigned prefix : {0u, 1u, 8u, 17u, 24u, 31u})
    FUZZ_CHECK(cidr_key_v4(ip, prefix) == full.substr(0, 1 + prefix));
}

void check_ip6(const Ip6& ip) {
  const std::string fefe = format_ip6_fefe(ip);
  const std::string rfc = format_ip6_rfc5952(ip);
  const std::string expanded = format_ip6_expanded(ip);
  for (const std::string& text : {fefe, rfc, expanded}) {
    FUZZ_CHECK(parse_ip6(text) == ip);
    FUZZ_CHECK(!parse_ip4(text));
  }
  FUZZ_CHECK(expanded.size() == 39);
  FUZZ_CHECK(rfc.size() <= fefe.size() + 1 || is_v4_mapped(ip));
  FUZZ_CHECK(is_lower_hex_text(fefe) && is_lower_hex_text(rfc));

  const std::optional<std::string> canonical = canonical_ip_text(fefe);
  FUZZ_CHECK(canonical.has_value());
  FUZZ_CHECK(canonical_ip_text(rfc) == canonical && canonical_ip_text(expanded) == canonical);
  FUZZ_CHECK(canonical_ip_text(*canonical) == canonical);
  if (is_v4_mapped(ip)) {
    FUZZ_CHECK(*canonical == format_ip4(v4_of_mapped(ip)));
    FUZZ_CHECK(client_ip_text(ip, false) == *canonical);
  } else {
    FUZZ_CHECK(*canonical == rfc);
    FUZZ_CHECK(client_ip_text(ip, false) == fefe);
  }
  FUZZ_CHECK(client_ip_text(ip, true) == fefe);

  const std::string full = cidr_key_v6(ip, 128);
  FUZZ_CHECK(full.size() == 129 && full[0] == cidr_v6_marker);
  for (unsigned prefix : {0u, 1u, 16u, 48u, 64u, 65u, 127u})
    FUZZ_CHECK(cidr_key_v6(ip, prefix) == full.substr(0, 1 + prefix));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view text = fuzz::bytes_of(bytes, size);

  const std::optional<Ip4> v4 = parse_ip4(text);
  const std::optional<Ip6> v6 = parse_ip6(text);
  const std::optional<Ip4> network = parse_ip4_network(text);
  // Strict dotted quads have one spelling: the text is format_ip4's.
  if (v4) {
    FUZZ_CHECK(format_ip4(*v4) == text);
    FUZZ_CHECK(network == v4);
    check_ip4(*v4);
  }
  if (network) check_ip4(*network);
  if (v6) check_ip6(*v6);

  const std::optional<std::string> canonical = canonical_ip_text(text);
  FUZZ_CHECK(canonical.has_value() == (v4 || v6));
  if (canonical) {
    FUZZ_CHECK(!canonical->empty());
    FUZZ_CHECK(canonical_ip_text(*canonical) == canonical);
    // Its text parses to the same address as the input.
    if (v4) FUZZ_CHECK(parse_ip4(*canonical) == v4);
    else if (is_v4_mapped(*v6)) FUZZ_CHECK(parse_ip4(*canonical) == v4_of_mapped(*v6));
    else FUZZ_CHECK(parse_ip6(*canonical) == v6);
  }

  // TCPREMOTEIP as tcprulescheck reads it: a fixed point, and canonically the input.
  const std::string client = client_ip_text(text);
  FUZZ_CHECK(client_ip_text(std::string_view(client)) == client);
  if (canonical) FUZZ_CHECK(canonical_ip_text(client) == canonical);
  else FUZZ_CHECK(client == text);
  return 0;
}
