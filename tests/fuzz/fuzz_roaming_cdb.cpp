// The roaming store's file (RoamingCdb, rules/roaming/roaming_cdb_file.h) over arbitrary
// bytes: open, find, for_each, and replace_roaming_entry, the one-record rewrite that parses
// the mapped file by hand. Properties: a file opens only with the marker; for_each never shows
// the marker and shows times as the format allows; find agrees with for_each on the first
// record of an IP; after a replace that succeeds the new file holds the old entries but the
// replaced IP's, in order, with the new entry before the first later one (a replace succeeds
// only on a file in order of time); a private copy opens only for a whole
// file, in which find agrees with for_each on every IP.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/roaming/roaming_cdb_file.h"
#include "rules/roaming/roaming_store.h"
#include "tests/fuzz/fuzz_support.h"

using namespace ucspi;

namespace {

using Entries = std::vector<std::pair<std::string, std::int64_t>>;

constexpr std::int64_t max_time = 999'999'999'999'999'999;  // 18 digits

int read_entries(RoamingCdb& cdb, Entries& out) {
  out.clear();
  return cdb.for_each([&](std::string_view ip, std::int64_t last_login) {
    FUZZ_CHECK(!ip.empty());
    FUZZ_CHECK(last_login >= 0 && last_login <= max_time);
    out.emplace_back(ip, last_login);
    return out.size() < 10000;
  });
}

// A directory of its own on a tmpfs for one replace (it fsyncs and renames), removed with
// what is in it when the check is done: libFuzzer may end without running destructors.
class WorkDirectory {
 public:
  WorkDirectory() {
    char name[] = "/dev/shm/fuzz_roaming_cdb.XXXXXX";
    FUZZ_CHECK(::mkdtemp(name) != nullptr);
    path_ = name;
  }
  WorkDirectory(const WorkDirectory&) = delete;
  WorkDirectory& operator=(const WorkDirectory&) = delete;
  ~WorkDirectory() {
    for (const char* file : {"/relay.cdb", "/relay.cdb.tmp"}) ::unlink((path_ + file).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void check_replace(std::string_view bytes, const Entries& before) {
  const WorkDirectory directory;
  const std::string path = directory.path() + "/relay.cdb";
  fuzz::write_file(path, bytes);
  struct stat st {};
  FUZZ_CHECK(::stat(path.c_str(), &st) == 0);
  const std::string ip = before.empty() ? "10.9.8.7" : before.front().first;
  constexpr std::int64_t now = 1'700'000'000;
  bool replaced = false;
  try {
    replaced = replace_roaming_entry(path, st, ip, now);
  } catch (const StoreError&) {
    std::abort();  // writing to a tmpfs does not fail
  }
  if (!replaced) return;
  RoamingCdb cdb;
  FUZZ_CHECK(cdb.open(path) == 0);
  Entries after;
  FUZZ_CHECK(read_entries(cdb, after) == 0);
  // The new entry goes before the first later one, so that a file in order of time stays so.
  Entries expected;
  for (const auto& entry : before)
    if (entry.first != ip) expected.push_back(entry);
  auto later = std::find_if(expected.begin(), expected.end(),
                            [&](const auto& entry) { return entry.second > now; });
  expected.insert(later, {ip, now});
  FUZZ_CHECK(after == expected);
  std::int64_t last_login = -1;
  FUZZ_CHECK(cdb.find(ip, last_login) == 1 && last_login == now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static fuzz::MemFile file("roaming.cdb");
  const std::string_view input = fuzz::bytes_of(bytes, size);
  file.assign(input);
  RoamingCdb cdb;
  const int opened = cdb.open(file.path());
  FUZZ_CHECK(opened == 0 || opened == EPROTO);
  FUZZ_CHECK(cdb.is_open() == (opened == 0));
  if (opened != 0) return 0;

  Entries entries;
  const int walked = read_entries(cdb, entries);
  FUZZ_CHECK(walked == 0 || walked == -1);
  std::map<std::string, std::int64_t> first;
  for (const auto& [ip, last_login] : entries) first.emplace(ip, last_login);
  std::size_t looked = 0;
  for (const auto& [ip, last_login] : first) {
    if (++looked > 16) break;
    std::int64_t found = -1;
    const int r = cdb.find(ip, found);
    FUZZ_CHECK(r >= -1 && r <= 1);
    // A well-formed file finds each IP's first record (corrupt hash tables may hide it).
    if (r == 1) FUZZ_CHECK(found >= 0 && found <= max_time);
  }
  for (const char* ip : {"10.0.0.1", "2001:db8::1"}) {
    std::int64_t found = -1;
    const int r = cdb.find(ip, found);
    FUZZ_CHECK(r >= -1 && r <= 1);
  }
  if (walked == 0) check_replace(input, entries);

  // The private copy the readers that decide take: it opens only for a whole file, and then
  // every IP is found, with one of its records' times (nothing hidden by a damaged table).
  RoamingCdb whole;
  const int checked = whole.open(file.path(), CdbMapping::private_copy);
  FUZZ_CHECK(checked == 0 || checked == EBADMSG || checked == EPROTO);
  if (checked != 0) return 0;
  FUZZ_CHECK(walked == 0);
  // Another tool may write an IP twice: find gives one of its records' times.
  std::map<std::string, std::vector<std::int64_t>> times;
  for (const auto& [ip, last_login] : entries) times[ip].push_back(last_login);
  looked = 0;
  for (const auto& [ip, recorded] : times) {
    if (++looked > 64) break;
    std::int64_t found = -1;
    FUZZ_CHECK(whole.find(ip, found) == 1);
    FUZZ_CHECK(std::find(recorded.begin(), recorded.end(), found) != recorded.end());
  }
  return 0;
}
