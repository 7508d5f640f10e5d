// The -x rules for one connection: the cdb is checked for every connection (a file renamed into
// place by tcprules takes effect on the next one, no signal), but reopened and remapped only
// when the path names a different file than last time.
#pragma once

#include <string>

#include "rules/cdb/cdb_file.h"
#include "tcpserver/child_env.h"
#include "rules/lookup_order.h"

namespace ucspi {

struct RuleVerdict {
  int error = 0;  // errno: drop with "unable to read RULES: ..."
  bool deny = false;
};

class RulesGate {
 public:
  RulesGate(std::string path, bool missing_ok) : path_(std::move(path)), missing_ok_(missing_ok) {}

  // Applies the first matching rule: its variables go into edits (in file order).
  RuleVerdict check(const Client& client, EnvEdits& edits);
  const std::string& path() const { return path_; }

 private:
  int refresh();  // 0, ENOENT (no file), or another errno

  std::string path_;
  bool missing_ok_;
  CdbReader cdb_;
};

}  // namespace ucspi
