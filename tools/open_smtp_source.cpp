#include "tools/open_smtp_source.h"

#include <algorithm>
#include <string>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/rule_line.h"

namespace ucspi {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

struct RuleAndTime {
  std::string_view rule;
  std::string_view time;  // empty when the line has none
};

// vpopmail's TAB; else the digits after the last run of spaces, when there are only digits.
RuleAndTime split_line(std::string_view line) {
  if (std::size_t tab = line.find('\t'); tab != std::string_view::npos)
    return {line.substr(0, tab), trim_blanks(line.substr(tab + 1))};
  line = trim_blanks(line);
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return {line, {}};
  const std::string_view last = line.substr(space + 1);
  if (last.empty() ||
      !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {line, {}};
  return {trim_blanks(line.substr(0, space)), last};
}

void parse_line(std::string_view line, std::string where, SourceEntries& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a file edited elsewhere
  if (trim_blanks(line).empty() || line.front() == '#') return;
  const RuleAndTime parts = split_line(line);
  RuleLine rule;
  if (parse_rule_line(parts.rule, rule) != LineKind::rule) {
    out.skipped.push_back({std::move(where), std::string(parts.rule), "not a tcprules line"});
    return;
  }
  const std::string address(rule.address);
  if (rule.deny) {
    out.skipped.push_back({std::move(where), address, "a deny rule, not a login"});
  } else if (parts.time.empty()) {
    out.skipped.push_back({std::move(where), address, "no login time after the rule"});
  } else if (std::optional<std::int64_t> time = parse_login_time(parts.time)) {
    add_source_entry(out, address, *time, std::move(where));
  } else {
    out.skipped.push_back({std::move(where), address, "bad login time " + std::string(parts.time)});
  }
}

}  // namespace

SourceEntries parse_open_smtp(std::string_view text) {
  SourceEntries out;
  for (std::size_t number = 1; !text.empty(); ++number) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    parse_line(text.substr(0, end), "line " + std::to_string(number), out);
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return out;
}

}  // namespace ucspi
