// Rules files of any length for the tcprules curve, in the mix of a big qmail site's tcp.smtp
// (the mix the earlier Python bench of tcprules made): exact addresses, dotted prefixes, ranges, =host,
// =.domain, info@ip, one to four variables a line, comments and blank lines. Seeded: the same
// size gives the same file on every run of a build, so figures from two runs compare.
#pragma once

#include <string>

namespace ucspi::bench {

// Writes lines lines to path, the last a catch-all that does not relay. Throws
// std::runtime_error when the file cannot be written.
void write_rules_file(const std::string& path, unsigned long lines, unsigned seed = 88);

}  // namespace ucspi::bench
