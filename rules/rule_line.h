// One line of tcprules text -> the address text and the cdb value, exactly as djb's tcprules.c
// reads it, with the fefe rule for where the address ends (so IPv6 addresses can hold ':').
#pragma once

#include <string>
#include <string_view>

namespace ucspi {

enum class LineKind {
  rule,     // address and data are set
  skipped,  // comment, empty, or no ':' at all (djb ignores these silently)
  bad,      // "unable to parse this line"
};

struct RuleLine {
  std::string_view text;     // the line without trailing ' ', '\t', '\n': what error messages show
  std::string_view address;  // before the ':' that ends the address
  bool deny = false;
  std::string data;          // "D\0" for deny, then "+NAME=VALUE\0" per instruction
};

// raw may end in '\n'. Reuses out.data's capacity across calls.
LineKind parse_rule_line(std::string_view raw, RuleLine& out);

}  // namespace ucspi
