#include "mysql/mysql_connect.h"

#include <fcntl.h>

#include <mutex>

namespace ucspi {

namespace {

// mysql_init() initialises the library lazily but not thread-safely; the tools' writers may
// run in threads, so do it once up front.
void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

unsigned whole_seconds(unsigned ms) { return ms == 0 ? 1 : (ms + 999) / 1000; }

}  // namespace

MysqlPtr new_mysql_handle(const MysqlConfig& config, bool nonblocking) {
  init_library_once();
  MysqlPtr mysql(mysql_init(nullptr));
  if (!mysql) throw StoreError("mysql: out of memory");
  // On the event loop our own millisecond timers are the deadline; Connector/C's whole-second
  // timeouts stay one second behind as a backstop, so the outage is reported as ours.
  unsigned slack = nonblocking ? 1 : 0;
  unsigned connect_s = whole_seconds(config.connect_timeout_ms) + slack;
  unsigned query_s = whole_seconds(config.query_timeout_ms) + slack;
  mysql_options(mysql.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(mysql.get(), MYSQL_OPT_READ_TIMEOUT, &query_s);
  mysql_options(mysql.get(), MYSQL_OPT_WRITE_TIMEOUT, &query_s);
  // utf8mb4 so escaping and the server agree on the character set.
  mysql_options(mysql.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (nonblocking && mysql_options(mysql.get(), MYSQL_OPT_NONBLOCK, nullptr) != 0) {
    throw StoreError("mysql: cannot enable the nonblocking API");
  }
  return mysql;
}

ConnectTarget connect_target(const MysqlConfig& config) {
  if (!config.socket.empty()) return {"localhost", 0, config.socket.c_str()};
  return {config.server.c_str(), config.port, nullptr};
}

std::string describe_server(const MysqlConfig& config) {
  if (!config.socket.empty()) return config.socket;
  return config.server + ":" + std::to_string(config.port);
}

void set_cloexec(int fd) {
  if (fd < 0) return;
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0 && !(flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

MysqlPtr connect_blocking(const MysqlConfig& config) {
  MysqlPtr mysql = new_mysql_handle(config, false);
  ConnectTarget target = connect_target(config);
  if (!mysql_real_connect(mysql.get(), target.host, config.user.c_str(), config.pass.c_str(),
                          config.database.c_str(), target.port, target.socket, 0)) {
    throw StoreError("mysql " + describe_server(config) + ": " + mysql_error(mysql.get()));
  }
  set_cloexec(static_cast<int>(mysql_get_socket(mysql.get())));
  return mysql;
}

}  // namespace ucspi
