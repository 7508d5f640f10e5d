// The failures the classic patch handled worst: the database going away mid-run, and a
// "database" that accepts connections and never answers. Every lookup must answer
// `unavailable` with the reason within its own deadline (never found or absent, which tcpserver
// would take as the database's word), the event loop must keep turning, and service must come
// back by itself.
#include <catch2/catch.hpp>
#include <set>

#include "tests/mysql/db_support.h"
#include "tests/mysql/event_loop.h"
#include "tests/mysql/hung_server.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kNow = 1700000000;

struct Tally {
  int found = 0, absent = 0, unavailable = 0, refused = 0;
  std::chrono::milliseconds slowest{0};
  std::set<std::string> reasons;  // every distinct reason given for `unavailable`
  int total() const { return found + absent + unavailable + refused; }

  void count(const LoginAnswer& answer) {
    switch (answer.status) {
      case LoginAnswer::Status::found: ++found; break;
      case LoginAnswer::Status::absent: ++absent; break;
      case LoginAnswer::Status::unavailable:
        ++unavailable;
        reasons.insert(answer.reason);
        break;
      case LoginAnswer::Status::refused: ++refused; break;
    }
  }
};

// Fires `count` lookups now; each records its answer and how long it waited for it: every
// waiter has a deadline of its own, so the slowest of them bounds them all.
void fire(LoginLookup& store, const std::string& ip, int count, Tally& tally) {
  for (int i = 0; i < count; ++i) {
    auto start = Clock::now();
    store.lookup(ip, [&tally, start](LoginAnswer answer) {
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      if (took > tally.slowest) tally.slowest = took;
      tally.count(answer);
    });
  }
}

}  // namespace

TEST_CASE("outage: database stopped mid-run, then restarted") {
  PrivateServer server;
  MysqlConfig config = server.config();
  config.table = "relay";
  make_mysql_admin(config)->record("10.3.3.3", kNow - 10);

  const std::string stored = "found " + std::to_string(kNow - 10);

  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  REQUIRE(describe(login_now(loop, *store, "10.3.3.3")) == stored);
  const std::string prefix = "mysql 127.0.0.1:" + std::to_string(config.port) + ": ";

  server.stop();
  loop.start_ticker();
  Tally down;
  for (int round = 0; round < 20; ++round) {  // 2 s of traffic while the database is gone
    fire(*store, "10.3.3.3", 5, down);
    loop.run_for(100ms);
  }
  REQUIRE(loop.run_until([&] { return down.total() == 100; }, 2s));
  CHECK(down.unavailable == 100);
  CHECK(down.slowest <= 1300ms);  // query timeout 1 s, plus scheduling slack
  CHECK(loop.max_tick_gap() < 200ms);
  // Every answer says why, naming the server: the reason tcpserver logs.
  REQUIRE_FALSE(down.reasons.empty());
  for (const std::string& reason : down.reasons) {
    CHECK_THAT(reason, Catch::StartsWith(prefix));
    CHECK(reason.size() > prefix.size());
  }

  server.restart();
  loop.start_ticker();  // the restart itself ran outside the loop
  auto restarted = Clock::now();
  bool back = loop.run_until(
      [&] { return describe(login_now(loop, *store, "10.3.3.3")) == stored; }, 6s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted);
  INFO("the stored time again after " << took.count() << " ms");
  REQUIRE(back);
  CHECK(took <= 5000ms);
  CHECK(loop.max_tick_gap() < 200ms);
}

TEST_CASE("outage: a server that accepts and never answers") {
  HungServer hung;
  MysqlConfig config;
  config.server = "127.0.0.1";
  config.port = hung.port();
  config.user = "relay";
  config.pass = "secret";

  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  loop.start_ticker();
  Tally tally;
  fire(*store, "10.4.4.4", 10, tally);
  loop.run_for(300ms);
  fire(*store, "10.4.4.5", 10, tally);  // joins the queue mid-connect
  CHECK(tally.total() == 0);
  REQUIRE(loop.run_until([&] { return tally.total() == 20; }, 3s));
  CHECK(tally.unavailable == 20);
  CHECK(tally.slowest <= 1300ms);
  CHECK(hung.accepted() >= 1);
  for (const std::string& reason : tally.reasons) {
    CHECK_THAT(reason, Catch::Contains("connect timed out after 1000 ms") ||
                           Catch::Contains("no answer within 1000 ms"));
  }

  // Known down (backing off): answered at once, not after another timeout.
  Tally during;
  fire(*store, "10.4.4.4", 10, during);
  REQUIRE(loop.run_until([&] { return during.total() == 10; }, 3s));
  CHECK(during.unavailable == 10);
  CHECK(during.slowest < 900ms);  // not after another 1000 ms timeout

  // Keep it up for a few reconnect rounds, with the queue overrun: the 1000 bound holds.
  Tally flood;
  int fired = 0;
  auto end = Clock::now() + 3s;
  while (Clock::now() < end) {
    fire(*store, "10.4.4." + std::to_string(fired % 200), 300, flood);
    fired += 300;
    loop.run_for(50ms);
  }
  REQUIRE(loop.run_until([&] { return flood.total() == fired; }, 3s));
  CHECK(flood.unavailable == fired);
  CHECK(flood.slowest <= 1300ms);
  INFO("longest gap between 10 ms ticks: " << loop.max_tick_gap().count() << " ms");
  CHECK(loop.max_tick_gap() < 200ms);
  for (const std::string& reason : flood.reasons) {
    CHECK_THAT(reason, Catch::Contains("timed out") || Catch::Contains("no answer within") ||
                           Catch::Contains("overloaded, 1000 lookups waiting"));
  }
}
