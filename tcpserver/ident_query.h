// An RFC 1413 query (-r) as djb's remoteinfo.c makes it, but nonblocking on the event loop:
// bind to the local IP, connect to the remote IP port 113, send "RPORT , LPORT\r\n", read one
// line, keep what follows the third ':' (blanks and CRs dropped). One timeout (-t) covers it all.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <optional>
#include <string>

#include "rules/event/event_handles.h"
#include "rules/base/unique_fd.h"

namespace ucspi {

class IdentQuery {
 public:
  // done gets the user text (possibly empty), or nullopt when the query failed. It is called at
  // most once, never after the IdentQuery is destroyed, and possibly before start() returns.
  using Done = std::function<void(std::optional<std::string>)>;

  IdentQuery(event_base* base, const sockaddr_storage& local, const sockaddr_storage& remote,
             unsigned long timeout_seconds, Done done);
  IdentQuery(const IdentQuery&) = delete;
  IdentQuery& operator=(const IdentQuery&) = delete;
  ~IdentQuery() = default;

  void start();

  // djb's parser over one received chunk; true when the reply is complete (newline or 257 bytes).
  struct Parser {
    int colons = 0;
    std::string text;
    bool feed(std::string_view chunk);
  };

 private:
  static void on_socket(evutil_socket_t, short what, void* self);
  static void on_timeout(evutil_socket_t, short, void* self);
  void finish(std::optional<std::string> result);
  void send_request();
  void read_reply();

  event_base* base_;
  sockaddr_storage local_;
  sockaddr_storage remote_;
  unsigned long timeout_seconds_;
  Done done_;
  UniqueFd fd_;
  EventPtr io_;
  EventPtr timer_;
  std::string request_;
  std::size_t sent_ = 0;
  Parser parser_;
};

}  // namespace ucspi
