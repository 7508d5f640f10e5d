// relay-mysql serve as tcpserver uses it (doc/store-helper-protocol.md): a real process on a
// socketpair against the real MariaDB, requests pipelined the way tcpserver sends them.
#include <fcntl.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/mysql/db_support.h"
#include "tests/mysql/helper_process.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kNow = 1700000000;

std::string ok(std::int64_t seconds) { return "OK " + std::to_string(seconds); }

MysqlConfig seeded_table(MysqlConfig config, const std::string& stem) {
  config.table = unique_table(stem);
  auto admin = make_mysql_admin(config);
  admin->record("10.1.1.1", kNow - 60);
  admin->record("2001:db8::7", kNow - 10);
  exec_sql(config, "INSERT INTO `" + config.table + "` VALUES ('192.0.2.9', NULL)");
  return config;
}

}  // namespace

TEST_CASE("serve: a pipelined burst is answered in request order, keys canonicalised") {
  MysqlConfig config = seeded_table(fixture_config(), "serve_burst");
  ServeProcess helper(write_config_file(config));
  struct Exchange {
    std::string request;
    std::string reply;
  };
  const std::vector<Exchange> pattern = {
      {"relay 10.1.1.1", ok(kNow - 60)},
      {"relay 10.9.9.9", "NOTFOUND "},
      {"relay ::ffff:10.1.1.1", ok(kNow - 60)},  // v4-mapped: the dotted quad's row
      {"relay 2001:DB8:0:0::7", ok(kNow - 10)},  // RFC 5952: 2001:db8::7
      {"relay 192.0.2.9", "OK permanent"},
      {"relay 10.1.1.1", ok(kNow - 60)},  // a duplicate in the same burst
      {"relay not-an-address", "NOTFOUND "},
      {"other 10.1.1.1", "PERM unknown map other (only relay)"},
      {"nospace", "PERM bad request: expected `MAP KEY`"},
  };
  std::string burst;
  std::vector<std::string> expected;
  for (int round = 0; round < 40; ++round) {  // 360 requests, more than one query's 100 IPs
    for (const Exchange& e : pattern) {
      burst += netstring(e.request);
      expected.push_back(e.reply);
    }
    burst += netstring("relay 10.7." + std::to_string(round) + ".1");  // distinct, absent
    expected.push_back("NOTFOUND ");
  }
  helper.send(burst);
  CHECK(helper.replies(expected.size(), 5000ms) == expected);
  CHECK(helper.errors().empty());  // nothing logged in normal operation
}

TEST_CASE("serve: exits 0 at end of input, after answering what it was asked") {
  MysqlConfig config = seeded_table(fixture_config(), "serve_eof");
  ServeProcess helper(write_config_file(config));
  helper.ask("10.1.1.1");
  helper.ask("10.2.2.2");
  helper.end_input();
  CHECK(helper.replies(2, 3000ms) == std::vector<std::string>{ok(kNow - 60), "NOTFOUND "});
  CHECK(helper.wait() == 0);
  CHECK(helper.errors().empty());
}

TEST_CASE("serve: exits 111 on a stream that is not netstrings") {
  ServeProcess helper(write_config_file(fixture_config()));
  helper.send("relay 10.1.1.1\n");
  CHECK(helper.wait() == 111);
  CHECK(helper.errors() == "relay-mysql: fatal: requests are not netstrings\n");
}

TEST_CASE("serve: exits 111 when the requests end inside a netstring") {
  ServeProcess helper(write_config_file(fixture_config()));
  helper.send("14:relay 10.1");
  helper.end_input();
  CHECK(helper.wait() == 111);
  CHECK(helper.errors() == "relay-mysql: fatal: requests end inside a netstring\n");
}

TEST_CASE("serve: exits 111 when its replies cannot be written") {
  ServeProcess helper(write_config_file(seeded_table(fixture_config(), "serve_epipe")));
  helper.stop_listening();
  helper.ask("10.1.1.1");
  CHECK(helper.wait() == 111);
  CHECK(helper.errors() == "relay-mysql: fatal: unable to write replies: broken pipe\n");
}

TEST_CASE("serve: a config error is fatal at startup, before any request") {
  ServeProcess missing(std::string(UCSPI_MYSQL_TEST_TMP) + "/no-such-sql.conf");
  CHECK(missing.wait() == 111);
  CHECK(missing.errors() == "relay-mysql: fatal: unable to read " UCSPI_MYSQL_TEST_TMP
                            "/no-such-sql.conf: file does not exist\n");

  const std::string bad = std::string(UCSPI_MYSQL_TEST_TMP) + "/bad-sql.conf";
  std::ofstream(bad) << "user u\npass p\ntable relay;drop\n";
  ServeProcess invalid(bad);
  CHECK(invalid.wait() == 111);
  CHECK_THAT(invalid.errors(), Catch::StartsWith("relay-mysql: fatal: " + bad + ": line 3: table"));

  ProgramResult usage = run_program({UCSPI_RELAY_MYSQL, "serve"});
  CHECK(usage.exit_code == 100);
  CHECK(usage.err == "relay-mysql: usage: relay-mysql serve CONFIGFILE\n");
}

TEST_CASE("serve: needs no descriptor but 0, 1 and 2, and leaves none open for a child") {
  MysqlConfig config = seeded_table(fixture_config(), "serve_fds");
  ServeProcess helper(write_config_file(config));  // started with 0, 1 and 2 only
  REQUIRE(helper.answer("10.1.1.1") == ok(kNow - 60));
  const std::string dir = "/proc/" + std::to_string(helper.pid()) + "/fd";
  int own = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const int fd = std::stoi(entry.path().filename().string());
    if (fd <= 2) continue;
    ++own;  // its event loop and its database connection, opened by itself
    std::ifstream info("/proc/" + std::to_string(helper.pid()) + "/fdinfo/" + std::to_string(fd));
    std::string key, flags;
    while (info >> key >> flags && key != "flags:") {
    }
    INFO("fd " << fd << " -> " << std::filesystem::read_symlink(entry.path()).string());
    REQUIRE(key == "flags:");
    CHECK((std::stoul(flags, nullptr, 8) & O_CLOEXEC) != 0);
  }
  CHECK(own >= 2);
}

TEST_CASE("serve: TEMP with the reason within a second or so when the database stops, then OK") {
  PrivateServer server;
  MysqlConfig config = server.config();
  make_mysql_admin(config)->record("10.3.3.3", kNow - 10);
  ServeProcess helper(write_config_file(config));
  REQUIRE(helper.answer("10.3.3.3") == ok(kNow - 10));

  server.stop();
  for (int round = 0; round < 5; ++round) {
    auto asked = Clock::now();
    std::string reply = helper.answer("10.3.3.3", 3000ms);
    auto took = Clock::now() - asked;
    INFO("round " << round << ": " << reply);
    CHECK_THAT(reply,
               Catch::StartsWith("TEMP mysql 127.0.0.1:" + std::to_string(config.port) + ": "));
    CHECK(reply.size() > 30);  // a reason, not just the server's name
    CHECK(took < 2000ms);      // its own 1 s timeouts, not tcpserver's 3 s deadline
  }

  server.restart();
  auto restarted = Clock::now();
  std::string reply;
  while (Clock::now() - restarted < 8s) {
    reply = helper.answer("10.3.3.3", 3000ms);
    if (reply == ok(kNow - 10)) break;
    std::this_thread::sleep_for(200ms);
  }
  CHECK(reply == ok(kNow - 10));
  helper.end_input();
  CHECK(helper.wait() == 0);
}
