#include "tests/mysql/hung_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

namespace ucspi::test {

HungServer::HungServer() : listener_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  REQUIRE(listener_.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener_.get(), 64) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HungServer::~HungServer() {
  stop_ = true;
  thread_.join();
}

// Accepts and holds every connection open, reading nothing and writing nothing.
void HungServer::serve() {
  while (!stop_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    clients_.emplace_back(fd);
    ++accepted_;
  }
}

}  // namespace ucspi::test
