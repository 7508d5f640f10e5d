#include "rules/rule_line.h"

#include "rules/base/ip_address.h"

namespace ucspi {
namespace {

std::string_view strip_trailing_blanks(std::string_view line) {
  while (!line.empty()) {
    char c = line.back();
    if (c != '\n' && c != ' ' && c != '\t') break;
    line.remove_suffix(1);
  }
  return line;
}

bool starts_with_verb(std::string_view rest) {
  return rest.starts_with("allow") || rest.starts_with("deny");
}

bool ipv6_text_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.' || c == '-';  // '-': a djb range in a v4-mapped tail, ::ffff:1.2.3.1-3
}

// An address that may contain ':' (fefe's syntax): after an optional "info@", an IPv6 address,
// an IPv6 prefix ending in ':' or '.', or an IPv6 CIDR. Anything else with a ':' in it is a
// typo (say "1.2.3.4:bad:allow"), which djb refuses and so do we.
bool is_ipv6_address_text(std::string_view address) {
  std::size_t at = address.rfind('@');
  if (at != std::string_view::npos) address.remove_prefix(at + 1);
  std::size_t slash = address.find('/');
  std::string_view ip = address.substr(0, slash);
  if (ip.empty()) return false;
  for (char c : ip)
    if (!ipv6_text_char(c)) return false;
  if (slash != std::string_view::npos) return true;  // rule_keys checks the CIDR itself
  if (ip.find('-') != std::string_view::npos) return ip.starts_with(':');
  return ip.back() == ':' || ip.back() == '.' || parse_ip6(ip).has_value();
}

// djb ends the address at the first ':'. fefe ends it at the first ':' followed by allow or
// deny, so that IPv6 keys can contain ':'. The two agree on every line djb accepts; we take
// fefe's later colon only for an address that really is IPv6 text.
// Returns npos for a line with a ':' but no usable address end (fefe's tcprules hangs there).
std::size_t find_address_end(std::string_view line) {
  std::size_t first = line.find(':');
  if (starts_with_verb(line.substr(first + 1))) return first;
  for (std::size_t colon = line.find(':', first + 1); colon != std::string_view::npos;
       colon = line.find(':', colon + 1)) {
    if (starts_with_verb(line.substr(colon + 1)) && is_ipv6_address_text(line.substr(0, colon)))
      return colon;
  }
  return std::string_view::npos;
}

// ",NAME=<q>VALUE<q>" repeated; appends "+NAME=VALUE\0" per instruction.
bool parse_instructions(std::string_view rest, std::string& data) {
  while (!rest.empty()) {
    if (rest.front() != ',') return false;
    std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return false;
    data += '+';
    data.append(rest.substr(1, eq));  // NAME and the '='
    rest.remove_prefix(eq + 1);
    if (rest.empty()) return false;
    char quote = rest.front();
    rest.remove_prefix(1);
    std::size_t end = rest.find(quote);
    if (end == std::string_view::npos) return false;
    data.append(rest.substr(0, end));
    data += '\0';
    rest.remove_prefix(end + 1);
  }
  return true;
}

}  // namespace

LineKind parse_rule_line(std::string_view raw, RuleLine& out) {
  out.data.clear();
  out.deny = false;
  if (raw.empty() || raw.front() == '#' || raw.front() == '\n') return LineKind::skipped;
  out.text = strip_trailing_blanks(raw);
  if (out.text.find(':') == std::string_view::npos) return LineKind::skipped;

  std::size_t colon = find_address_end(out.text);
  if (colon == std::string_view::npos) return LineKind::bad;
  out.address = out.text.substr(0, colon);
  std::string_view rest = out.text.substr(colon + 1);
  if (rest.starts_with("deny")) {
    out.deny = true;
    out.data.append("D", 2);
    rest.remove_prefix(4);
  } else {
    rest.remove_prefix(5);
  }
  return parse_instructions(rest, out.data) ? LineKind::rule : LineKind::bad;
}

}  // namespace ucspi
