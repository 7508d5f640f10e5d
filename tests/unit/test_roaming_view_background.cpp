// tcpserver's view of the cdb store while a new base is opened on a thread: the old base keeps
// answering, seen through the journal records it lacks, and every answer is the one a view that
// opens each base inline gives (a login written just before the fold, after the last look,
// included); a second fold meanwhile, a corrupt new base and the base removed end it as an
// inline open would.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_journal_file.h"
#include "rules/roaming/roaming_view.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

constexpr std::int64_t now = 1'700'000'000;

std::string ip_of(int i) { return "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1); }

// A base of n entries, ip_of(i) at time_of(i) (rising: in order of time, as folds write it).
void write_base(const std::string& path, int n, const std::function<std::int64_t(int)>& time_of) {
  write_roaming_cdb(path, [&](const AddEntry& add) {
    for (int i = 0; i < n; ++i) add(ip_of(i), time_of(i));
  });
}

// A fold as tcpserver sees one at work while it keeps looking up: the fold has moved the
// journal aside (start_fold), writers have started a new one, a look has seen both, and the
// fold then writes the base of the old one and removes it (finish_fold). The new journal is
// kept out of finish_fold's way, as a real fold that started before it existed never reads it.
void start_fold(const std::string& path) {
  REQUIRE(std::rename(journal_path(path).c_str(), old_journal_path(path).c_str()) == 0);
}

void finish_fold(const std::string& path) {
  const std::string journal = journal_path(path), aside = journal + ".aside";
  const bool has_journal = ::access(journal.c_str(), F_OK) == 0;
  if (has_journal) REQUIRE(std::rename(journal.c_str(), aside.c_str()) == 0);
  REQUIRE(fold_cdb_journal(path).folded);
  if (has_journal) REQUIRE(std::rename(aside.c_str(), journal.c_str()) == 0);
}

// A view that opens every new base on a thread (no size threshold), as tcpserver's does for
// large ones.
struct BackgroundView {
  RoamingView view;
  explicit BackgroundView(const std::string& path) : view(path, CdbMapping::private_copy, true) {
    view.open_large_bases_in_background(0);
  }
};

// A store whose base holds ip_of(0 .. n-1), logged in 1000 s ago, and a background view of it
// that has looked once.
struct Store {
  TempDir dir;
  std::string path;
  std::unique_ptr<RoamingAdmin> admin;
  BackgroundView bg;
  explicit Store(int n)
      : path(dir / "roaming.cdb"), admin(with_base(path, n)), bg(path) {
    REQUIRE_FALSE(bg.view.refresh());
  }

 private:
  static std::unique_ptr<RoamingAdmin> with_base(const std::string& path, int n) {
    write_base(path, n, [](int) { return now - 1000; });
    return make_cdb_admin(path);
  }
};

// What a view opening the base inline says of ip: the reference.
std::optional<std::int64_t> inline_answer(const std::string& path, const std::string& ip) {
  RoamingView fresh(path, CdbMapping::private_copy, true);
  REQUIRE_FALSE(fresh.refresh());
  std::int64_t t = 0;
  const int r = fresh.find(ip, t);
  REQUIRE(r >= 0);
  return r == 1 ? std::optional(t) : std::nullopt;
}

std::optional<std::int64_t> answer(RoamingView& view, const std::string& ip) {
  REQUIRE_FALSE(view.refresh());
  std::int64_t t = 0;
  const int r = view.find(ip, t);
  REQUIRE(r >= 0);
  return r == 1 ? std::optional(t) : std::nullopt;
}

// An answer as a failed check shows it.
std::string shown(const std::optional<std::int64_t>& t) { return t ? std::to_string(*t) : "none"; }

// Refreshes until the base opened on the thread is in place; false after 10 s.
bool wait_opened(RoamingView& view) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (view.opening_base()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (view.refresh()) return true;  // an error ends it too: the caller checks which
  }
  return true;
}

}  // namespace

TEST_CASE("while a new base is opened on a thread, every answer is the inline view's",
          "[journal][background]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_base(path, 2000, [](int i) { return now - 4000 + i; });
  auto admin = make_cdb_admin(path);
  BackgroundView bg(path);
  RoamingView& view = bg.view;
  REQUIRE_FALSE(view.refresh());
  CHECK_FALSE(view.opening_base());  // the first base: nothing older to answer meanwhile

  // In the journal the fold takes: a refresh, an expire and a login the view has seen, then
  // a refreshed login and a new one it sees only once the fold is under way.
  admin->record(ip_of(5), now);
  admin->expire(now - 3500);  // ip_of(0..500) go
  REQUIRE(answer(view, ip_of(5)) == now);
  admin->record(ip_of(7), now + 1);
  admin->record("192.0.2.1", now + 2);
  start_fold(path);
  admin->record("192.0.2.2", now + 3);  // the new journal
  REQUIRE(answer(view, "192.0.2.2") == now + 3);
  CHECK_FALSE(view.opening_base());  // the same base still
  finish_fold(path);
  admin->record("192.0.2.4", now + 4);

  REQUIRE_FALSE(view.refresh());
  REQUIRE(view.opening_base());
  std::vector<std::string> asked = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"};
  for (int i = 0; i < 2000; i += 7) asked.push_back(ip_of(i));
  asked.push_back(ip_of(5));
  asked.push_back(ip_of(7));
  for (const std::string& ip : asked) {
    CAPTURE(ip);
    CHECK(shown(answer(view, ip)) == shown(inline_answer(path, ip)));
  }
  CHECK(answer(view, "192.0.2.1") == now + 2);
  CHECK(answer(view, "192.0.2.4") == now + 4);
  CHECK(answer(view, ip_of(7)) == now + 1);
  CHECK_FALSE(answer(view, ip_of(3)));  // expired before the fold

  REQUIRE(wait_opened(view));
  CHECK_FALSE(view.opening_base());
  for (const std::string& ip : asked) {
    CAPTURE(ip);
    CHECK(shown(answer(view, ip)) == shown(inline_answer(path, ip)));
  }
}

