#include "rule_line.h"

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

// djb ends the address at the first ':'; fefe at the first ':' followed by allow/deny.
// The two agree on every line djb accepts, and fefe's lets IPv6 keys contain ':'.
// Returns npos when a ':' exists but none is followed by a verb (fefe's tcprules hangs there).
std::size_t find_address_end(std::string_view line) {
  for (std::size_t colon = line.find(':'); colon != std::string_view::npos;
       colon = line.find(':', colon + 1)) {
    if (starts_with_verb(line.substr(colon + 1))) return colon;
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
