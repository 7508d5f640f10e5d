#include "mysql/async_connection.h"

#include <utility>

#include "rules/event/callback_guard.h"
#include "mysql/mysql_connect.h"

namespace ucspi {

namespace {

EventPtr new_timer(event_base* base, event_callback_fn fn, void* self) {
  EventPtr timer(evtimer_new(base, fn, self));
  if (!timer) throw StoreError("mysql: cannot create an event");
  return timer;
}

}  // namespace

AsyncConnection::AsyncConnection(event_base* base, MysqlConfig config)
    : base_(base),
      config_(std::move(config)),
      deadline_(new_timer(base, &on_deadline, this)),
      later_(new_timer(base, &on_later, this)) {}

AsyncConnection::~AsyncConnection() { close(); }

void AsyncConnection::connect(Callback done) {
  done_ = std::move(done);
  op_ = Op::connect;
  try {
    mysql_ = new_mysql_handle(config_, true);
  } catch (const StoreError& e) {
    return finish(Outcome{e.what(), nullptr});
  }
  cloexec_fd_ = -1;
  arm_deadline(config_.connect_timeout_ms);
  ConnectTarget target = connect_target(config_);
  handle(mysql_real_connect_start(&connect_ret_, mysql_.get(), target.host, config_.user.c_str(),
                                  config_.pass.c_str(), config_.database.c_str(), target.port,
                                  target.socket, 0));
}

void AsyncConnection::query(std::string sql, Callback done) {
  idle_.reset();
  done_ = std::move(done);
  op_ = Op::query;
  sql_ = std::move(sql);
  arm_deadline(config_.query_timeout_ms);
  handle(mysql_real_query_start(&query_ret_, mysql_.get(), sql_.data(), sql_.size()));
}

std::string AsyncConnection::escape(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(mysql_.get(), out.data(), text.data(), text.size());
  out.resize(n);
  return out;
}

void AsyncConnection::close() {
  abort_connection(op_ == Op::none);
  event_del(later_.get());
  later_done_ = nullptr;
  later_outcome_ = Outcome{};
  op_ = Op::none;
}

void AsyncConnection::arm_deadline(unsigned ms) {
  deadline_ms_ = ms;
  timeval tv = to_timeval(ms);
  event_add(deadline_.get(), &tv);
}

// `status` is what the last *_start/*_cont returned: 0 = the step is done, else what to wait for.
void AsyncConnection::handle(int status) {
  suspended_ = status != 0;
  while (status == 0 && op_ != Op::none) {
    switch (op_) {
      case Op::connect:
        if (!connect_ret_) return fail(mysql_error(mysql_.get()));
        set_cloexec(static_cast<int>(mysql_get_socket(mysql_.get())));
        return finish(Outcome{});
      case Op::query:
        if (query_ret_ != 0) return fail(mysql_error(mysql_.get()));
        op_ = Op::store;
        status = mysql_store_result_start(&store_ret_, mysql_.get());
        suspended_ = status != 0;
        break;
      case Op::store: {
        MysqlResultPtr result(std::exchange(store_ret_, nullptr));
        if (!result) return fail(mysql_error(mysql_.get()));
        return finish(Outcome{{}, std::move(result)});
      }
      case Op::none:
        return;
    }
  }
  if (status != 0) wait(status);
}

void AsyncConnection::wait(int status) {
  int fd = static_cast<int>(mysql_get_socket(mysql_.get()));
  // The socket appears during connect; mark it before any child could be forked and exec'd.
  if (fd >= 0 && fd != cloexec_fd_) {
    set_cloexec(fd);
    cloexec_fd_ = fd;
  }
  short what = 0;
  if (status & (MYSQL_WAIT_READ | MYSQL_WAIT_EXCEPT)) what |= EV_READ;
  if (status & MYSQL_WAIT_WRITE) what |= EV_WRITE;
  io_.reset(fd >= 0 && what ? event_new(base_, fd, what, &on_io, this)
                            : evtimer_new(base_, &on_io, this));
  if (!io_) return fail("cannot create an event");
  timeval tv{};
  if (status & MYSQL_WAIT_TIMEOUT) tv = to_timeval(mysql_get_timeout_value_ms(mysql_.get()));
  event_add(io_.get(), (status & MYSQL_WAIT_TIMEOUT) ? &tv : nullptr);
}

int AsyncConnection::resume(int status) {
  int next = 0;
  switch (op_) {
    case Op::connect: next = mysql_real_connect_cont(&connect_ret_, mysql_.get(), status); break;
    case Op::query: next = mysql_real_query_cont(&query_ret_, mysql_.get(), status); break;
    case Op::store: next = mysql_store_result_cont(&store_ret_, mysql_.get(), status); break;
    case Op::none: break;
  }
  suspended_ = next != 0;
  return next;
}

void AsyncConnection::on_io(evutil_socket_t, short what, void* self) noexcept {
  auto* conn = static_cast<AsyncConnection*>(self);
  int status = 0;
  if (what & EV_READ) status |= MYSQL_WAIT_READ;
  if (what & EV_WRITE) status |= MYSQL_WAIT_WRITE;
  if (what & EV_TIMEOUT) status |= MYSQL_WAIT_TIMEOUT;
  guard_callback([&] { conn->handle(conn->resume(status)); },
                 [conn](const char* why) { conn->fail(why); });
}

void AsyncConnection::on_deadline(evutil_socket_t, short, void* self) noexcept {
  auto* conn = static_cast<AsyncConnection*>(self);
  const char* phase = conn->op_ == Op::connect ? "connect" : "query";
  guard_callback(
      [&] {
        conn->fail(std::string(phase) + " timed out after " +
                   std::to_string(conn->deadline_ms_) + " ms");
      },
      [conn](const char* why) { conn->fail(why); });
}

void AsyncConnection::finish(Outcome outcome) {
  io_.reset();
  event_del(deadline_.get());
  later_outcome_ = std::move(outcome);
  later_done_ = std::move(done_);
  event_active(later_.get(), EV_TIMEOUT, 0);
}

void AsyncConnection::fail(std::string error) {
  abort_connection(false);
  finish(Outcome{std::move(error), nullptr});
}

void AsyncConnection::on_later(evutil_socket_t, short, void* self) noexcept {
  auto* conn = static_cast<AsyncConnection*>(self);
  conn->op_ = Op::none;
  if (conn->mysql_) conn->watch_idle();
  Callback done = std::move(conn->later_done_);
  Outcome outcome = std::move(conn->later_outcome_);
  conn->later_outcome_ = Outcome{};
  if (done) done(std::move(outcome));  // last: the owner may start the next operation
}

// Ends the connection without waiting for the server. A suspended call is first unwound
// inside Connector/C: mariadb_cancel() makes every further read/write fail at once, and the
// call is resumed as timed out, so mysql_close() never frees a handle mid-operation.
// `polite` sends COM_QUIT (an idle, healthy connection being shut down); otherwise the
// socket is cancelled first so nothing is written to a server in trouble.
void AsyncConnection::abort_connection(bool polite) {
  io_.reset();
  idle_.reset();
  event_del(deadline_.get());
  if (!mysql_) return;
  if (suspended_) {
    mariadb_cancel(mysql_.get());
    for (int round = 0; round < 8 && suspended_; ++round) resume(MYSQL_WAIT_TIMEOUT);
    suspended_ = false;
  } else if (!polite) {
    mariadb_cancel(mysql_.get());
  }
  MysqlResultPtr orphan(std::exchange(store_ret_, nullptr));
  mysql_.reset();
  cloexec_fd_ = -1;
}

void AsyncConnection::watch_idle() {
  int fd = static_cast<int>(mysql_get_socket(mysql_.get()));
  idle_.reset(event_new(base_, fd, EV_READ, &on_idle, this));
  if (idle_) event_add(idle_.get(), nullptr);
}

// A server never speaks unasked, so readable-while-idle means it closed the connection or
// is about to (shutdown notice). Drop it now rather than failing the next lookup.
void AsyncConnection::on_idle(evutil_socket_t, short, void* self) noexcept {
  auto* conn = static_cast<AsyncConnection*>(self);
  conn->abort_connection(false);
  if (conn->lost_) conn->lost_();
}

}  // namespace ucspi
