// The cdb store's journal as wired into the store: logins appended to PATH.journal and seen by
// readers before any fold, folds that move everything into the base, torn journals, a fold
// that died, and the journal's permissions.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "rules/cdb/cdb_file.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "rules/roaming/roaming_journal.h"
#include "rules/roaming/roaming_journal_file.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

constexpr std::int64_t now = 1'700'000'000;
constexpr std::int64_t window = 1800;

using Entries = std::map<std::string, std::int64_t>;

// The base alone, read as any cdb reader would (cdb -q): the marker left out.
Entries base_entries(const std::string& path) {
  CdbReader cdb;
  REQUIRE(cdb.open(path.c_str()) == 0);
  Entries entries;
  REQUIRE(cdb.for_each([&](std::string_view key, std::string_view data) {
    if (!key.empty()) entries.emplace(key, std::stoll(std::string(data)));
    return true;
  }) == 0);
  return entries;
}

Entries listed(RoamingAdmin& admin) {
  Entries entries;
  for (const RoamingEntry& entry : admin.list()) entries.emplace(entry.ip, entry.last_login.value());
  return entries;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// An empty base, as the first fold leaves it.
void write_empty_base(const std::string& path) {
  write_roaming_cdb(path, [](const AddEntry&) {});
}

// A store whose base holds in_base and whose journal then got the logins of in_journal, in
// the order given.
using Logins = std::vector<std::pair<std::string, std::int64_t>>;
std::unique_ptr<RoamingAdmin> store_with(const std::string& path, const Logins& in_base,
                                         const Logins& in_journal) {
  auto admin = make_cdb_admin(path);
  for (const auto& [ip, time] : in_base) admin->record(ip, time);
  fold_cdb_journal(path);
  for (const auto& [ip, time] : in_journal) admin->record(ip, time);
  return admin;
}

const std::vector<std::string> ips = {"10.0.0.1", "10.0.0.2", "192.0.2.7", "::1",
                                      "2001:db8::1", "10.0.0.6", "10.0.0.7", "10.0.0.8",
                                      "10.0.0.9", "10.0.0.10"};

}  // namespace

TEST_CASE("a login is seen by readers before any fold, and a fold moves it into the base",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = make_cdb_admin(path);
  auto lookup = make_cdb_lookup(path, window);
  admin->record("10.0.0.1", now);  // the first login makes the base at once
  CHECK(base_entries(path) == Entries{{"10.0.0.1", now}});
  CHECK_FALSE(exists(journal_path(path)));

  admin->record("10.0.0.2", now + 1);
  admin->record("::1", now + 2);
  CHECK(exists(journal_path(path)));
  CHECK(base_entries(path) == Entries{{"10.0.0.1", now}});  // the base untouched
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "::1"}) {
    CAPTURE(ip);
    CHECK(answer_of(*lookup, ip, now + 10) == RelayAnswer::relay);
    CHECK(answer_of(*make_cdb_lookup(path, window), ip, now + 10) == RelayAnswer::relay);
  }
  const Entries all{{"10.0.0.1", now}, {"10.0.0.2", now + 1}, {"::1", now + 2}};
  CHECK(listed(*admin) == all);

  const FoldReport report = fold_cdb_journal(path);
  CHECK(report.folded);
  CHECK(report.damaged_lines == 0);
  CHECK(base_entries(path) == all);
  CHECK_FALSE(exists(journal_path(path)));
  CHECK_FALSE(exists(old_journal_path(path)));
  CHECK(listed(*admin) == all);
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "::1"})
    CHECK(answer_of(*lookup, ip, now + 10) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "10.0.0.3", now + 10) == RelayAnswer::no_relay);
  // Nothing to fold: nothing changes.
  CHECK_FALSE(fold_cdb_journal(path).folded);
}

