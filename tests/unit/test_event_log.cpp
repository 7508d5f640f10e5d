// libevent's own messages become the program's warnings: prefixed, one line, no control bytes,
// chatter below warning level dropped.
#include <catch2/catch.hpp>

#include <event2/event.h>

#include "rules/event/event_log.h"

using namespace ucspi;

TEST_CASE("a libevent warning becomes the program's prefixed warning line", "[event][log]") {
  CHECK(libevent_line("tcpserver", EVENT_LOG_WARN, "Epoll ADD(1) on fd 0 failed") ==
        "tcpserver: warning: libevent: Epoll ADD(1) on fd 0 failed\n");
  CHECK(libevent_line("relay-mysql", EVENT_LOG_ERR, "x") == "relay-mysql: warning: libevent: x\n");
}

TEST_CASE("a libevent message cannot split or forge a log line", "[event][log]") {
  CHECK(libevent_line("tcpserver", EVENT_LOG_WARN, "a\nb\rc\x1b" "d\x7f") ==
        "tcpserver: warning: libevent: a?b?c?d?\n");
}

TEST_CASE("libevent's debug and informational messages are dropped", "[event][log]") {
  CHECK(libevent_line("tcpserver", EVENT_LOG_DEBUG, "x").empty());
  CHECK(libevent_line("tcpserver", EVENT_LOG_MSG, "x").empty());
  CHECK(libevent_line("tcpserver", EVENT_LOG_WARN, nullptr).empty());
}
