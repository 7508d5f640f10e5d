#include "tcpserver/proxy_reader.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "rules/base/error_str.h"
#include "rules/event/callback_guard.h"

namespace ucspi {
namespace {

// One peek's worth; a v2 header with large TLVs takes several.
constexpr std::size_t peek_size = 4096;

}  // namespace

ProxyReader::ProxyReader(event_base* base, int fd, unsigned long timeout_seconds, Done done)
    : base_(base), fd_(fd), timeout_seconds_(timeout_seconds), done_(std::move(done)) {}

void ProxyReader::start() {
  timer_.reset(evtimer_new(base_, &ProxyReader::on_timeout, this));
  io_.reset(event_new(base_, fd_, EV_READ | EV_PERSIST, &ProxyReader::on_readable, this));
  if (!timer_ || !io_) return fail("out of memory");
  timeval tv = to_timeval(timeout_seconds_ * 1000);
  evtimer_add(timer_.get(), &tv);
  event_add(io_.get(), nullptr);
}

void ProxyReader::on_timeout(evutil_socket_t, short, void* self) {
  static_cast<ProxyReader*>(self)->fail("timed out");
}

void ProxyReader::on_readable(evutil_socket_t, short, void* self) {
  auto* r = static_cast<ProxyReader*>(self);
  guard_callback([r] { r->read_some(); }, [r](const char*) { r->fail("out of memory"); });
}

void ProxyReader::read_some() {
  char chunk[peek_size];
  const std::size_t room = std::min(peek_size, proxy_v2_max_length - seen_.size());
  if (room == 0) return fail("header longer than the protocol allows");  // parser bug guard
  const ssize_t n = ::recv(fd_, chunk, room, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) return fail(error_str(errno));
  if (n == 0) return fail("connection closed before the header ended");
  const std::size_t before = seen_.size();
  seen_.append(chunk, static_cast<std::size_t>(n));
  const ProxyParse parse = parse_proxy_header(seen_);
  switch (parse.status) {
    case ProxyParse::Status::invalid: return fail(std::string(parse.reason));
    case ProxyParse::Status::need_more:
      // Every byte seen is the header's: take them off the socket and wait for the rest.
      if (!consume(static_cast<std::size_t>(n))) return fail("socket lost peeked bytes");
      return;
    case ProxyParse::Status::done:
      if (!consume(parse.header.length - before)) return fail("socket lost peeked bytes");
      return finish(Outcome{true, parse.header, {}});
  }
}

bool ProxyReader::consume(std::size_t count) {
  char sink[peek_size];
  while (count > 0) {
    const ssize_t n = ::recv(fd_, sink, std::min(count, sizeof sink), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    count -= static_cast<std::size_t>(n);
  }
  return true;
}

void ProxyReader::fail(std::string why) { finish(Outcome{false, {}, std::move(why)}); }

void ProxyReader::finish(Outcome outcome) {
  io_.reset();
  timer_.reset();
  if (!done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(outcome));  // may destroy *this: touch nothing afterwards
}

}  // namespace ucspi
