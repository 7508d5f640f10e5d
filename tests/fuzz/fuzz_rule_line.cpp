// tcprules' line parser (rules/rule_line.h) and the keys of the address (rules/rule_keys.h) on
// one line. Properties: the line kinds as the header defines them, the address and the verb
// where the parser says they are, the value's entries in the form rules_data.h walks, and the
// same answer for the line with its trailing blanks and newline dropped.
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/rule_data.h"
#include "rules/rule_keys.h"
#include "rules/rule_line.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

void check_rule(const RuleLine& rule) {
  FUZZ_CHECK(rule.address.size() < rule.text.size());
  FUZZ_CHECK(rule.text.substr(0, rule.address.size()) == rule.address);
  const std::string_view rest = rule.text.substr(rule.address.size());
  FUZZ_CHECK(rest.starts_with(":allow") || rest.starts_with(":deny"));
  FUZZ_CHECK(rule.deny == rest.starts_with(":deny"));
  FUZZ_CHECK(rule.data.starts_with(std::string_view("D", 2)) == rule.deny);
  // Every byte of the value is in a NUL-terminated entry: "D", then "+NAME=VALUE" each.
  FUZZ_CHECK(rule.data.empty() || rule.data.back() == '\0');
  // A NUL inside a name or value splits its entry, as it does in djb's rules.c, so the
  // form of each entry is checked only for lines without one.
  const bool has_nul = rule.text.find('\0') != std::string_view::npos;
  std::size_t walked = 0;
  bool first = true;
  for_each_rule_entry(rule.data, [&](std::string_view entry) {
    walked += entry.size() + 1;
    if (first && rule.deny) {
      FUZZ_CHECK(entry == "D");
    } else if (!has_nul) {
      RuleEnv env;
      FUZZ_CHECK(split_env_entry(entry, env));
      FUZZ_CHECK(env.name.find('=') == std::string_view::npos);
      FUZZ_CHECK("+" + std::string(env.name) + "=" + std::string(env.value) == entry);
    }
    first = false;
    return true;
  });
  FUZZ_CHECK(walked == rule.data.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view raw = fuzz::bytes_of(bytes, size);
  RuleLine rule;
  const LineKind kind = parse_rule_line(raw, rule);

  const bool comment = raw.empty() || raw.front() == '#' || raw.front() == '\n';
  if (comment) {
    FUZZ_CHECK(kind == LineKind::skipped);
    return 0;
  }
  // text is raw without its trailing ' ', '\t' and '\n'.
  FUZZ_CHECK(raw.substr(0, rule.text.size()) == rule.text);
  FUZZ_CHECK(raw.substr(rule.text.size()).find_first_not_of(" \t\n") == std::string_view::npos);
  FUZZ_CHECK(rule.text.empty() || rule.text.find_last_of(" \t\n") != rule.text.size() - 1);
  FUZZ_CHECK((kind == LineKind::skipped) == (rule.text.find(':') == std::string_view::npos));
  if (kind == LineKind::rule) check_rule(rule);

  // The same line without its trailing blanks, and with a newline, reads the same.
  if (!rule.text.empty()) {
    const std::string text(rule.text);
    const RuleLine before = rule;
    for (const std::string& again : {text, text + "\n", text + " \t\n"}) {
      RuleLine other;
      FUZZ_CHECK(parse_rule_line(again, other) == kind);
      FUZZ_CHECK(other.text == before.text);
      if (kind != LineKind::rule) continue;
      FUZZ_CHECK(other.address == before.address);
      FUZZ_CHECK(other.deny == before.deny);
      FUZZ_CHECK(other.data == before.data);
    }
  }

  if (kind == LineKind::rule) {
    AddressKeys keys;
    if (expand_address(rule.address, keys)) {
      // One key per address, or one per value of a djb range (a.b.c.x-y, top capped at 255).
      FUZZ_CHECK(keys.keys.size() <= 256);
      if (rule.address.find_first_of("-/:@=") == std::string_view::npos)
        FUZZ_CHECK(keys.keys.size() == 1 && keys.keys[0] == rule.address);
      FUZZ_CHECK(keys.warning.empty() || keys.warning.ends_with(rule.address));
    }
  }
  return 0;
}
