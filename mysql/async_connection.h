// One MariaDB connection driven by Connector/C's nonblocking API (the *_start/*_cont calls)
// from libevent: nothing here ever waits for the server. Each operation has a deadline
// enforced by a libevent timer on top of Connector/C's own second-granular timeouts; a
// failed or timed-out operation leaves the connection closed, so the next user reconnects
// instead of finding a half-read reply ("commands out of sync").
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "mysql/mysql_handles.h"
#include "mysql/mysql_store.h"

namespace ucspi {

class AsyncConnection {
 public:
  struct Outcome {
    std::string error;      // empty on success
    MysqlResultPtr result;  // a query's stored result
  };
  // Callbacks run from libevent and must not throw.
  using Callback = std::function<void(Outcome)>;

  AsyncConnection(event_base* base, MysqlConfig config);
  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  bool connected() const { return mysql_ != nullptr && op_ == Op::none; }
  bool busy() const { return op_ != Op::none; }

  // Requires !connected() && !busy(). `done` runs once, from the event loop, never from here.
  void connect(Callback done);
  // Requires connected(). Sends sql and stores the whole result.
  void query(std::string sql, Callback done);
  // Escapes for a quoted literal, with the connection's character set.
  std::string escape(std::string_view text) const;
  // Drops the connection and any operation in progress without calling its callback.
  void close();
  // Called (from the event loop) when an idle connection turns readable: the server closed it
  // (restart, wait_timeout, KILL). The connection is already dropped by then.
  void on_lost(std::function<void()> lost) { lost_ = std::move(lost); }

 private:
  enum class Op { none, connect, query, store };

  void arm_deadline(unsigned ms);
  void handle(int status);
  void wait(int status);
  int resume(int status);
  void complete();
  void finish(Outcome outcome);
  void fail(std::string error);
  void abort_connection(bool polite);
  void watch_idle();

  static void on_io(evutil_socket_t fd, short what, void* self) noexcept;
  static void on_deadline(evutil_socket_t fd, short what, void* self) noexcept;
  static void on_idle(evutil_socket_t fd, short what, void* self) noexcept;
  static void on_later(evutil_socket_t fd, short what, void* self) noexcept;

  event_base* base_;
  MysqlConfig config_;
  MysqlPtr mysql_;
  Op op_ = Op::none;
  Callback done_;
  std::string sql_;
  MYSQL* connect_ret_ = nullptr;
  int query_ret_ = 0;
  MYSQL_RES* store_ret_ = nullptr;
  bool suspended_ = false;  // a *_start/_cont returned "wait": Connector/C is mid-call
  int cloexec_fd_ = -1;
  unsigned deadline_ms_ = 0;
  EventPtr io_;
  EventPtr deadline_;
  EventPtr idle_;
  // Delivers an outcome that was ready at once on the next loop turn, keeping the promise
  // that callbacks never run from inside connect()/query().
  EventPtr later_;
  Outcome later_outcome_;
  Callback later_done_;
  std::function<void()> lost_;
};

}  // namespace ucspi
