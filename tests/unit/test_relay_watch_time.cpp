// relay-watch's time: the timestamp a log line starts with, the time a login is recorded with
// (the line's, never later than now, skipped once the window is over), and the state file
// that keeps where reading stopped.
#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "rules/roaming/roaming_store.h"
#include "tests/unit/roaming_test_support.h"
#include "tools/watch_recorder.h"
#include "tools/watch_state.h"
#include "tools/watch_time.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

// Local time as mktime reads it: the syslog form is local time, whatever zone the test runs in.
std::int64_t local(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return static_cast<std::int64_t>(std::mktime(&tm));
}

}  // namespace

TEST_CASE("line timestamps in multilog, RFC 3339 and syslog form", "[relay-watch][time]") {
  const std::int64_t march = local(2024, 3, 1, 12, 0, 0);
  CHECK(line_timestamp("@4000000065a1b2c30a1b2c3d pop3-login: Info: Login: x", march) == 1705095865);
  CHECK(line_timestamp("2024-01-05T09:00:01.123456+01:00 mail dovecot: x", march) == 1704441601);
  CHECK(line_timestamp("2024-01-05T08:00:01Z mail dovecot: x", march) == 1704441601);
  CHECK(line_timestamp("2024-01-05T03:30:01-0430 mail dovecot: x", march) == 1704441601);
  CHECK(line_timestamp("2024-01-05 09:00:01 pop3-login: Info: x", march) ==
        local(2024, 1, 5, 9, 0, 1));
  CHECK(line_timestamp("Jan  5 09:00:01 mail dovecot: x", march) == local(2024, 1, 5, 9, 0, 1));
  CHECK(line_timestamp("Jan 15 09:00:01 pop3-login: Info: x", march) == local(2024, 1, 15, 9, 0, 1));
}

TEST_CASE("svlogd -tt stamps are UTC", "[relay-watch][time]") {
  const std::int64_t march = local(2024, 3, 1, 12, 0, 0);
  CHECK(line_timestamp("2024-01-05_08:00:01.12345 pop3d: LOGIN, user=x", march) == 1704441601);
  CHECK(line_timestamp("2024-01-05_08:00:01 pop3d: x", march) == 1704441601);
}

TEST_CASE("a timestamp's length ends where the tag may start", "[relay-watch][time]") {
  CHECK(timestamp_length("@4000000065a1b2c30a1b2c3d pop3d: x") == 25u);
  CHECK(timestamp_length("@4000000065a1b2c30a1b2czz pop3d: x") == 0u);
  CHECK(timestamp_length("2024-01-05T09:00:01.123456+01:00 mail dovecot: x") == 32u);
  CHECK(timestamp_length("2024-01-05T03:30:01-0430 mail dovecot: x") == 24u);
  CHECK(timestamp_length("2024-01-05T08:00:01Z mail dovecot: x") == 20u);
  CHECK(timestamp_length("2024-01-05 09:00:01 pop3-login: x") == 19u);
  CHECK(timestamp_length("2024-01-05_08:00:01.12345 pop3d: x") == 25u);
  CHECK(timestamp_length("Jan  5 09:00:01 mail dovecot: x") == 15u);
  CHECK(timestamp_length("imap(x Jan  5 09:00:01 mail dovecot: x") == 0u);
}

TEST_CASE("a syslog stamp without a year is never taken for the future", "[relay-watch][time]") {
  const std::int64_t new_year = local(2024, 1, 1, 0, 0, 30);
  CHECK(line_timestamp("Dec 31 23:59:59 mail dovecot: x", new_year) == local(2023, 12, 31, 23, 59, 59));
  // Within a day ahead is a clock a little fast, not last year.
  CHECK(line_timestamp("Jan  1 00:05:00 mail dovecot: x", new_year) == local(2024, 1, 1, 0, 5, 0));
}

