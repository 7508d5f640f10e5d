// RAII owners for Connector/C and libevent handles, so every early return or exception frees
// exactly what was acquired.
#pragma once

#include <event2/event.h>
#include <mysql.h>

#include <memory>

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

// event_free() also removes a pending event, so dropping the pointer guarantees its callback
// never runs again.
struct LibeventFree {
  void operator()(event* ev) const { event_free(ev); }
};
using LibeventPtr = std::unique_ptr<event, LibeventFree>;

inline timeval timeval_of_ms(unsigned ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

}  // namespace ucspi
