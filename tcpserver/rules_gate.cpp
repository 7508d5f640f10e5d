#include "tcpserver/rules_gate.h"

#include <cerrno>

#include "rules/rule_data.h"
#include "rules/rules_lookup.h"

namespace ucspi {

RuleVerdict RulesGate::check(const Client& client, EnvEdits& edits) {
  RuleVerdict verdict;
  const int err = cdb_.refresh();
  if (err == ENOENT && missing_ok_) return verdict;
  if (err != 0) {
    verdict.error = err;
    return verdict;
  }
  RuleMatch match;
  if ((verdict.error = find_rule(cdb_.reader(), client, match)) != 0) {
    cdb_.forget();
    return verdict;
  }
  if (!match.found) return verdict;
  for_each_rule_entry(match.data, [&](std::string_view entry) {
    RuleEnv env;
    if (entry.starts_with("D"))
      verdict.deny = true;
    else if (split_env_entry(entry, env))
      edits.set(env.name, env.value);
    return true;
  });
  return verdict;
}

}  // namespace ucspi
