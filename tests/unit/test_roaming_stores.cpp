// Behaviour every roaming store shares, run against the cdb store and the relay-ctrl store
// through the factory (store_spec.h), as tcpserver and the tools reach them.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <catch2/catch.hpp>

#include "rules/base/ip_address.h"
#include "rules/roaming/relay_ctrl_store.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_time.h"
#include "rules/roaming/store_factory.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

constexpr std::int64_t window = 1800;
constexpr std::int64_t now = 1'700'000'000;

// One store in a scratch directory.
struct Store {
  explicit Store(const std::string& kind) {
    if (kind == "cdb") {
      spec = parse_store_spec("cdb:" + dir / "roaming.cdb");
    } else {
      ::mkdir((dir / "relay").c_str(), 0700);
      spec = parse_store_spec("relay-ctrl:" + dir / "relay");
    }
    admin = open_store_writer(spec).admin;
    lookup = open_store_reader(spec, window).lookup;
  }
  RelayAnswer answer(const std::string& ip, std::int64_t at = now) {
    return answer_of(*lookup, ip, at);
  }
  std::vector<std::string> listed_ips() {
    std::vector<std::string> ips;
    for (const RoamingEntry& entry : admin->list()) ips.push_back(entry.ip);
    std::sort(ips.begin(), ips.end());
    return ips;
  }

  TempDir dir;
  StoreSpec spec{};
  std::unique_ptr<RoamingAdmin> admin;
  std::unique_ptr<RoamingLookup> lookup;
};

std::string canonical(const std::string& text) { return canonical_ip_text(text).value(); }

}  // namespace

// A cdb store is created by its first login, so before that it is empty; relay-allow never
// creates a relay-ctrl directory, so a missing one is a wrong path, an error for every tool.
TEST_CASE("a store not created yet is missing for lookups, and empty (cdb) or an error for the tools",
          "[roaming][store]") {
  TempDir dir;
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  const std::string path = dir / "missing";
  StoreSpec spec = parse_store_spec(kind + ":" + path);
  RelayVerdict verdict = verdict_of(*open_store_reader(spec, window).lookup, "10.0.0.1", now);
  CHECK(verdict.answer == RelayAnswer::unavailable);
  CHECK(verdict.problem == "unable to read " + path + ": file does not exist");
  auto admin = open_store_writer(spec).admin;
  if (kind == "cdb") {
    CHECK(admin->list().empty());
    CHECK(admin->expire(now) == 0);
  } else {
    CHECK_THROWS_WITH(admin->list(), Catch::Contains("file does not exist"));
  }
}

TEST_CASE("an allowed IP relays within the window only", "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record("127.0.0.1", now);
  CHECK(store.answer("127.0.0.1") == RelayAnswer::relay);
  CHECK(store.answer("127.0.0.1", now + window - 1) == RelayAnswer::relay);
  CHECK(store.answer("127.0.0.1", now + window) == RelayAnswer::no_relay);
  CHECK(store.answer("127.0.0.2") == RelayAnswer::no_relay);
  CHECK(store.listed_ips() == std::vector<std::string>{"127.0.0.1"});
}

TEST_CASE("an entry recorded long ago has expired", "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record("192.0.2.7", now - 3600);
  CHECK(store.answer("192.0.2.7") == RelayAnswer::no_relay);
  auto entries = store.admin->list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].last_login == now - 3600);
}

TEST_CASE("IPv6 and v4-mapped addresses meet in canonical form", "[roaming][store][ipv6]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record(canonical("0:0:0:0:0:0:0:1"), now);
  store.admin->record(canonical("::FFFF:10.1.2.3"), now);
  store.admin->record(canonical("2001:DB8:0:0:1:0:0:1"), now);
  CHECK(store.answer("::1") == RelayAnswer::relay);
  CHECK(store.answer("10.1.2.3") == RelayAnswer::relay);
  CHECK(store.answer("2001:db8::1:0:0:1") == RelayAnswer::relay);
  CHECK(store.answer("2001:db8::1") == RelayAnswer::no_relay);
  CHECK(store.listed_ips() == std::vector<std::string>{"10.1.2.3", "2001:db8::1:0:0:1", "::1"});
}