TEST_CASE("lookups and list agree before and after a fold", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  // Some in the base, some only in the journal, some in both (refreshed since the fold).
  auto admin = store_with(path, {{"10.0.0.1", now - 4000}, {"10.0.0.2", now - 100}},
                          {{"10.0.0.1", now - 10}, {"10.0.0.3", now - 5000}, {"2001:db8::1", now}});
  auto lookup = make_cdb_lookup(path, window);
  const std::vector<std::string> asked = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1",
                                          "10.0.0.4"};
  auto answers = [&] {
    std::vector<RelayAnswer> out;
    for (const std::string& ip : asked) out.push_back(answer_of(*lookup, ip, now));
    return out;
  };
  const Entries before = listed(*admin);
  const std::vector<RelayAnswer> answered = answers();
  CHECK(before == Entries{{"10.0.0.1", now - 10}, {"10.0.0.2", now - 100},
                          {"10.0.0.3", now - 5000}, {"2001:db8::1", now}});
  CHECK(answered == std::vector<RelayAnswer>{RelayAnswer::relay, RelayAnswer::relay,
                                             RelayAnswer::no_relay, RelayAnswer::relay,
                                             RelayAnswer::no_relay});
  fold_cdb_journal(path);
  CHECK(base_entries(path) == before);
  CHECK(listed(*admin) == before);
  CHECK(answers() == answered);
}

TEST_CASE("expire counts exactly what goes and hides it at once", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = make_cdb_admin(path);
  admin->record("10.0.0.1", now - 4000);  // base
  admin->record("10.0.0.2", now - window);  // journal, exactly at the cutoff
  admin->record("10.0.0.3", now - window + 1);
  admin->record("::1", now);
  auto lookup = make_cdb_lookup(path, window);

  SECTION("through the store, which appends an expire record; the next fold drops them") {
    const struct stat base = stat_of(path);
    CHECK(admin->expire(now - window) == 2);
    CHECK(stat_of(path).st_ino == base.st_ino);  // nothing rewritten
    const off_t journal = stat_of(journal_path(path)).st_size;
    CHECK(admin->expire(now - window) == 0);  // gone already: nothing counted, nothing appended
    CHECK(stat_of(journal_path(path)).st_size == journal);
    CHECK(listed(*admin) == Entries{{"10.0.0.3", now - window + 1}, {"::1", now}});
    fold_cdb_journal(path);
    CHECK(base_entries(path) == Entries{{"10.0.0.3", now - window + 1}, {"::1", now}});
    CHECK_FALSE(exists(journal_path(path)));
  }
  SECTION("an expire record alone, before any fold") {
    append_journal_record(path, encode_expire(now - window), 0644);
    CHECK(listed(*admin) == Entries{{"10.0.0.3", now - window + 1}, {"::1", now}});
    CHECK(admin->expire(now - window) == 0);
  }
  // Asked at a time when the window alone would still relay them.
  CHECK(answer_of(*lookup, "10.0.0.1", now - 4000) == RelayAnswer::no_relay);
  CHECK(answer_of(*lookup, "10.0.0.2", now - window) == RelayAnswer::no_relay);
  CHECK(answer_of(*lookup, "10.0.0.3", now) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "::1", now) == RelayAnswer::relay);
}

TEST_CASE("expire by a user that may not write the journal folds instead, as it always did",
          "[journal][permissions]") {
  // relay-clear often runs from another user's cron: it used to rewrite the base by rename
  // alone, which takes only the directory, and still may.
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now - 4000}}, {{"10.0.0.2", now}, {"::1", now - 5000}});
  REQUIRE(::chmod(journal_path(path).c_str(), 0444) == 0);
  REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);  // root's child becomes nobody
  CHECK(run_in_children(1, [&](int) {
    if (::geteuid() == 0 && !become(nobody)) return false;
    return make_cdb_admin(path)->expire(now - window) == 2;
  }));
  CHECK(base_entries(path) == Entries{{"10.0.0.2", now}});
  CHECK_FALSE(exists(journal_path(path)));
}

