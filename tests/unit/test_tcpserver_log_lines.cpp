#include <catch2/catch.hpp>

#include "tcpserver/log_lines.h"

using namespace ucspi;

namespace {

std::string safe(std::string_view s, bool keep_colons = false) {
  std::string out;
  append_safe(out, s, keep_colons);
  return out;
}

}  // namespace

TEST_CASE("safecats replaces unprintables, % and :", "[tcpserver][log]") {
  CHECK(safe("a:b c%d\xc3\xa9") == "a?b?c?d??");
  CHECK(safe("::1", true) == "::1");
  CHECK(safe("") == "");
}

TEST_CASE("safecats cuts at 100 bytes and marks exactly 100 too", "[tcpserver][log]") {
  CHECK(safe(std::string(99, 'x')) == std::string(99, 'x'));
  CHECK(safe(std::string(100, 'x')) == std::string(100, 'x') + "...");
  CHECK(safe(std::string(150, 'x')) == std::string(100, 'x') + "...");
}

TEST_CASE("status, pid and end lines", "[tcpserver][log]") {
  CHECK(status_line(0, 40) == "tcpserver: status: 0/40\n");
  CHECK(pid_line(17048, "127.0.0.1") == "tcpserver: pid 17048 from 127.0.0.1\n");
  CHECK(end_line(17048, 25600) == "tcpserver: end 17048 status 25600\n");
  CHECK(end_line(1, 9) == "tcpserver: end 1 status 9\n");
}

TEST_CASE("ok and deny lines keep empty fields empty", "[tcpserver][log]") {
  std::string local = "Local";
  DecisionFields f{17048, &local, "127.0.0.1", 45421, nullptr, "127.0.0.1", nullptr, 54640, false};
  CHECK(decision_line("ok", f) == "tcpserver: ok 17048 Local:127.0.0.1:45421 :127.0.0.1::54640\n");
  std::string host = "h.example", info = "";
  f.remote_host = &host;
  f.remote_info = &info;
  CHECK(decision_line("deny", f) ==
        "tcpserver: deny 17048 Local:127.0.0.1:45421 h.example:127.0.0.1::54640\n");
}

TEST_CASE("IPv6 clients log their addresses with colons", "[tcpserver][log][ipv6]") {
  DecisionFields f{5, nullptr, "::1", 25, nullptr, "::1", nullptr, 4000, true};
  CHECK(decision_line("ok", f) == "tcpserver: ok 5 :::1:25 :::1::4000\n");
}

TEST_CASE("the proxy line names the balancer and what its header said", "[tcpserver][log][proxy]") {
  CHECK(proxy_line(7, "127.0.0.1", 40000, 1, "") == "tcpserver: proxy 7 via 127.0.0.1:40000 v1\n");
  CHECK(proxy_line(8, "10.0.0.2", 1, 2, "LOCAL") ==
        "tcpserver: proxy 8 via 10.0.0.2:1 v2 LOCAL\n");
  CHECK(proxy_line(9, "2001:db8::1", 443, 1, "UNKNOWN") ==
        "tcpserver: proxy 9 via 2001:db8::1:443 v1 UNKNOWN\n");
  // The child prints it from the same tail, after the pid it knows only then.
  CHECK(std::string(proxy_head) + "10" + proxy_tail("::1", 5, 2, "") ==
        "tcpserver: proxy 10 via ::1:5 v2\n");
}
