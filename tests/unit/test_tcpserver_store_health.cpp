// What tcpserver says about a roaming store that cannot answer: once when it starts failing,
// again every 10 minutes, once when it is back; a refused key once per reason and 10 minutes.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tcpserver/logger.h"
#include "tcpserver/store_health.h"
#include "rules/base/unique_fd.h"

using namespace ucspi;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// Collects what is written to fd 2 while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
    read_.reset(fds[0]);
    saved_.reset(::dup(2));
    ::dup2(fds[1], 2);
    ::close(fds[1]);
  }
  ~StderrCapture() { ::dup2(saved_.get(), 2); }
  std::string take() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read_.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  UniqueFd read_;
  UniqueFd saved_;
};

const RelayVerdict down{RelayAnswer::unavailable, "unable to read /r.cdb: access denied"};
const RelayVerdict fine{RelayAnswer::no_relay, ""};

}  // namespace

TEST_CASE("an outage is one line, a reminder every 10 minutes, one line when back",
          "[tcpserver][store-health]") {
  StderrCapture err;
  const Logger log(1);
  StoreHealth health(log, "cdb:/r.cdb");
  const auto t0 = StoreHealth::Clock::time_point{} + minutes(100);
  health.note(fine, t0);
  health.note(down, t0 + seconds(1));
  health.note(down, t0 + seconds(2));
  health.note({RelayAnswer::unavailable, "another reason"}, t0 + minutes(9));
  health.note(down, t0 + minutes(11));
  health.note(fine, t0 + minutes(12));
  health.note(fine, t0 + minutes(13));
  CHECK(err.take() ==
        "tcpserver: warning: roaming store cdb:/r.cdb unavailable: unable to read /r.cdb: access denied\n"
        "tcpserver: warning: roaming store cdb:/r.cdb unavailable: unable to read /r.cdb: access denied\n"
        "tcpserver: info: roaming store cdb:/r.cdb back\n");
}

TEST_CASE("a refused key is told once per reason and 10 minutes, and ends no outage it is not",
          "[tcpserver][store-health]") {
  StderrCapture err;
  const Logger log(1);
  StoreHealth health(log, "mysql:/sql");
  const auto t0 = StoreHealth::Clock::time_point{} + minutes(100);
  const RelayVerdict narrow{RelayAnswer::no_relay, "column too narrow"};
  health.note(narrow, t0);
  health.note(narrow, t0 + minutes(1));
  health.note({RelayAnswer::no_relay, "other"}, t0 + minutes(2));
  health.note(narrow, t0 + minutes(3));
  health.note(narrow, t0 + minutes(14));
  CHECK(err.take() ==
        "tcpserver: warning: roaming store mysql:/sql: column too narrow\n"
        "tcpserver: warning: roaming store mysql:/sql: other\n"
        "tcpserver: warning: roaming store mysql:/sql: column too narrow\n"
        "tcpserver: warning: roaming store mysql:/sql: column too narrow\n");
}

TEST_CASE("quiet (option q) silences the store lines", "[tcpserver][store-health]") {
  StderrCapture err;
  const Logger quiet(0);
  StoreHealth health(quiet, "cdb:/r.cdb");
  health.note(down);
  health.note(fine);
  CHECK(err.take().empty());
}