TEST_CASE("expire appends one record, none when as late a one is there, and folds a journal "
          "past the threshold",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now}}, {});
  const struct stat base = stat_of(path);
  CHECK(admin->expire(now - window) == 0);
  CHECK(stat_of(path).st_ino == base.st_ino);  // nothing rewritten
  CHECK(read_file(journal_path(path)) == encode_expire(now - window));
  CHECK(admin->expire(now - window) == 0);
  CHECK(admin->expire(now - window - 5) == 0);
  CHECK(read_file(journal_path(path)) == encode_expire(now - window));
  // relay-allow's background folds failing: relay-clear from cron folds what they left.
  admin->record("10.0.0.2", now);
  CHECK(make_cdb_admin(path, CdbWriterOptions{.fold_threshold = 1})->expire(now - window) == 0);
  CHECK_FALSE(exists(journal_path(path)));
  CHECK(base_entries(path) == Entries{{"10.0.0.1", now}, {"10.0.0.2", now}});
  CHECK(stat_of(path).st_ino != base.st_ino);
}

// The base's entries in file order, as relay-clear's count reads them.
std::vector<std::int64_t> base_times_in_file_order(const std::string& path) {
  RoamingCdb cdb;
  REQUIRE(cdb.open(path) == 0);
  std::vector<std::int64_t> times;
  REQUIRE(cdb.for_each([&](std::string_view, std::int64_t last_login) {
    times.push_back(last_login);
    return true;
  }) == 0);
  return times;
}

TEST_CASE("every fold leaves the base in order of time, and expire counts exactly on it",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  // Another tool's base, in no order: the first fold sorts it (the long way round), later
  // ones keep it sorted (straight from the old base).
  std::map<std::string, std::int64_t> model;
  for (int n = 0; n < 500; ++n)
    model["10.1." + std::to_string(n / 256) + "." + std::to_string(n % 256)] = now - (n * 7919) % 5000;
  write_roaming_cdb(path, [&](const AddEntry& add) {
    for (const auto& [ip, last_login] : model) add(ip, last_login);  // in order of IP, not time
  });
  auto admin = make_cdb_admin(path, CdbWriterOptions{.refresh_interval = 0, .fold_threshold = 1'000'000});
  auto expire_in_model = [&](std::int64_t cutoff) {
    std::size_t expired = 0;
    for (auto it = model.begin(); it != model.end();)
      it->second <= cutoff ? (++expired, it = model.erase(it)) : ++it;
    return expired;
  };
  // On that base the count stops at the first later entry, but the expire record hides them all.
  const std::size_t first = expire_in_model(now - 2500);
  CHECK(admin->expire(now - 2500) < first);
  CHECK(listed(*admin) == Entries(model.begin(), model.end()));
  fold_cdb_journal(path);
  CHECK(base_entries(path) == Entries(model.begin(), model.end()));

  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245 + 12345, (seed >> 8) % 1000; };
  std::int64_t clock = now;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string ip = "10.1." + std::to_string(next() % 3) + "." + std::to_string(next() % 256);
      const std::int64_t at = clock - static_cast<std::int64_t>(next() % 3000);  // not in order
      admin->record(ip, at);
      model[ip] = at;  // the latest login recorded decides, even an earlier time
    }
    const std::int64_t cutoff = clock - 4000 + static_cast<std::int64_t>(next() % 2000);
    CHECK(admin->expire(cutoff) == expire_in_model(cutoff));
    if (round % 3 != 2) fold_cdb_journal(path);  // and sometimes two expires in one journal
    const std::vector<std::int64_t> times = base_times_in_file_order(path);
    CHECK(std::is_sorted(times.begin(), times.end()));
    CHECK(listed(*admin) == Entries(model.begin(), model.end()));
    clock += 300;
  }
}

TEST_CASE("a journal torn at any byte relays exactly the records it holds whole", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_empty_base(path);
  std::string journal;
  std::vector<std::size_t> ends;  // where each record's bytes end
  for (std::size_t i = 0; i < ips.size(); ++i) {
    journal += encode_login(ips[i], now + static_cast<std::int64_t>(i));
    ends.push_back(journal.size());
  }
  auto follower = make_cdb_lookup(path, window);  // follows the journal as it grows
  for (std::size_t k = 0; k <= journal.size(); ++k) {
    CAPTURE(k);
    write_file(journal_path(path), journal.substr(0, k));
    auto fresh = make_cdb_lookup(path, window);
    Entries expected;
    for (std::size_t i = 0; i < ips.size(); ++i) {
      const RelayAnswer want = ends[i] <= k ? RelayAnswer::relay : RelayAnswer::no_relay;
      if (ends[i] <= k) expected.emplace(ips[i], now + static_cast<std::int64_t>(i));
      CAPTURE(ips[i]);
      CHECK(answer_of(*fresh, ips[i], now) == want);
      CHECK(answer_of(*follower, ips[i], now) == want);
    }
    CHECK(answer_of(*fresh, "10.0.0.99", now) == RelayAnswer::no_relay);
    CHECK(listed(*make_cdb_admin(path)) == expected);
  }
}

