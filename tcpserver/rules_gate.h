// The -x rules for one connection: the first matching rule's deny or variables. The cdb
// follows its path (cdb_follower.h): a file tcprules renames into place applies to the next
// connection.
#pragma once

#include <string>

#include "rules/cdb/cdb_file.h"
#include "rules/cdb/cdb_follower.h"
#include "tcpserver/child_env.h"
#include "rules/lookup_order.h"

namespace ucspi {

struct RuleVerdict {
  int error = 0;  // errno: drop with "unable to read RULES: ..."
  bool deny = false;
};

class RulesGate {
 public:
  RulesGate(std::string path, bool missing_ok) : cdb_(std::move(path)), missing_ok_(missing_ok) {}

  // Applies the first matching rule: its variables go into edits (in file order).
  RuleVerdict check(const Client& client, EnvEdits& edits);
  const std::string& path() const { return cdb_.path(); }

 private:
  CdbFollower<CdbReader> cdb_;
  bool missing_ok_;
};

}  // namespace ucspi
