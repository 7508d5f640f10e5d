#include "tcpserver/rules_gate.h"

#include <sys/stat.h>

#include <cerrno>

#include "rules/rule_data.h"
#include "rules/rules_lookup.h"

namespace ucspi {

int RulesGate::refresh() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    int err = errno;
    cdb_ = CdbReader{};
    return err;
  }
  if (cdb_.is_open() && same_file(cdb_.identity(), st)) return 0;
  return cdb_.open(path_.c_str());
}

RuleVerdict RulesGate::check(const Client& client, EnvEdits& edits) {
  RuleVerdict verdict;
  int err = refresh();
  if (err == ENOENT && missing_ok_) return verdict;
  if (err != 0) {
    verdict.error = err;
    return verdict;
  }
  RuleMatch match;
  if ((verdict.error = find_rule(cdb_, client, match)) != 0) {
    cdb_ = CdbReader{};  // a corrupt file is reread next time, in case it was being replaced
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
