#include "tcpserver/ident_query.h"

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "rules/event/callback_guard.h"
#include "tcpserver/socket_address.h"

namespace ucspi {
bool IdentQuery::Parser::feed(std::string_view chunk) {
  for (char c : chunk) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '\n') return true;
    if (colons < 3) {
      if (c == ':') ++colons;
      continue;
    }
    text += c;
    if (text.size() > 256) return true;
  }
  return false;
}

IdentQuery::IdentQuery(event_base* base, const sockaddr_storage& local,
                       const sockaddr_storage& remote, unsigned long timeout_seconds, Done done)
    : base_(base), local_(local), remote_(remote), timeout_seconds_(timeout_seconds),
      done_(std::move(done)) {}

void IdentQuery::start() {
  request_ = std::to_string(port_of(remote_)) + " , " + std::to_string(port_of(local_)) + "\r\n";
  sockaddr_storage bind_to = local_;
  set_port(bind_to, 0);
  sockaddr_storage connect_to = remote_;
  set_port(connect_to, 113);

  fd_.reset(::socket(remote_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_ || ::bind(fd_.get(), as_sockaddr(bind_to), length_of(bind_to)) != 0)
    return finish(std::nullopt);
  if (::connect(fd_.get(), as_sockaddr(connect_to), length_of(connect_to)) != 0 &&
      errno != EINPROGRESS)
    return finish(std::nullopt);

  timer_.reset(evtimer_new(base_, &IdentQuery::on_timeout, this));
  io_.reset(event_new(base_, fd_.get(), EV_WRITE | EV_PERSIST, &IdentQuery::on_socket, this));
  if (!timer_ || !io_) return finish(std::nullopt);
  timeval tv = to_timeval(timeout_seconds_ * 1000);
  evtimer_add(timer_.get(), &tv);
  event_add(io_.get(), nullptr);
}

void IdentQuery::on_timeout(evutil_socket_t, short, void* self) {
  static_cast<IdentQuery*>(self)->finish(std::nullopt);
}

void IdentQuery::on_socket(evutil_socket_t, short what, void* self) {
  auto* q = static_cast<IdentQuery*>(self);
  guard_callback(
      [q, what] {
        if (what & EV_WRITE)
          q->send_request();
        else
          q->read_reply();
      },
      [q](const char*) { q->finish(std::nullopt); });  // no answer, as for a failed query
}

void IdentQuery::send_request() {
  ssize_t n = ::send(fd_.get(), request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    return finish(std::nullopt);  // includes a refused connect, reported here
  }
  sent_ += static_cast<std::size_t>(n);
  if (sent_ < request_.size()) return;
  event_del(io_.get());
  io_.reset(event_new(base_, fd_.get(), EV_READ | EV_PERSIST, &IdentQuery::on_socket, this));
  if (!io_) return finish(std::nullopt);
  event_add(io_.get(), nullptr);
}

void IdentQuery::read_reply() {
  char buf[128];
  ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) return finish(std::nullopt);  // EOF before a newline: unset, like djb
  if (parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)))) {
    // djb's text is a C string everywhere (TCPREMOTEINFO, the log, the rules key INFO@IP): a
    // NUL ends it. Cut here, not in the parser, where the bytes after it still count toward
    // djb's 257-byte limit.
    std::string& text = parser_.text;
    text.resize(std::min(text.size(), text.find('\0')));
    finish(std::move(text));
  }
}

void IdentQuery::finish(std::optional<std::string> result) {
  io_.reset();
  timer_.reset();
  fd_.reset();
  if (!done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));  // may destroy *this: touch nothing afterwards
}

}  // namespace ucspi
