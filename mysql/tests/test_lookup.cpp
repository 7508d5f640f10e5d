#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "db_support.h"
#include "event_loop.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNow = 1700000000;
constexpr std::int64_t kWindow = 1800;

// Recent, expired, permanent and IPv6 rows in a fresh table.
MysqlConfig seeded(MysqlConfig config, const std::string& stem, bool classic) {
  config.table = unique_table(stem);
  if (classic) create_classic_table(config);
  auto admin = make_mysql_admin(config);
  admin->record("10.1.1.1", kNow - 60);           // logged in a minute ago
  admin->record("10.1.1.2", kNow - kWindow);      // exactly at the window's edge: expired
  admin->record("10.1.1.3", kNow - 86400);        // yesterday
  admin->record("::1", kNow - 5);
  admin->record("2001:db8::7", kNow - 10);
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('192.0.2.9', NULL)");
  // Another writer's uppercase IPv6 text: the column matches it case-insensitively.
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('2001:DB8::AB', '" +
                       std::to_string(kNow - 30) + "')");
  return config;
}

void check_answers(const MysqlConfig& config) {
  EventLoop loop;
  auto store = make_mysql_lookup(loop.base(), config, kWindow);
  CHECK(lookup_now(loop, *store, "10.1.1.1", kNow) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "10.1.1.2", kNow) == RelayAnswer::no_relay);
  CHECK(lookup_now(loop, *store, "10.1.1.3", kNow) == RelayAnswer::no_relay);
  CHECK(lookup_now(loop, *store, "127.0.0.2", kNow) == RelayAnswer::no_relay);
  CHECK(lookup_now(loop, *store, "::1", kNow) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "2001:db8::7", kNow) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "2001:db8:0:0::7", kNow) == RelayAnswer::relay);  // canonicalised
  CHECK(lookup_now(loop, *store, "::ffff:10.1.1.1", kNow) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "2001:db8::ab", kNow) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "192.0.2.9", kNow + 10 * 365 * 86400) == RelayAnswer::relay);
  CHECK(lookup_now(loop, *store, "10.1.1.1", kNow + kWindow) == RelayAnswer::no_relay);
  CHECK(lookup_now(loop, *store, "", kNow) == RelayAnswer::no_relay);
  CHECK(lookup_now(loop, *store, "10.1.1.1' OR '1'='1", kNow) == RelayAnswer::no_relay);
}

}  // namespace

TEST_CASE("lookup: relay, expired, unknown, permanent and IPv6 (BIGINT column)") {
  check_answers(seeded(fixture_config(), "lookup_int", false));
}

TEST_CASE("lookup: the same on vpopmail's CHAR(12) column") {
  check_answers(seeded(fixture_config(), "lookup_char", true));
}

TEST_CASE("lookup: over the unix socket") {
  check_answers(seeded(fixture_socket_config(), "lookup_sock", false));
}

TEST_CASE("lookup: many concurrent lookups, identical ones coalesced, all answered right") {
  MysqlConfig config = seeded(fixture_config(), "lookup_many", false);
  EventLoop loop;
  auto store = make_mysql_lookup(loop.base(), config, kWindow);
  int relays = 0, others = 0, answered = 0;
  for (int i = 0; i < 300; ++i) {
    std::string ip = i % 3 == 0 ? "10.1.1.1" : "10.2.0." + std::to_string(i % 50);
    bool expect_relay = i % 3 == 0;
    store->lookup(ip, kNow, [&, expect_relay](RelayVerdict verdict) {
      const RelayAnswer a = verdict.answer;
      ++answered;
      if (a == RelayAnswer::relay && expect_relay) ++relays;
      if (a == RelayAnswer::no_relay && !expect_relay) ++others;
    });
  }
  CHECK(answered == 0);  // never called back from inside lookup()
  REQUIRE(loop.run_until([&] { return answered == 300; }, 5s));
  CHECK(relays == 100);
  CHECK(others == 200);
}

TEST_CASE("lookup: the connection's socket is close-on-exec") {
  MysqlConfig config = seeded(fixture_config(), "lookup_cloexec", false);
  EventLoop loop;
  auto store = make_mysql_lookup(loop.base(), config, kWindow);
  REQUIRE(lookup_now(loop, *store, "10.1.1.1", kNow) == RelayAnswer::relay);
  int sockets = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::stoi(entry.path().filename().string());
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    ++sockets;
    INFO("fd " << fd);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  }
  CHECK(sockets >= 1);
}

TEST_CASE("lookup: destruction drops pending lookups and no callback runs afterwards") {
  MysqlConfig config = seeded(fixture_config(), "lookup_destroy", false);
  EventLoop loop;
  int calls = 0;
  {
    auto store = make_mysql_lookup(loop.base(), config, kWindow);
    for (int i = 0; i < 20; ++i) store->lookup("10.1.1.1", kNow, [&calls](RelayVerdict) { ++calls; });
  }
  loop.run_for(300ms);
  CHECK(calls == 0);

  // A callback may destroy the store; the answers after it are dropped, not delivered.
  auto store = make_mysql_lookup(loop.base(), config, kWindow);
  REQUIRE(lookup_now(loop, *store, "10.1.1.1", kNow) == RelayAnswer::relay);
  calls = 0;
  for (int i = 0; i < 5; ++i) {
    store->lookup("10.1.1.1", kNow, [&](RelayVerdict) {
      ++calls;
      store.reset();
    });
  }
  loop.run_for(300ms);
  CHECK(calls == 1);
  CHECK(store == nullptr);
}

TEST_CASE("lookup: wrong password answers unavailable and logs once") {
  MysqlConfig config = fixture_config();
  config.pass = "wrong";
  EventLoop loop;
  std::vector<std::string> lines;
  auto store = make_mysql_lookup(loop.base(), config, kWindow,
                                 [&lines](std::string_view line) { lines.emplace_back(line); });
  for (int i = 0; i < 5; ++i) {
    CHECK(lookup_now(loop, *store, "10.1.1.1", kNow) == RelayAnswer::unavailable);
  }
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("tcpserver: warning: roaming store mysql unavailable: ") &&
                           Catch::Contains("Access denied"));
}
