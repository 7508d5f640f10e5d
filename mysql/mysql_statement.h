// A prepared statement on a blocking connection: bind a few values, execute, report errors as
// StoreError naming the operation. Values never pass through SQL text.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mysql/mysql_handles.h"
#include "rules/roaming/roaming_store.h"

namespace ucspi {

// A failed prepare/execute, with the server's error number for callers that expect some.
class StatementError : public StoreError {
 public:
  StatementError(const std::string& message, unsigned code) : StoreError(message), code_(code) {}
  unsigned code() const { return code_; }

 private:
  unsigned code_;
};

class Statement {
 public:
  // `what` names the operation in error messages ("record", "expire").
  Statement(MYSQL* mysql, const std::string& sql, std::string what);

  Statement& bind(std::string text);
  Statement& bind(std::int64_t number);
  // Executes with the values bound so far; returns the affected row count.
  std::uint64_t execute();

 private:
  [[noreturn]] void fail() const;

  std::string what_;
  MysqlStmtPtr stmt_;
  std::vector<std::variant<std::string, long long>> values_;
};

}  // namespace ucspi
