// RAII owners for Connector/C handles (libevent's are in rules/event_handles.h), so every early return or exception frees
// exactly what was acquired.
#pragma once

#include <mysql.h>

#include <memory>

#include "rules/event/event_handles.h"

namespace ucspi {

struct MysqlCloser {
  void operator()(MYSQL* mysql) const { mysql_close(mysql); }
};
using MysqlPtr = std::unique_ptr<MYSQL, MysqlCloser>;

struct MysqlResultFree {
  void operator()(MYSQL_RES* result) const { mysql_free_result(result); }
};
using MysqlResultPtr = std::unique_ptr<MYSQL_RES, MysqlResultFree>;

struct MysqlStmtClose {
  void operator()(MYSQL_STMT* stmt) const { mysql_stmt_close(stmt); }
};
using MysqlStmtPtr = std::unique_ptr<MYSQL_STMT, MysqlStmtClose>;

}  // namespace ucspi
