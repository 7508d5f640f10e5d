// What only the relay-ctrl directory store does: payload, file names, the directory lock.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "rules/roaming/relay_ctrl_store.h"
#include "tests/unit/roaming_test_support.h"
#include "rules/base/unique_fd.h"

using namespace ucspi;
using namespace ucspi::test;
using namespace std::string_literals;

namespace {

constexpr std::int64_t now = 1'700'000'000;

}  // namespace

TEST_CASE("the payload is relay-ctrl-allow's USER and DOMAIN", "[roaming][relay-ctrl]") {
  CHECK(relay_ctrl_payload("joe", "example.com") == "USER=joe\0DOMAIN=example.com\0"s);
  CHECK(relay_ctrl_payload("joe@example.com", nullptr) == "USER=joe@example.com\0"s);
  CHECK(relay_ctrl_payload(nullptr, "example.com") == "DOMAIN=example.com\0"s);
  CHECK(relay_ctrl_payload(nullptr, nullptr).empty());
}

TEST_CASE("a recorded file is named by the IP, holds the payload, mtime = login",
          "[roaming][relay-ctrl]") {
  TempDir dir;
  RelayCtrlOptions options;
  options.payload = relay_ctrl_payload("joe", "example.com");
  make_relay_ctrl_admin(dir.path(), options)->record("2001:db8::7", now);
  const std::string file = dir / "2001:db8::7";
  CHECK(read_file(file) == options.payload);
  CHECK(stat_of(file).st_mtime == now);
  CHECK((stat_of(file).st_mode & 07777u & ~0644u) == 0);  // nobody else may write it
}

TEST_CASE("another user from a fresh IP is written down", "[roaming][relay-ctrl]") {
  TempDir dir;
  RelayCtrlOptions joe, ann;
  joe.payload = relay_ctrl_payload("joe", nullptr);
  ann.payload = relay_ctrl_payload("ann", nullptr);
  make_relay_ctrl_admin(dir.path(), joe)->record("10.0.0.1", now);
  make_relay_ctrl_admin(dir.path(), ann)->record("10.0.0.1", now + 5);
  CHECK(read_file(dir / "10.0.0.1") == ann.payload);
  CHECK(stat_of(dir / "10.0.0.1").st_mtime == now + 5);
}

TEST_CASE("temp files, foreign names and non-files are not entries", "[roaming][relay-ctrl]") {
  TempDir dir;
  auto admin = make_relay_ctrl_admin(dir.path());
  admin->record("10.0.0.1", now - 5000);
  write_file(dir / ".1700000000.123:456", "");
  write_file(dir / "README", "");
  write_file(dir / "010.0.0.1", "");
  ::mkdir((dir / "10.0.0.2").c_str(), 0755);
  ::symlink("/etc/passwd", (dir / "10.0.0.3").c_str());
  auto entries = admin->list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].ip == "10.0.0.1");
  CHECK(admin->expire(now) == 1);
  for (const char* kept : {".1700000000.123:456", "README", "010.0.0.1", "10.0.0.2"})
    CHECK(::access((dir / kept).c_str(), F_OK) == 0);
  struct stat st {};
  CHECK(::lstat((dir / "10.0.0.3").c_str(), &st) == 0);
  auto lookup = make_relay_ctrl_lookup(dir.path(), 1800);
  CHECK(answer_of(*lookup, "10.0.0.2", now) == RelayAnswer::no_relay);
  CHECK(answer_of(*lookup, "../10.0.0.1", now) == RelayAnswer::no_relay);
  CHECK(answer_of(*lookup, ".1700000000.123:456", now) == RelayAnswer::no_relay);
}

TEST_CASE("a missing directory is unavailable for readers and an error for the tools",
          "[roaming][relay-ctrl]") {
  TempDir dir;
  const std::string missing = dir / "nonexistent";
  RelayVerdict verdict = verdict_of(*make_relay_ctrl_lookup(missing, 1800), "10.0.0.1", now);
  CHECK(verdict.answer == RelayAnswer::unavailable);
  CHECK(verdict.problem == "unable to read " + missing + ": file does not exist");
  write_file(dir / "file", "");
  // The lookup stats DIR/IP first, which names the path that failed.
  CHECK(verdict_of(*make_relay_ctrl_lookup(dir / "file", 1800), "10.0.0.1", now).problem ==
        "unable to read " + dir / "file/10.0.0.1" + ": not a directory");
  auto admin = make_relay_ctrl_admin(missing);
  CHECK_THROWS_WITH(admin->list(), Catch::Contains("unable to open directory " + missing));
  CHECK_THROWS_WITH(admin->expire(now), Catch::Contains("unable to open directory " + missing));
  CHECK_THROWS_WITH(admin->record("10.0.0.1", now), Catch::Contains("unable to open directory"));
}

TEST_CASE("expire waits for recorders, and gives up when the lock stays busy",
          "[roaming][relay-ctrl][lock]") {
  TempDir dir;
  RelayCtrlOptions options;
  options.lock_wait = std::chrono::milliseconds(100);
  auto admin = make_relay_ctrl_admin(dir.path(), options);
  admin->record("10.0.0.1", now - 5000);
  UniqueFd holder(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  REQUIRE(::flock(holder.get(), LOCK_SH) == 0);
  CHECK_THROWS_WITH(admin->expire(now), Catch::Contains("timed out"));
  admin->record("10.0.0.2", now);  // recorders share the lock
  holder.reset();
  CHECK(admin->expire(now - 1800) == 1);
}
