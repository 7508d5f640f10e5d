#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include <unistd.h>

#include "tcpserver/endpoint.h"
#include "rules/base/ip_address.h"
#include "tcpserver/listen_address.h"
#include "tcpserver/services_file.h"

using namespace ucspi;

namespace {

sockaddr_storage v4(const char* ip, unsigned short port) {
  sockaddr_storage ss{};
  auto& a = reinterpret_cast<sockaddr_in&>(ss);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return ss;
}

sockaddr_storage v6(const char* ip, unsigned short port) {
  sockaddr_storage ss{};
  auto& a = reinterpret_cast<sockaddr_in6&>(ss);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return ss;
}

std::string ip4_text(const HostResult& r) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(r.addr).sin_addr, buf, sizeof buf);
  return buf;
}

}  // namespace

TEST_CASE("IPv4 clients are presented as djb presents them", "[tcpserver][address]") {
  Endpoint e;
  REQUIRE(present_endpoint(v4("10.1.2.3", 2525), false, e));
  CHECK_FALSE(e.ipv6);
  CHECK(e.ip == "10.1.2.3");
  CHECK(e.canonical == "10.1.2.3");
  CHECK(e.port == 2525);
}

TEST_CASE("IPv4 clients on a dual-stack socket look like IPv4 clients", "[tcpserver][address]") {
  Endpoint e;
  REQUIRE(present_endpoint(v6("::ffff:127.0.0.1", 1), false, e));
  CHECK_FALSE(e.ipv6);
  CHECK(e.ip == "127.0.0.1");
  REQUIRE(present_endpoint(v6("::ffff:127.0.0.1", 1), true, e));  // -6
  CHECK(e.ipv6);
  CHECK(e.ip == "::ffff:127.0.0.1");
  CHECK(e.canonical == "127.0.0.1");
}

TEST_CASE("IPv6 clients use fefe's text, the store RFC 5952", "[tcpserver][address][ipv6]") {
  Endpoint e;
  REQUIRE(present_endpoint(v6("2001:db8:0:1:1:1:1:1", 1), false, e));
  CHECK(e.ipv6);
  CHECK(e.ip == "2001:db8::1:1:1:1:1");
  CHECK(e.canonical == "2001:db8:0:1:1:1:1:1");
}

TEST_CASE("ip text formats", "[rules][address]") {
  auto ip = *parse_ip6("2001:db8::1");
  CHECK(format_ip6_fefe(ip) == "2001:db8::1");
  CHECK(format_ip6_expanded(ip) == "2001:0DB8:0000:0000:0000:0000:0000:0001");
  CHECK(format_ip6_fefe(*parse_ip6("1:0:0:2:0:0:0:3")) == "1:0:0:2::3");
  CHECK(format_ip6_fefe(*parse_ip6("1:0:0:2:0:0:3:4")) == "1::2:0:0:3:4");
  CHECK(format_ip6_fefe(*parse_ip6("::")) == "::");
  CHECK(format_ip6_fefe(*parse_ip6("1::")) == "1::");
  CHECK(canonical_ip_text("::ffff:10.0.0.1") == "10.0.0.1");
  CHECK(canonical_ip_text("2001:DB8::1") == "2001:db8::1");
  CHECK_FALSE(canonical_ip_text(""));
  CHECK_FALSE(canonical_ip_text("1.2.3"));
  CHECK_FALSE(canonical_ip_text("01.2.3.4"));
}

TEST_CASE("listen hosts follow djb's numeric rules", "[tcpserver][address]") {
  auto any = resolve_listen_host("0", false, 0);
  CHECK(any.dual_stack);
  CHECK(any.addr.ss_family == AF_INET6);
  CHECK(resolve_listen_host("", true, 0).addr.ss_family == AF_INET);
  auto bracket = resolve_listen_host("[127.000.000.001]", false, 0);
  REQUIRE(bracket.status == HostResult::Status::ok);
  CHECK(ip4_text(bracket) == "127.0.0.1");
  CHECK(resolve_listen_host("127.1", false, 0).status == HostResult::Status::no_address);
  CHECK(ip4_text(resolve_listen_host("1.2.3.4.5", false, 0)) == "1.2.3.4");
  CHECK(ip4_text(resolve_listen_host("1.2.3.260", false, 0)) == "1.2.3.4");
  CHECK(resolve_listen_host("::ffff:127.0.0.1", false, 0).addr.ss_family == AF_INET);
  CHECK(resolve_listen_host("::1", false, 0).addr.ss_family == AF_INET6);
}

TEST_CASE("ports: digits mod 65536, else a service name", "[tcpserver][address]") {
  CHECK(parse_port("25").port == 25);
  CHECK(parse_port("").ok);
  CHECK(parse_port("").port == 0);
  CHECK(parse_port("65536").port == 0);
  CHECK(parse_port("65537").port == 1);
  CHECK_FALSE(parse_port("nonexistentport").ok);
  CHECK_FALSE(parse_port("0x50").ok);
}

TEST_CASE("port names come from /etc/services, tcp entries and their aliases", "[tcpserver][address]") {
  char path[] = "/tmp/services.XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string text =
      "# comment smtp 99/tcp\n"
      "smtp\t\t25/tcp\t\tmail\n"
      "domain 53/udp\n"
      "pop3 110/tcp pop-3 # after a comment: nothing\n"
      "  weird   \t 7/tcp\r\n"
      "broken /tcp\n"
      "big 70000/tcp\n";
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  CHECK(tcp_service_port("smtp", path) == 25);
  CHECK(tcp_service_port("mail", path) == 25);
  CHECK(tcp_service_port("pop-3", path) == 110);
  CHECK(tcp_service_port("weird", path) == 7);
  CHECK_FALSE(tcp_service_port("domain", path));
  CHECK_FALSE(tcp_service_port("comment", path));
  CHECK_FALSE(tcp_service_port("nothing", path));
  CHECK_FALSE(tcp_service_port("broken", path));
  CHECK_FALSE(tcp_service_port("big", path));
  CHECK_FALSE(tcp_service_port("", path));
  CHECK_FALSE(tcp_service_port("smtp", "/nonexistent/services"));
  ::unlink(path);
  // The system's file, as run files name ports.
  CHECK(parse_port("smtp").port == 25);
}

TEST_CASE("host names to listen on resolve through /etc/hosts", "[tcpserver][address]") {
  HostResult local = resolve_listen_host("localhost", true, 0);
  REQUIRE(local.status == HostResult::Status::ok);
  CHECK(ip4_text(local) == "127.0.0.1");
}
