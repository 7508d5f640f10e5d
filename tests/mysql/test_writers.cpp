#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "tests/mysql/db_support.h"
#include "tests/mysql/event_loop.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;

TEST_CASE("writers: 8 concurrent writers x 200 IPs, every one present afterwards") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("writers");
  make_mysql_admin(config)->record("10.255.255.255", 1);  // create the table before the race
  constexpr int kWriters = 8, kEach = 200;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto admin = make_mysql_admin(config);  // one connection per writer, like the tools
        for (int i = 0; i < kEach; ++i) {
          admin->record("10." + std::to_string(w) + "." + std::to_string(i / 100) + "." +
                            std::to_string(i % 100),
                        1700000000 + i);
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(w)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());

  std::set<std::string> present;
  for (const auto& entry : make_mysql_admin(config)->list()) present.insert(entry.ip);
  CHECK(present.size() == kWriters * kEach + 1);
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kEach; ++i) {
      std::string ip = "10." + std::to_string(w) + "." + std::to_string(i / 100) + "." +
                       std::to_string(i % 100);
      if (!present.count(ip)) FAIL_CHECK("missing " << ip);
    }
  }

  // The lookup reads a racing writer's row back, to the second.
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  CHECK(describe(login_now(loop, *store, "10.7.1.99")) ==
        "found " + std::to_string(1700000000 + 199));
}