TEST_CASE("a fold not seen under way, or a second one, is opened inline and loses nothing",
          "[journal][background]") {
  Store store(500);
  RoamingAdmin& admin = *store.admin;
  RoamingView& view = store.bg.view;
  const std::string& path = store.path;

  // Whole between two looks: the journal it merged may be one the view never read.
  admin.record("192.0.2.1", now);
  fold_cdb_journal(path);
  admin.record("192.0.2.2", now + 1);
  fold_cdb_journal(path);
  CHECK(answer(view, "192.0.2.1") == now);
  CHECK_FALSE(view.opening_base());
  CHECK(answer(view, "192.0.2.2") == now + 1);

  // Seen under way, then a second fold while the base it wrote is being opened.
  admin.record("192.0.2.3", now + 2);
  start_fold(path);
  admin.record("192.0.2.4", now + 3);
  REQUIRE(answer(view, "192.0.2.4") == now + 3);
  finish_fold(path);
  REQUIRE_FALSE(view.refresh());
  REQUIRE(view.opening_base());
  admin.record("192.0.2.5", now + 4);
  fold_cdb_journal(path);
  admin.record("192.0.2.6", now + 5);
  for (int k = 1; k <= 6; ++k) {
    CAPTURE(k);
    CHECK(answer(view, "192.0.2." + std::to_string(k)) == now + k - 1);
  }
  CHECK_FALSE(view.opening_base());
  CHECK(answer(view, ip_of(499)) == now - 1000);
}

TEST_CASE("a corrupt new base opened on a thread ends in the error an inline open gives",
          "[journal][background]") {
  Store store(500);
  RoamingView& view = store.bg.view;
  const std::string& path = store.path;

  // A fold seen under way whose base comes out cut short (a disk error, say).
  store.admin->record("192.0.2.1", now);
  start_fold(path);
  store.admin->record("192.0.2.2", now);
  REQUIRE(answer(view, "192.0.2.2") == now);
  const std::string bytes = read_file(path);
  write_file(path + ".new", bytes.substr(0, bytes.size() - 100));
  REQUIRE(std::rename((path + ".new").c_str(), path.c_str()) == 0);
  REQUIRE(::unlink(old_journal_path(path).c_str()) == 0);
  REQUIRE_FALSE(view.refresh());
  REQUIRE(view.opening_base());
  std::optional<ViewError> error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(error = view.refresh()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(error);
  CHECK(error->err == EBADMSG);
  CHECK_FALSE(view.opening_base());
  // Every later refresh says so too: nobody relays from a corrupt store.
  const std::optional<ViewError> again = view.refresh();
  REQUIRE(again);
  CHECK(again->err == EBADMSG);

  // A good base again: answered as before.
  write_roaming_cdb(path, [&](const AddEntry& add) { add("192.0.2.9", now); });
  REQUIRE(answer(view, "192.0.2.9") == now);
  CHECK(answer(view, "192.0.2.2") == now);  // still in the journal
}

TEST_CASE("tcpserver's lookup relays throughout a fold of a store past the background size",
          "[journal][background]") {
  Store store(30000);  // past 1 MiB: about 45 bytes a record in the base
  const std::string& path = store.path;
  RoamingAdmin* admin = store.admin.get();
  REQUIRE(stat_of(path).st_size > (1 << 20));
  auto lookup = make_cdb_lookup(path, 1800);
  CHECK(answer_of(*lookup, ip_of(1), now) == RelayAnswer::relay);
  admin->record("192.0.2.1", now);
  start_fold(path);
  admin->record("192.0.2.2", now);
  CHECK(answer_of(*lookup, "192.0.2.1", now) == RelayAnswer::relay);
  finish_fold(path);
  for (int round = 0; round < 200; ++round) {
    CAPTURE(round);
    REQUIRE(answer_of(*lookup, "192.0.2.1", now) == RelayAnswer::relay);
    REQUIRE(answer_of(*lookup, "192.0.2.2", now) == RelayAnswer::relay);
    REQUIRE(answer_of(*lookup, ip_of(29999), now) == RelayAnswer::relay);
    REQUIRE(answer_of(*lookup, "192.0.2.3", now) == RelayAnswer::no_relay);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}