TEST_CASE("a journal that cannot be read makes the store unavailable, never relay", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now}}, {});
  auto lookup = make_cdb_lookup(path, window);
  REQUIRE(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);
  std::string name;
  std::vector<RoamingLookup*> readers;
  auto fresh = make_cdb_lookup(path, window);
  SECTION("the journal") {
    name = journal_path(path);
    readers = {lookup.get(), fresh.get()};
  }
  SECTION("a dead fold's old journal") {
    name = old_journal_path(path);
    // Only a new reader: one that has read the store looks again for an old journal only
    // when the journal moved or the base changed, which is how an old journal comes to be.
    readers = {fresh.get()};
  }
  REQUIRE(::mkdir(name.c_str(), 0755) == 0);  // opens, but every read fails
  for (RoamingLookup* reader : readers) {
    const RelayVerdict verdict = verdict_of(*reader, "10.0.0.1", now);
    CHECK(verdict.answer == RelayAnswer::unavailable);
    CHECK(verdict.problem == "unable to read " + name + ": is a directory");
  }
  CHECK_THROWS_WITH(admin->list(), "unable to read " + name + ": is a directory");
  CHECK_THROWS_AS(admin->record("10.0.0.2", now), StoreError);
  REQUIRE(::rmdir(name.c_str()) == 0);
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);  // and recovers
}

TEST_CASE("a FIFO or device at the journal's path is refused at once, never waited on",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now}}, {});
  const std::string journal = journal_path(path);
  SECTION("a FIFO") { REQUIRE(::mkfifo(journal.c_str(), 0644) == 0); }
  SECTION("a device that never ends") { REQUIRE(::symlink("/dev/zero", journal.c_str()) == 0); }
  auto lookup = make_cdb_lookup(path, window);
  const RelayVerdict verdict = verdict_of(*lookup, "10.0.0.1", now);
  CHECK(verdict.answer == RelayAnswer::unavailable);
  CHECK(verdict.problem == journal + " is not a regular file");
  CHECK_THROWS_WITH(admin->list(), journal + " is not a regular file");
}