TEST_CASE("empty, garbage and non-canonical addresses are never keys", "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  for (const char* bad : {"", "garbage", "::ffff:10.0.0.1", "2001:DB8::1", "1.2.3.4/24", "../x",
                          ".hidden", "1.2.3"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(store.admin->record(bad, now), StoreError);
  }
  // A NUL inside is no end of the text: "::1\0junk" is not ::1.
  for (const std::string& bad : {std::string("::1\0junk", 8), std::string("10.0.0.1\0x", 10)}) {
    CAPTURE(bad);
    CHECK_FALSE(canonical_ip_text(bad));
    CHECK_THROWS_AS(store.admin->record(bad, now), StoreError);
  }
  store.admin->record("10.0.0.1", now);
  CHECK(store.answer("") == RelayAnswer::no_relay);
  CHECK(store.listed_ips() == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("expire removes entries at or before the cutoff and keeps the rest",
          "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record("10.0.0.1", now - 4000);
  store.admin->record("10.0.0.2", now - window);
  store.admin->record("10.0.0.3", now - window + 1);
  store.admin->record("::1", now);
  CHECK(store.admin->expire(now - window) == 2);
  CHECK(store.listed_ips() == std::vector<std::string>{"10.0.0.3", "::1"});
  CHECK(store.admin->expire(now - window) == 0);
}

TEST_CASE("a lookup object sees entries recorded after it was made", "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  // Before the first login a cdb store has no file yet: unavailable, as for any missing store.
  CHECK(store.answer("10.9.9.9") ==
        (store.spec.kind == StoreKind::cdb ? RelayAnswer::unavailable : RelayAnswer::no_relay));
  store.admin->record("10.9.9.9", now);
  CHECK(store.answer("10.9.9.9") == RelayAnswer::relay);
  store.admin->record("10.9.9.8", now);
  CHECK(store.answer("10.9.9.8") == RelayAnswer::relay);
  store.admin->expire(now);
  CHECK(store.answer("10.9.9.9") == RelayAnswer::no_relay);
}

TEST_CASE("a refresh of a fresh entry rewrites nothing", "[roaming][store]") {
  const std::string kind = GENERATE(as<std::string>{}, "cdb", "relay-ctrl");
  Store store(kind);
  const std::string file = kind == "cdb" ? store.spec.path : store.spec.path + "/10.0.0.1";
  // The cdb store's first login makes the base; later ones go to the journal beside it.
  const std::string journal = store.spec.path + ".journal";
  store.admin->record("10.0.0.1", now);
  const struct stat before = stat_of(file);
  store.admin->record("10.0.0.1", now + default_refresh_interval - 1);
  const struct stat after = stat_of(file);
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  if (kind == "cdb") CHECK_FALSE(std::filesystem::exists(journal));

  store.admin->record("10.0.0.1", now + default_refresh_interval);
  if (kind == "cdb")
    CHECK(std::filesystem::file_size(journal) > 0);
  else
    CHECK(stat_of(file).st_ino != before.st_ino);
  CHECK(store.admin->list().at(0).last_login == now + default_refresh_interval);
}

TEST_CASE("a recorded time in the future is rewritten", "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record("10.0.0.1", now + 5000);
  store.admin->record("10.0.0.1", now);
  CHECK(store.admin->list().at(0).last_login == now);
}

TEST_CASE("a login stamped far in the future never relays, one within the clock slack does",
          "[roaming][store]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  store.admin->record("10.0.0.1", now + 86400);
  store.admin->record("10.0.0.2", now + future_login_slack);
  CHECK(store.answer("10.0.0.1") == RelayAnswer::no_relay);
  CHECK(store.answer("10.0.0.2") == RelayAnswer::relay);
}

TEST_CASE("concurrent writer processes lose nothing", "[roaming][store][concurrency]") {
  Store store(GENERATE(as<std::string>{}, "cdb", "relay-ctrl"));
  constexpr int writers = 8, per_writer = 200;
  // Each process opens the store itself. The lock wait is raised from the production 5 s:
  // this proves no write is lost, and 1600 serialised rewrites under ASan on a loaded CI
  // machine can queue a writer for longer than that.
  const auto patient = std::chrono::seconds(120);
  const bool ok = run_in_children(writers, [&](int w) {
    std::unique_ptr<RoamingAdmin> admin =
        store.spec.kind == StoreKind::cdb
            ? make_cdb_admin(store.spec.path, CdbWriterOptions{patient})
            : make_relay_ctrl_admin(store.spec.path, RelayCtrlOptions{"", patient});
    for (int i = 0; i < per_writer; ++i)
      admin->record("10." + std::to_string(w) + "." + std::to_string(i / 256) + "." +
                        std::to_string(i % 256), now);
    return true;
  });
  CHECK(ok);
  std::vector<std::string> ips = store.listed_ips();
  CHECK(ips.size() == writers * per_writer);
  CHECK(std::adjacent_find(ips.begin(), ips.end()) == ips.end());
  CHECK(store.answer("10.7.0.199") == RelayAnswer::relay);
}