TEST_CASE("lines without a readable timestamp give none", "[relay-watch][time]") {
  const std::int64_t now = local(2024, 3, 1, 12, 0, 0);
  for (const char* line : {"pop3-login: Info: Login: user=<a>", "", "@40000000zzzzzzzz00000000 x",
                           "@4000 short", "Foo  5 09:00:01 x", "Jan 32 09:00:01 x",
                           "Jan  5 25:00:01 x", "2024-13-05T09:00:01Z x", "2024-01-05X09:00:01 x"}) {
    INFO(line);
    CHECK_FALSE(line_timestamp(line, now));
  }
}

TEST_CASE("a login is stamped with its line's time, never later than now", "[relay-watch][time]") {
  const std::int64_t now = 1'700'000'000;
  CHECK(stamp_login(now - 100, now, 1800, false).time == now - 100);
  CHECK(stamp_login(std::nullopt, now, 1800, false).time == now);
  CHECK(stamp_login(now + 3600, now, 1800, false).time == now);  // a fast clock elsewhere
}

TEST_CASE("a login as old as the window is not recorded", "[relay-watch][time]") {
  const std::int64_t now = 1'700'000'000;
  CHECK(stamp_login(now - 1799, now, 1800, false).time == now - 1799);
  const LoginStamp old = stamp_login(now - 1800, now, 1800, false);
  CHECK_FALSE(old.time);
  CHECK_THAT(old.skipped, Catch::Contains("1800 s ago") && Catch::Contains("window (1800 s)"));
}

TEST_CASE("a store that stamps now takes only fresh logins", "[relay-watch][time]") {
  const std::int64_t now = 1'700'000'000;
  CHECK(stamp_login(now - own_clock_slack, now, 1800, true).time == now - own_clock_slack);
  const LoginStamp late = stamp_login(now - own_clock_slack - 1, now, 1800, true);
  CHECK_FALSE(late.time);
  CHECK_THAT(late.skipped, Catch::Contains("would stamp it now"));
  CHECK(stamp_login(std::nullopt, now, 1800, true).time == now);
}

TEST_CASE("state lines round-trip, any bytes included", "[relay-watch][state]") {
  const FilePosition position{2049, 1234567, 987654321, std::string("x\n\xff\0y", 5)};
  const std::string line = format_position(position);
  CHECK(line == "v1 2049 1234567 987654321 780aff0079\n");
  CHECK(parse_position(line) == position);
  const FilePosition start{1, 2, 0, ""};
  CHECK(format_position(start) == "v1 1 2 0 -\n");
  CHECK(parse_position("v1 1 2 0 -\n") == start);
}

TEST_CASE("malformed state lines are refused", "[relay-watch][state]") {
  for (const char* text : {"", "v1 1 2 3 -", "v2 1 2 3 -\n", "v1 1 2 -\n", "v1 1 2 3 - x\n",
                           "v1 1 2 3 abc\n", "v1 1 2 3 zz\n", "v1 1 2 1 aabb\n", "v1 -1 2 3 -\n",
                           "v1 1 2 3 \n", "v1 1 2 99 "
                           "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"}) {
    INFO(text);
    CHECK_FALSE(parse_position(text));
  }
}

TEST_CASE("the state file is saved, replaced and loaded", "[relay-watch][state]") {
  const TempDir dir;
  const std::string path = dir / "relay-watch.state";
  CHECK_FALSE(load_position(path));
  save_position(path, FilePosition{1, 2, 3, "ab\n"});
  save_position(path, FilePosition{1, 2, 40, "cd\n"});
  CHECK(load_position(path) == FilePosition{1, 2, 40, "cd\n"});
  CHECK(read_file(path) == "v1 1 2 40 63640a\n");
  CHECK(::access((path + ".tmp").c_str(), F_OK) != 0);
  write_file(path, "garbage\n");
  CHECK_THROWS_WITH(load_position(path), Catch::Contains("is not a relay-watch state file"));
  CHECK_THROWS_AS(save_position(dir / "missing/state", FilePosition{}), StoreError);
}
