// What only the embedded cdb store does: its file format, corrupt files, the writers' lock.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "rules/cdb/cdb_file.h"
#include "rules/cdb/cdb_image.h"
#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_cdb_store.h"
#include "tests/unit/roaming_test_support.h"
#include "rules/base/unique_fd.h"

using namespace ucspi;
using namespace ucspi::test;

namespace {

constexpr std::int64_t now = 1'700'000'000;

using Records = std::vector<std::pair<std::string, std::string>>;

Records records_of(const std::string& path) {
  CdbReader cdb;
  REQUIRE(cdb.open(path.c_str()) == 0);
  Records records;
  REQUIRE(cdb.for_each([&](std::string_view key, std::string_view data) {
    records.emplace_back(key, data);
    return true;
  }) == 0);
  return records;
}

// A plain cdb with the given records, as tcprules or cdbmake would write it.
void write_cdb(const std::string& path, const Records& records) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  REQUIRE(fd);
  CdbWriter writer(fd.get());
  for (const auto& [key, data] : records) REQUIRE(writer.add(key, data));
  REQUIRE(writer.finish());
}

}  // namespace

TEST_CASE("the file holds the marker, then IP -> decimal Unix seconds", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = make_cdb_admin(path);
  admin->record("10.1.2.3", now);
  admin->record("2001:db8::1", now + 100);
  fold_cdb_journal(path);  // the second login is in the journal until a fold
  CHECK(records_of(path) == Records{{"", "ucspi-relay roaming 1"},
                                    {"10.1.2.3", "1700000000"},
                                    {"2001:db8::1", "1700000100"}});
  // Writers and folds leave no temp file or journal behind; the lock file stays for the next
  // writer.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"roaming.cdb", "roaming.cdb.lock"});
}

TEST_CASE("an in-memory image is byte for byte what tinycdb's cdb_make writes", "[roaming][cdb]") {
  TempDir dir;
  Records records{{"", "ucspi-relay roaming 1"}, {"dup", "first"}, {"dup", "second"}};
  // Enough keys that tables hold several entries and linear probing wraps.
  for (int n = 0; n < 3000; ++n) records.emplace_back("10.0." + std::to_string(n), std::to_string(n));
  write_cdb(dir / "made.cdb", records);
  CdbImage image;
  for (const auto& [key, data] : records) REQUIRE(image.add(key, data));
  REQUIRE(image.finish());
  CHECK(image.bytes() == read_file(dir / "made.cdb"));

  CdbImage empty;
  REQUIRE(empty.finish());
  write_cdb(dir / "empty.cdb", {});
  CHECK(empty.bytes() == read_file(dir / "empty.cdb"));
}