TEST_CASE("a fold written straight from the old base is byte for byte the one built anew",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  // 3000 entries, so that tables hold several entries and probing wraps; then logins, clears
  // and an expire on top, in the journal.
  write_roaming_cdb(path, [](const AddEntry& add) {
    for (int n = 0; n < 3000; ++n)
      add("10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256), now - 3000 + n);
  });
  std::string journal = encode_login("10.0.0.5", now) + encode_login("2001:db8::1", now) +
                        encode_clear("10.0.1.1") + encode_expire(now - 2500) +
                        encode_login("10.0.0.7", now - 2600) + encode_login("10.0.11.183", now + 1);
  write_file(journal_path(path), journal);
  auto admin = make_cdb_admin(path);
  std::vector<RoamingEntry> live = admin->list();  // in the order a fold writes them
  write_roaming_cdb(dir / "expected.cdb", [&](const AddEntry& add) {
    for (const RoamingEntry& entry : live) add(entry.ip, *entry.last_login);
  });
  fold_cdb_journal(path);
  CHECK(read_file(path) == read_file(dir / "expected.cdb"));
  CHECK(live.size() == 3000 - 500 + 1 + 1);  // 501 expired, 10.0.1.1 among them; 2 new

  // And the rewrite itself, many entries dropped and added at once, takes the file as the
  // store wrote it (rather than leaving it to the long way round).
  auto dropped = [](std::string_view ip) { return ip == "10.0.9.9" || ip == "10.0.0.5"; };
  const std::vector<std::pair<std::string, std::int64_t>> added = {{"10.0.9.9", now + 5},
                                                                   {"::2", now + 6}};
  write_roaming_cdb(dir / "expected.cdb", [&](const AddEntry& add) {
    for (const RoamingEntry& entry : live)
      if (!dropped(entry.ip)) add(entry.ip, *entry.last_login);
    for (const auto& [ip, time] : added) add(ip, time);
  });
  REQUIRE(rewrite_roaming_entries(
      path, stat_of(path), [&](std::string_view ip, std::int64_t) { return !dropped(ip); }, added));
  CHECK(read_file(path) == read_file(dir / "expected.cdb"));
}

TEST_CASE("a lookup reads only what was appended since it last looked", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_empty_base(path);
  const std::string first = encode_login("10.0.0.1", now);
  write_file(journal_path(path), first);
  auto lookup = make_cdb_lookup(path, window);
  REQUIRE(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);
  // The bytes it has read, changed in place to another record of the same length (no writer
  // does that: it tells a reader that reads again from the start from one that does not),
  // and a record appended.
  const std::string other = encode_login("10.0.0.2", now);
  REQUIRE(other.size() == first.size());
  write_file(journal_path(path), other + encode_login("10.0.0.3", now));
  CHECK(answer_of(*lookup, "10.0.0.3", now) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "10.0.0.2", now) == RelayAnswer::no_relay);
  // A new reader reads it all.
  CHECK(answer_of(*make_cdb_lookup(path, window), "10.0.0.2", now) == RelayAnswer::relay);
}

TEST_CASE("concurrent appends with no fold running are never appended twice", "[journal][concurrency]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_empty_base(path);
  constexpr int writers = 8, per_writer = 200;
  CHECK(run_in_children(writers, [&](int w) {
    auto admin = make_cdb_admin(path);
    for (int i = 0; i < per_writer; ++i)
      admin->record("10." + std::to_string(w) + ".0." + std::to_string(i), now);
    return true;
  }));
  const std::string journal = read_file(journal_path(path));
  CHECK(std::count(journal.begin(), journal.end(), '+') == writers * per_writer);
}

TEST_CASE("a fold reports the damaged lines it skipped and folds the rest", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_empty_base(path);
  // A forged line, a record torn by a power cut and ended by the next record's newline, and
  // a torn tail (unterminated: not counted, its write may still be going on).
  write_file(journal_path(path), encode_login("10.0.0.1", now) + "\n+ 10.0.0.2 17000\n" +
                                     encode_login("10.0.0.3", now).substr(0, 20) +
                                     encode_login("10.0.0.4", now) +
                                     encode_login("10.0.0.5", now).substr(0, 20));
  const FoldReport report = fold_cdb_journal(path);
  CHECK(report.damaged_lines == 2);
  CHECK(base_entries(path) == Entries{{"10.0.0.1", now}, {"10.0.0.4", now}});
}

TEST_CASE("a journal.old left by a fold that died is read, then folded by the next fold",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now - 4000}, {"10.0.0.2", now - 10}}, {});
  // The dead fold had moved this journal aside: a login and an expire dropping 10.0.0.1.
  write_file(old_journal_path(path),
             encode_login("192.0.2.7", now - 5) + encode_expire(now - window));
  admin->record("::1", now);  // a login since, in the new journal
  auto lookup = make_cdb_lookup(path, window);
  CHECK(answer_of(*lookup, "192.0.2.7", now) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "10.0.0.1", now - 4000) == RelayAnswer::no_relay);
  const Entries live{{"10.0.0.2", now - 10}, {"192.0.2.7", now - 5}, {"::1", now}};
  CHECK(listed(*admin) == live);

  fold_cdb_journal(path);
  CHECK(base_entries(path) == live);
  CHECK_FALSE(exists(old_journal_path(path)));
  CHECK_FALSE(exists(journal_path(path)));
  CHECK(answer_of(*lookup, "192.0.2.7", now) == RelayAnswer::relay);
  CHECK(answer_of(*lookup, "::1", now) == RelayAnswer::relay);
}

