#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <utility>

#include "tests/mysql/db_support.h"
#include "tests/mysql/event_loop.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kNow = 1700000000;

std::string found_at(std::int64_t seconds) { return "found " + std::to_string(seconds); }

// Recent, older, permanent and IPv6 rows in a fresh table, each with a time of its own so an
// answer naming the wrong row cannot pass.
MysqlConfig seeded(MysqlConfig config, const std::string& stem, bool classic) {
  config.table = unique_table(stem);
  if (classic) create_classic_table(config);
  auto admin = make_mysql_admin(config);
  admin->record("10.1.1.1", kNow - 60);
  admin->record("10.1.1.2", kNow - 1800);
  admin->record("10.1.1.3", kNow - 86400);
  admin->record("::1", kNow - 5);
  admin->record("2001:db8::7", kNow - 10);
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('192.0.2.9', NULL)");
  // Another writer's uppercase IPv6 text: the column matches it case-insensitively.
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('2001:DB8::AB', '" +
                       std::to_string(kNow - 30) + "')");
  return config;
}

// The stored time exactly, whatever the column type: the window is tcpserver's to apply.
void check_answers(const MysqlConfig& config) {
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  const std::pair<std::string, std::string> expected[] = {
      {"10.1.1.1", found_at(kNow - 60)},
      {"10.1.1.2", found_at(kNow - 1800)},
      {"10.1.1.3", found_at(kNow - 86400)},
      {"127.0.0.2", "absent"},
      {"::1", found_at(kNow - 5)},
      {"2001:db8::7", found_at(kNow - 10)},
      {"2001:db8:0:0::7", found_at(kNow - 10)},  // canonicalised
      {"::ffff:10.1.1.1", found_at(kNow - 60)},
      {"2001:db8::ab", found_at(kNow - 30)},
      {"192.0.2.9", "found permanent"},
      {"", "absent"},
      {"10.1.1.1' OR '1'='1", "absent"},
  };
  for (const auto& [ip, want] : expected) {
    INFO("key '" << ip << "'");
    CHECK(describe(login_now(loop, *store, ip)) == want);
  }
}

}  // namespace

TEST_CASE("lookup: recent, old, unknown, permanent and IPv6 rows (BIGINT column)") {
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
  auto store = make_mysql_login_lookup(loop.base(), config);
  int found = 0, absent = 0, answered = 0;
  for (int i = 0; i < 300; ++i) {
    const bool seeded_ip = i % 3 == 0;
    std::string ip = seeded_ip ? "10.1.1.1" : "10.2.0." + std::to_string(i % 50);
    store->lookup(ip, [&, seeded_ip](LoginAnswer answer) {
      ++answered;
      const std::string got = describe(answer);
      if (seeded_ip && got == found_at(kNow - 60)) ++found;
      if (!seeded_ip && got == "absent") ++absent;
    });
  }
  CHECK(answered == 0);  // never called back from inside lookup()
  REQUIRE(loop.run_until([&] { return answered == 300; }, 5s));
  CHECK(found == 100);
  CHECK(absent == 200);
}

TEST_CASE("lookup: the connection's socket is close-on-exec") {
  MysqlConfig config = seeded(fixture_config(), "lookup_cloexec", false);
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  REQUIRE(describe(login_now(loop, *store, "10.1.1.1")) == found_at(kNow - 60));
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
    auto store = make_mysql_login_lookup(loop.base(), config);
    for (int i = 0; i < 20; ++i) {
      store->lookup("10.1.1.1", [&calls](LoginAnswer) { ++calls; });
    }
  }
  loop.run_for(300ms);
  CHECK(calls == 0);

  // A callback may destroy the lookup; the answers after it are dropped, not delivered.
  auto store = make_mysql_login_lookup(loop.base(), config);
  REQUIRE(describe(login_now(loop, *store, "10.1.1.1")) == found_at(kNow - 60));
  calls = 0;
  for (int i = 0; i < 5; ++i) {
    store->lookup("10.1.1.1", [&](LoginAnswer) {
      ++calls;
      store.reset();
    });
  }
  loop.run_for(300ms);
  CHECK(calls == 1);
  CHECK(store == nullptr);
}

TEST_CASE("login times: the newest stamp, permanent, absent, canonical keys") {
  MysqlConfig config = seeded(fixture_config(), "login_times", true);
  // A second row for one IP, which only a table without a primary key can hold.
  exec_sql(config, "ALTER TABLE `" + config.table + "` DROP PRIMARY KEY");
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('10.1.1.3', '" +
                       std::to_string(kNow - 7) + "')");
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  CHECK(describe(login_now(loop, *store, "10.1.1.1")) == found_at(kNow - 60));
  CHECK(describe(login_now(loop, *store, "10.1.1.3")) == found_at(kNow - 7));
  CHECK(describe(login_now(loop, *store, "192.0.2.9")) == "found permanent");
  CHECK(describe(login_now(loop, *store, "::ffff:10.1.1.2")) == found_at(kNow - 1800));
  CHECK(describe(login_now(loop, *store, "2001:DB8:0::7")) == found_at(kNow - 10));
  CHECK(describe(login_now(loop, *store, "127.0.0.2")) == "absent");
  CHECK(describe(login_now(loop, *store, "2001_db8__1")) == "absent");
  CHECK(describe(login_now(loop, *store, "")) == "absent");
}

TEST_CASE("lookup: wrong password answers unavailable with the server's reason") {
  MysqlConfig config = fixture_config();
  config.pass = "wrong";
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  LoginAnswer first = login_now(loop, *store, "10.1.1.1");
  CHECK(first.status == LoginAnswer::Status::unavailable);
  CHECK_THAT(first.reason, Catch::StartsWith("mysql 127.0.0.1:" + std::to_string(config.port) +
                                             ": ") &&
                               Catch::Contains("Access denied"));
  LoginAnswer again = login_now(loop, *store, "10.1.1.1");
  CHECK(again.status == LoginAnswer::Status::unavailable);
  CHECK(again.reason == first.reason);
}

TEST_CASE("lookup: a missing table is unavailable, named, never an empty store") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("no_such_table");
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config);
  LoginAnswer answer = login_now(loop, *store, "10.1.1.1");
  CHECK(answer.status == LoginAnswer::Status::unavailable);
  CHECK_THAT(answer.reason, Catch::Contains("`" + config.table + "`") &&
                                Catch::Contains("does not exist"));
}

// tcpserver's helper connects as it starts, often before the first relay-allow has created
// the table: the login recorded then must relay at once, not after a backoff of up to 4 s.
TEST_CASE("lookup: a table created after the helper connected is read at the next lookup") {
  MysqlConfig config = fixture_config();
  config.table = unique_table("created_later");
  EventLoop loop;
  auto store = make_mysql_login_lookup(loop.base(), config, ConnectWhen::now);
  CHECK(login_now(loop, *store, "10.1.1.1").status == LoginAnswer::Status::unavailable);
  make_mysql_admin(config)->record("10.1.1.1", kNow - 60);
  CHECK(describe(login_now(loop, *store, "10.1.1.1")) == found_at(kNow - 60));
}