namespace {

const std::string marker(roaming_cdb_marker);

struct stat identity_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

// A roaming file of 3000 entries, so that tables hold several entries and probing wraps.
Records many_entries() {
  Records records{{"", marker}};
  for (int n = 0; n < 3000; ++n)
    records.emplace_back("10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256),
                         std::to_string(now - 100'000 + n));
  return records;
}

// What cdb_make writes for records, the entry for ip dropped and (ip, time) added last.
std::string made_with(const TempDir& dir, Records records, const std::string& ip,
                      std::int64_t time) {
  std::erase_if(records, [&](const auto& record) { return record.first == ip; });
  records.emplace_back(ip, std::to_string(time));
  write_cdb(dir / "expected.cdb", records);
  return read_file(dir / "expected.cdb");
}

}  // namespace

TEST_CASE("a rewrite copied from the old file is byte for byte what cdb_make writes",
          "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  const Records records = many_entries();
  write_cdb(path, records);
  std::string ip;
  SECTION("an entry in the middle replaced") { ip = "10.0.5.220"; }
  SECTION("the first entry replaced") { ip = "10.0.0.0"; }
  SECTION("the last entry replaced") { ip = "10.0.11.183"; }
  SECTION("a new entry") { ip = "2001:db8::7"; }
  SECTION("an IP twice in a file of another tool's making") {
    Records twice = records;
    twice.insert(twice.begin() + 10, {"10.0.5.220", twice[9].second});  // in order of time
    write_cdb(path, twice);
    ip = "10.0.5.220";
  }
  Records old = records_of(path);
  // Straight from the map, without the long way round.
  REQUIRE(replace_roaming_entry(path, identity_of(path), ip, now));
  CHECK(read_file(path) == made_with(dir, old, ip, now));
  // And through the store, which takes the same path.
  old = records_of(path);
  make_cdb_admin(path)->record(ip, now + 999'999);
  fold_cdb_journal(path);
  CHECK(read_file(path) == made_with(dir, old, ip, now + 999'999));
}

TEST_CASE("a file not as the store writes it is rewritten the long way round, to the same bytes",
          "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  Records records = many_entries();
  const Records canonical = records;  // what the store makes of them
  SECTION("a time with leading zeros") { records[20].second = "000" + records[20].second; }
  SECTION("the marker not first") { std::swap(records[0], records[1]); }
  SECTION("the marker twice") { records.insert(records.begin() + 100, {"", marker}); }
  SECTION("entries not in order of time") { std::swap(records[10], records[11]); }
  write_cdb(path, records);
  const std::string ip = "10.0.5.220";
  CHECK_FALSE(replace_roaming_entry(path, identity_of(path), ip, now));
  make_cdb_admin(path)->record(ip, now);
  fold_cdb_journal(path);
  CHECK(read_file(path) == made_with(dir, canonical, ip, now));
}

TEST_CASE("a rewrite refuses a record that overruns the data area and writes nothing",
          "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_cdb(path, many_entries());
  std::string bytes = read_file(path);
  // The second record (after the 8 + 21 bytes of the marker) claims a huge key.
  const std::size_t second = 2048 + 8 + marker.size();
  SECTION("a key") { bytes.replace(second, 4, "\xf0\xff\xff\x0f", 4); }
  SECTION("data") { bytes.replace(second + 4, 4, "\x00\x00\x10\x00", 4); }
  SECTION("a record cut short by the tables") {
    // The data area ends 3 bytes into the last record's header.
    const std::uint32_t end = std::uint32_t{static_cast<unsigned char>(bytes[0])} |
                              std::uint32_t{static_cast<unsigned char>(bytes[1])} << 8 |
                              std::uint32_t{static_cast<unsigned char>(bytes[2])} << 16;
    std::uint32_t pos = 2048, last = 2048;
    while (pos < end) {
      last = pos;
      auto u32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (std::size_t i = 4; i-- > 0;) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
        return v;
      };
      pos += 8 + u32(pos) + u32(pos + 4);
    }
    // The last record grows 5 bytes past the tables' start.
    const std::uint32_t key_length = static_cast<unsigned char>(bytes[last]) + 5;
    bytes[last] = static_cast<char>(key_length);
  }
  write_file(path, bytes);
  CHECK_FALSE(replace_roaming_entry(path, identity_of(path), "10.9.9.9", now));
  // A login only appends to the journal (it reads one key of the base, not all of it); the
  // fold, the one writer of the base, refuses it and leaves it as it was.
  make_cdb_admin(path)->record("10.9.9.9", now);
  CHECK_THROWS_AS(fold_cdb_journal(path), StoreError);
  CHECK(read_file(path) == bytes);
}

TEST_CASE("a rewrite leaves a file replaced since it was opened to the long way round",
          "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_cdb(path, many_entries());
  const struct stat opened = identity_of(path);
  write_cdb(dir / "other.cdb", many_entries());
  REQUIRE(::rename((dir / "other.cdb").c_str(), path.c_str()) == 0);
  CHECK_FALSE(replace_roaming_entry(path, opened, "10.9.9.9", now));
}

TEST_CASE("a file built by another tool in the documented format is read", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_cdb(path, {{"", "ucspi-relay roaming 1"}, {"10.0.0.1", std::to_string(now - 10)}});
  auto lookup = make_cdb_lookup(path, 1800);
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);
}

TEST_CASE("a corrupt or foreign file is unavailable, never relay", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto lookup = make_cdb_lookup(path, 1800);
  auto admin = make_cdb_admin(path);

  SECTION("random bytes, short") { write_file(path, "not a cdb"); }
  SECTION("random bytes, longer than a cdb header") { write_file(path, std::string(5000, '\xff')); }
  SECTION("a tcp.smtp.cdb given by mistake") {
    write_cdb(path, {{"10.0.0.1", "+RELAYCLIENT="}, {"", "+"}});
  }
  SECTION("a directory") { ::mkdir(path.c_str(), 0755); }
  RelayVerdict verdict = verdict_of(*lookup, "10.0.0.1", now);
  CHECK(verdict.answer == RelayAnswer::unavailable);
  CHECK_THAT(verdict.problem, Catch::Contains(path));
  CHECK_THROWS_AS(admin->list(), StoreError);
  CHECK_THROWS_AS(admin->record("10.0.0.9", now), StoreError);
  CHECK_THROWS_AS(admin->expire(now), StoreError);
}

TEST_CASE("writers refuse to overwrite a file that is not a roaming cdb", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "tcp.smtp.cdb";
  write_cdb(path, {{"127.", "+RELAYCLIENT="}});
  const std::string before = read_file(path);
  CHECK_THROWS_WITH(make_cdb_admin(path)->record("10.0.0.1", now),
                    Catch::Contains("is not a roaming cdb"));
  CHECK(read_file(path) == before);
}

TEST_CASE("a record with a bad time makes the whole store unavailable, no IP relays",
          "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  write_cdb(path, {{"", "ucspi-relay roaming 1"},
                   {"10.0.0.1", "17000x"},
                   {"10.0.0.2", "-5"},
                   {"10.0.0.3", std::to_string(now)}});
  auto lookup = make_cdb_lookup(path, 1800);
  CHECK(verdict_of(*lookup, "10.0.0.1", now).problem == path + ": corrupt roaming cdb");
  CHECK(answer_of(*lookup, "10.0.0.2", now) == RelayAnswer::unavailable);
  // A store known to be damaged is trusted for nobody, not even the records that read well.
  CHECK(answer_of(*lookup, "10.0.0.3", now) == RelayAnswer::unavailable);
  CHECK_THROWS_WITH(make_cdb_admin(path)->list(), Catch::Contains("corrupt"));
}

TEST_CASE("a store cut or damaged in its hash tables relays nobody", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto admin = make_cdb_admin(path);
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "::1", "192.0.2.7"}) admin->record(ip, now);
  fold_cdb_journal(path);  // all four in the base that is then damaged
  std::string bytes = read_file(path);
  auto lookup = make_cdb_lookup(path, 1800);
  REQUIRE(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);

  // tinycdb alone answers every key whose slot survives in each of these.
  SECTION("the last table cut short") { bytes.resize(bytes.size() - 8); }
  SECTION("a table's slot zeroed") {
    const std::uint32_t first_table = static_cast<unsigned char>(bytes[0]) |
                                      std::uint32_t{static_cast<unsigned char>(bytes[1])} << 8;
    const std::size_t end = bytes.size();
    for (std::size_t at = first_table; at + 8 <= end; at += 8)
      if (bytes.compare(at + 4, 4, std::string(4, '\0')) != 0) {
        bytes.replace(at, 8, std::string(8, '\0'));
        break;
      }
  }
  SECTION("a table's slot pointing into another record") {
    const std::size_t end = bytes.size();
    for (std::size_t at = end - 8; at > 2048; at -= 8)
      if (bytes.compare(at + 4, 4, std::string(4, '\0')) != 0) {
        bytes[at + 4] = static_cast<char>(bytes[at + 4] + 1);
        break;
      }
  }
  SECTION("a header entry past the end of the file") { bytes[8 * 200 + 3] = '\x7f'; }
  write_file(path, bytes);
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "::1", "192.0.2.7"}) {
    CAPTURE(ip);
    const RelayVerdict verdict = verdict_of(*lookup, ip, now);
    CHECK(verdict.answer == RelayAnswer::unavailable);
    // "corrupt", or "not a roaming cdb" when the damage took the marker's own slot.
    CHECK_THAT(verdict.problem, Catch::StartsWith(path));
  }
  CHECK_THROWS_AS(admin->list(), StoreError);
}