TEST_CASE("a journal created under umask 0077 gets the base's mode", "[journal][permissions]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  const mode_t base_mode = GENERATE(mode_t{0644}, mode_t{0640}, mode_t{0604});
  make_cdb_admin(path)->record("10.0.0.1", now);
  REQUIRE(::chmod(path.c_str(), base_mode) == 0);
  const mode_t saved = ::umask(077);
  make_cdb_admin(path)->record("10.0.0.2", now);
  ::umask(saved);
  CHECK((stat_of(journal_path(path)).st_mode & 07777) == base_mode);
  // No temporary name left behind.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"roaming.cdb", "roaming.cdb.journal", "roaming.cdb.lock"});
}

namespace {

// Waits until the base holds more than `entries` entries (a background fold's work), at most
// 20 s.
bool base_grows_past(const std::string& path, std::size_t entries) {
  for (int i = 0; i < 2000; ++i) {
    if (base_entries(path).size() > entries) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("a journal past the threshold is folded in the background, by no child of ours",
          "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  CdbWriterOptions options;
  options.fold_threshold = 200;  // a few records
  auto admin = make_cdb_admin(path, options);
  Entries all;
  for (std::size_t i = 0; i < ips.size(); ++i) {
    admin->record(ips[i], now + static_cast<std::int64_t>(i));
    all.emplace(ips[i], now + static_cast<std::int64_t>(i));
  }
  // The record() that passed the threshold reaped the fold's middle process; the fold itself
  // is init's: this process has no child left, zombie or running.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  CHECK(listed(*admin) == all);
  // Only the first login was folded by record() itself, to make the base.
  REQUIRE(base_grows_past(path, 1));
  fold_cdb_journal(path);  // waits for a fold still holding the lock, then folds the rest
  CHECK(base_entries(path) == all);
}

TEST_CASE("16 writers with folds running under them lose nothing", "[journal][concurrency]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  constexpr int writers = 16, per_writer = 100;
  CdbWriterOptions options;
  options.lock_wait = std::chrono::seconds(120);
  options.fold_threshold = 2048;  // a fold every few dozen logins
  // One more child folds in a loop, as relay-clear from cron would, besides the background
  // folds the writers start: appends race renames of the journal all the time.
  const bool ok = run_in_children(writers + 1, [&](int w) {
    if (w == writers) {
      for (int i = 0; i < 100; ++i) {
        fold_cdb_journal(path, options);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return true;
    }
    auto admin = make_cdb_admin(path, options);
    for (int i = 0; i < per_writer; ++i)
      admin->record("10." + std::to_string(w) + ".0." + std::to_string(i), now);
    return true;
  });
  CHECK(ok);
  auto admin = make_cdb_admin(path, options);
  CHECK(listed(*admin).size() == writers * per_writer);
  auto lookup = make_cdb_lookup(path, window);
  for (int w = 0; w < writers; ++w)
    for (int i = 0; i < per_writer; ++i)
      REQUIRE(answer_of(*lookup, "10." + std::to_string(w) + ".0." + std::to_string(i), now) ==
              RelayAnswer::relay);
  fold_cdb_journal(path, options);
  CHECK(base_entries(path).size() == writers * per_writer);
}

TEST_CASE("a fold removes the temporary journals of writers killed while creating it", "[journal]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = store_with(path, {{"10.0.0.1", now}}, {{"10.0.0.2", now}});
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  REQUIRE(dead > 0);
  REQUIRE(::waitpid(dead, nullptr, 0) == dead);
  const std::string journal = journal_path(path);
  const std::string of_dead = journal + "." + std::to_string(dead) + ".tmp";
  const std::string of_live = journal + "." + std::to_string(::getpid()) + ".tmp";
  const std::string not_ours = journal + ".x1.tmp";
  for (const std::string& file : {of_dead, of_live, not_ours}) write_file(file, "");
  fold_cdb_journal(path);
  CHECK_FALSE(exists(of_dead));
  CHECK(exists(of_live));  // a writer still at it, for all the fold knows
  CHECK(exists(not_ours));
  CHECK(base_entries(path) == Entries{{"10.0.0.1", now}, {"10.0.0.2", now}});
}
