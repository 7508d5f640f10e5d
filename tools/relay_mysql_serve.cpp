// relay-mysql serve CONFIGFILE
// The store helper of doc/store-helper-protocol.md: tcpserver starts it with one end of a
// socketpair as fd 0 (requests) and fd 1 (replies) and its own log as fd 2. Requests are
// socketmap netstrings, "relay <IP>"; replies go out strictly in request order:
//   OK <seconds> | OK permanent    the IP's newest login (no window here: tcpserver's job)
//   NOTFOUND                       no row, or a key that is not an IP address
//   TEMP <reason>                  the database cannot answer now
//   PERM <reason>                  never answerable as asked (unknown map, narrow column)
// One single-threaded libevent loop; nothing is logged in normal operation (the reasons go to
// tcpserver in the replies). Exit 0 at end of input once every request read is answered;
// exit 111 with "relay-mysql: fatal: ..." for a config error at startup, a stream that is not
// netstrings (or ends inside one), or a failed write of replies while requests may still come.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "rules/base/messages.h"
#include "rules/base/write_all.h"
#include "rules/event/callback_guard.h"
#include "mysql/login_lookup.h"
#include "tools/relay_mysql_modes.h"
#include "tools/relay_mysql_replies.h"
#include "rules/roaming/roaming_store.h"
#include "rules/event/event_handles.h"
#include "rules/event/event_log.h"
#include "rules/roaming/socketmap.h"

namespace ucspi {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
// While this much reply text waits for tcpserver to read it, no more requests are read.
constexpr std::size_t kOutputHigh = 256 * 1024;

[[noreturn]] void fatal(std::string_view what) { die(111, {"relay-mysql: fatal: ", what}); }

[[noreturn]] void fatal_errno(std::string_view what, int err) {
  die_sys(err, {"relay-mysql: fatal: ", what});
}

// After recovering from an exception failed too (libevent callbacks are noexcept): no
// allocation here, the likely cause is memory. tcpserver starts a new helper.
[[noreturn]] void die_from_terminate() noexcept {
  const char* what = "internal error";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::bad_alloc&) {
      what = "out of memory";
    } catch (...) {
    }
  }
  const std::string_view prefix = "relay-mysql: fatal: ";
  [[maybe_unused]] ssize_t n = ::write(2, prefix.data(), prefix.size());
  n = ::write(2, what, std::char_traits<char>::length(what));
  n = ::write(2, "\n", 1);
  _exit(111);
}

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) fatal_errno("unable to use fd " + std::to_string(fd), errno);
  // A terminal shared with the shell (running it by hand) is left alone.
  if (!isatty(fd) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    fatal_errno("unable to use fd " + std::to_string(fd), errno);
  }
}

class Helper {
 public:
  Helper(event_base* base, std::unique_ptr<LoginLookup> lookup)
      : base_(base),
        read_event_(event_new(base, 0, EV_READ | EV_PERSIST, &on_readable, this)),
        write_event_(event_new(base, 1, EV_WRITE, &on_writable, this)),
        lookup_(std::move(lookup)) {
    if (!read_event_ || !write_event_) fatal("unable to create an event");
  }

  void start() { resume_reading(); }

 private:
  static void on_readable(evutil_socket_t, short, void* self) noexcept {
    static_cast<Helper*>(self)->read_requests();
  }

  static void on_writable(evutil_socket_t, short, void* self) noexcept {
    static_cast<Helper*>(self)->flush();
  }

  void read_requests() {
    char buffer[kReadChunk];
    ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      fatal_errno("unable to read requests", errno);
    }
    if (n == 0) {
      if (unparsed_ > 0) fatal("requests end inside a netstring");
      end_of_input_ = true;
      event_del(read_event_.get());
      return finish_if_done();
    }
    reader_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    unparsed_ += static_cast<std::size_t>(n);
    std::string payload;
    for (;;) {
      switch (reader_.next(payload)) {
        case NetstringReader::Status::ready:
          unparsed_ -= netstring(payload).size();
          handle(payload);
          break;
        case NetstringReader::Status::need_more: return flush();
        case NetstringReader::Status::malformed: fatal("requests are not netstrings");
      }
    }
  }

  // Takes the request's reply slot first: if anything below runs out of memory, the slot
  // still gets its answer and the replies stay in step.
  void handle(const std::string& payload) {
    const OrderedReplies::Ticket ticket = replies_.reserve();
    try {
      std::optional<SocketmapRequest> request = parse_socketmap_request(payload);
      if (!request) return replies_.fill(ticket, perm_reply("bad request: expected `MAP KEY`"));
      if (request->map != relay_map) {
        return replies_.fill(ticket, perm_reply("unknown map " + request->map + " (only relay)"));
      }
      lookup_->lookup(request->key, [this, ticket](LoginAnswer answer) noexcept {
        guard_callback([&] { replies_.fill(ticket, reply_for(answer)); },
                       [&](const char* why) { replies_.fill(ticket, temp_reply(why)); });
        flush();
      });
    } catch (const std::bad_alloc&) {
      replies_.fill(ticket, temp_reply("out of memory"));
    }
  }

  void flush() {
    replies_.take_ready(output_);
    std::size_t written = 0;
    while (written < output_.size()) {
      ssize_t n = ::write(1, output_.data() + written, output_.size() - written);
      if (n >= 0) {
        written += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        event_add(write_event_.get(), nullptr);
        break;
      }
      // tcpserver closed its end: after end of input that is how it ends, else it is lost.
      if (end_of_input_) return stop();
      fatal_errno("unable to write replies", errno);
    }
    output_.erase(0, written);
    if (output_.size() > kOutputHigh) {
      event_del(read_event_.get());
    } else if (!end_of_input_) {
      resume_reading();
    }
    finish_if_done();
  }

  void resume_reading() {
    if (event_pending(read_event_.get(), EV_READ, nullptr)) return;
    if (event_add(read_event_.get(), nullptr) != 0) fatal("unable to watch fd 0 for requests");
  }

  void finish_if_done() {
    if (end_of_input_ && replies_.pending() == 0 && output_.empty()) stop();
  }

  void stop() { event_base_loopbreak(base_); }

  event_base* base_;
  EventPtr read_event_;
  EventPtr write_event_;
  NetstringReader reader_{socketmap_max_payload};
  OrderedReplies replies_;
  std::string output_;
  std::size_t unparsed_ = 0;  // bytes read that are not yet a whole request
  bool end_of_input_ = false;
  // Last: destroyed first, so no lookup callback can run into the members above.
  std::unique_ptr<LoginLookup> lookup_;
};

}  // namespace

int relay_mysql_serve_main(int argc, char** argv) {
  if (argc != 2) die(100, {"relay-mysql: usage: relay-mysql serve CONFIGFILE"});
  std::set_terminate(die_from_terminate);
  signal(SIGPIPE, SIG_IGN);  // a write to a closed socketpair is an error to handle, not death
  event_set_log_callback([](int severity, const char* message) {
    write_all(2, libevent_line("relay-mysql", severity, message));
  });
  EventBasePtr base(event_base_new());
  if (!base) fatal("unable to create an event loop");
  std::unique_ptr<LoginLookup> lookup;
  try {
    lookup = make_mysql_login_lookup(base.get(), load_mysql_config(argv[1]), ConnectWhen::now);
  } catch (const StoreError& e) {
    fatal(e.what());
  }
  set_nonblocking(0);
  set_nonblocking(1);
  Helper helper(base.get(), std::move(lookup));
  helper.start();
  if (event_base_dispatch(base.get()) < 0) fatal("event loop failed");
  return 0;
}

}  // namespace ucspi