TEST_CASE("a lookup recovers when the file is repaired or removed", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  auto lookup = make_cdb_lookup(path, 1800);
  write_file(path, "garbage");
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::unavailable);
  ::unlink(path.c_str());
  make_cdb_admin(path)->record("10.0.0.1", now);
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::relay);
  ::unlink(path.c_str());
  CHECK(answer_of(*lookup, "10.0.0.1", now) == RelayAnswer::unavailable);
}

TEST_CASE("a store the server may not read is unavailable, with the reason", "[roaming][cdb]") {
  TempDir dir;
  const std::string path = dir / "roaming.cdb";
  make_cdb_admin(path)->record("10.0.0.1", now);
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  // As tcpserver after -u: an unprivileged user (root reads anything, so a child drops to
  // nobody; the scratch directory is 0700, so the file is out of its reach either way).
  if (::geteuid() != 0) REQUIRE(::chmod(path.c_str(), 0) == 0);
  // Root's child becomes nobody: the directory must let it look for the journal, which is
  // read first, so that what it cannot read is the store itself.
  if (::geteuid() == 0) REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  CHECK(run_in_children(1, [&](int) {
    if (::geteuid() == 0 && !become(nobody)) return false;
    return verdict_of(*make_cdb_lookup(path, 1800), "10.0.0.1", now).problem ==
           "unable to read " + path + ": access denied";
  }));
}
