// vpopmail's open-smtp file (~vpopmail/etc/open-smtp, its roaming users without MySQL) as
// relay-import reads it. vpopmail writes one line per login:
//
//   10.1.2.3:allow,RELAYCLIENT="",RBLSMTPD=""<TAB>1700000000
//
// a tcprules line for the client's IP, a TAB, and the login time in Unix seconds; it feeds the
// part before the TAB to tcprules. Read here: the rule as tcprules reads it (rules/rule_line.h,
// so an IPv6 address may hold ':'), then the time after the first TAB, or after the last run
// of spaces of a line without one (vpopmail 5.3.4 wrote four spaces). Blank lines and '#'
// comments are no entries. Skipped with the reason: a line without a time, a time that is not
// 1 to 18 digits, a line tcprules would not take, a deny rule, and an address that is not one
// IP (tcprules prefixes such as "192.168.", CIDR blocks, "=host", "user@ip", garbage). Each
// entry's where is "line N".
#pragma once

#include <string_view>

#include "tools/import_entries.h"

namespace ucspi {

SourceEntries parse_open_smtp(std::string_view text);

}  // namespace ucspi
