// The atomic replace of the roaming store's files (rules/roaming/atomic_file.h): a temporary
// file beside the final name, renamed over it when complete, with the permissions the header
// and doc/permissions.md promise. The tests that act as uid 65534 need root (CI runs as root)
// and fail without it rather than pass untested.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "rules/base/error_str.h"
#include "rules/base/unique_fd.h"
#include "rules/roaming/atomic_file.h"
#include "rules/roaming/roaming_store.h"
#include "tests/unit/roaming_test_support.h"

using namespace ucspi;
using namespace ucspi::test;

namespace ucspi::test {
// Defined in test_roaming_file_lock.cpp.
std::string run_in_child(const std::function<std::string()>& body);
std::string octal(mode_t mode);
std::string octal_mode_of(const std::string& path);
void open_to_nobody(const TempDir& dir);
}  // namespace ucspi::test

namespace {

std::size_t entries_in(const std::string& dir) {
  using std::filesystem::directory_iterator;
  return static_cast<std::size_t>(std::distance(directory_iterator(dir), directory_iterator()));
}

// A scratch directory with the store's name in it.
struct Store {
  TempDir dir;
  const std::string path = dir / "store.cdb";
  const std::string temp = path + ".tmp";

  // Nothing replaced: path holds content, and its directory holds path and nothing else.
  void check_left_alone(const std::string& content) const {
    CHECK(read_file(path) == content);
    CHECK(entries_in(directory_of(path)) == 1);
  }
};

// A directory of uid 65534's under top, for the tests that write as that user.
std::string nobodys_dir(const TempDir& top) {
  open_to_nobody(top);
  const std::string dir = top / "relay";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(::chown(dir.c_str(), nobody.uid, nobody.gid) == 0);
  return dir;
}

// "UID:GID MODE" of path.
std::string owner_and_mode(const std::string& path) {
  const struct stat st = stat_of(path);
  return std::to_string(st.st_uid) + ':' + std::to_string(st.st_gid) + ' ' + octal_mode_of(path);
}

// Replaces path with content through AtomicFile as it is used by the stores: "PATH.tmp" beside
// it. Returns "replaced" or the StoreError's text.
std::string replace(const std::string& path, const std::string& content,
                    mode_t new_file_mode = default_store_file_mode,
                    Durability durability = Durability::durable) {
  try {
    AtomicFile file(path + ".tmp", path, new_file_mode);
    file.write(content);
    file.commit(durability);
    return "replaced";
  } catch (const StoreError& e) {
    return e.what();
  }
}

// The mode path gets when a writer under umask_now replaces it, or why it was not replaced.
std::string mode_after_replace(const std::string& path, mode_t umask_now, mode_t new_file_mode) {
  return run_in_child([&] {
    ::umask(umask_now);
    const std::string outcome = replace(path, "new", new_file_mode);
    return outcome == "replaced" ? octal_mode_of(path) : outcome;
  });
}

// What replace() gives uid 65534 in groups (the first its own); the groups set first, as a
// user in a group may give a file to it.
std::string replace_as_nobody(const std::string& path, const std::vector<gid_t>& groups = {65534},
                              Durability durability = Durability::durable) {
  return run_in_child([&] {
    if (::setgroups(groups.size(), groups.data()) == -1 || ::setgid(groups.front()) == -1 ||
        ::setuid(nobody.uid) == -1)
      return std::string("cannot become uid 65534");
    return replace(path, "new", default_store_file_mode, durability);
  });
}

}  // namespace

TEST_CASE_METHOD(Store,
                 "a commit replaces the file whole by a rename, and until then the old one stays",
                 "[roaming][atomic-file]") {
  const std::string old_content = "the old content, longer than the new one";
  write_file(path, old_content);
  const ino_t old_inode = stat_of(path).st_ino;
  UniqueFd reader(::open(path.c_str(), O_RDONLY));  // as tcpserver has it mapped
  REQUIRE(reader);
  const Durability durability = GENERATE(Durability::durable, Durability::best_effort);

  AtomicFile file(temp, path, default_store_file_mode);
  CHECK(file.temp_path() == temp);
  file.write("new ");
  file.write("content");
  CHECK(read_file(temp) == "new content");
  CHECK(read_file(path) == old_content);
  file.commit(durability);

  CHECK(stat_of(path).st_ino != old_inode);
  check_left_alone("new content");  // and no temporary file
  char seen[100];  // the reader still sees the old file
  const ssize_t n = ::pread(reader.get(), seen, sizeof seen, 0);
  CHECK(std::string(seen, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == old_content);
}

TEST_CASE_METHOD(Store, "a file never committed leaves the old one as it was and no temporary file",
                 "[roaming][atomic-file]") {
  write_file(path, "old");
  {
    AtomicFile file(temp, path, default_store_file_mode);
    file.write("half of a new fi");
    REQUIRE(std::filesystem::exists(temp));
  }
  check_left_alone("old");
}

TEST_CASE_METHOD(Store,
                 "a crashed writer's leftover temporary file is replaced, and a planted link not "
                 "followed",
                 "[roaming][atomic-file]") {
  const std::string victim = dir / "victim";
  write_file(victim, "precious");
  SECTION("a leftover file") { write_file(temp, "a crashed writer's half file, long"); }
  SECTION("a symbolic link") { REQUIRE(::symlink(victim.c_str(), temp.c_str()) == 0); }
  CHECK(replace(path, "new") == "replaced");
  CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(path)));
  CHECK(read_file(victim) == "precious");
  REQUIRE(::unlink(victim.c_str()) == 0);
  check_left_alone("new");
}

TEST_CASE_METHOD(Store, "a file created new gets new_file_mode exactly, whatever the umask",
                 "[roaming][atomic-file]") {
  const mode_t umask_now = GENERATE(mode_t{0077}, mode_t{0}, mode_t{0022});
  const mode_t mode = GENERATE(mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0600});
  CAPTURE(umask_now, mode);
  CHECK(mode_after_replace(path, umask_now, mode) == octal(mode));
}

TEST_CASE_METHOD(Store, "a rewritten file keeps the mode of the one it replaces, not new_file_mode",
                 "[roaming][atomic-file]") {
  const mode_t old_mode = GENERATE(mode_t{0640}, mode_t{0604}, mode_t{0600}, mode_t{0444});
  write_file(path, "old");
  REQUIRE(::chmod(path.c_str(), old_mode) == 0);
  CHECK(mode_after_replace(path, 0077, 0644) == octal(old_mode));
  CHECK(read_file(path) == "new");
}

TEST_CASE_METHOD(Store, "root keeps the owner and group of the file it replaces",
                 "[roaming][atomic-file][root]") {
  if (::geteuid() != 0) FAIL("needs root, to give files away (CI runs as root)");
  write_file(path, "old");
  REQUIRE(::chown(path.c_str(), 1234, 4321) == 0);
  REQUIRE(::chmod(path.c_str(), 0640) == 0);
  CHECK(replace(path, "new") == "replaced");
  CHECK(read_file(path) == "new");
  CHECK(owner_and_mode(path) == "1234:4321 0640");
}

TEST_CASE("a writer that may not keep the owner replaces the file only if no reader loses it",
          "[roaming][atomic-file][root]") {
  TempDir top;
  const std::string path = nobodys_dir(top) + "/store.cdb";
  struct Case {
    uid_t uid;
    gid_t gid;
    mode_t mode;
    std::vector<gid_t> writer_groups;  // the writer is uid 65534
    std::string outcome;               // "replaced UID:GID MODE", or the refusal
  };
  const auto refusal = [&](const std::string& owner, const std::string& mode) {
    return "unable to keep owner " + owner + " of " + path + " (mode " + mode +
           ", not readable by all): permission denied";
  };
  const std::vector<Case> cases = {
      // root reads anything: nobody loses root's file by its changing hands.
      {0, 0, 0600, {65534}, "replaced 65534:65534 0600"},
      // readable by all.
      {1234, 1234, 0644, {65534}, "replaced 65534:65534 0644"},
      // the group kept, and it reads: tcpserver -u 1234 -g 65534 still reads.
      {1234, 65534, 0640, {65534}, "replaced 65534:65534 0640"},
      // a group the writer is a member of is kept.
      {1234, 4242, 0640, {65534, 4242}, "replaced 65534:4242 0640"},
      // the owner would lose it.
      {1234, 65534, 0600, {65534}, refusal("1234:65534", "0600")},
      // the group would lose it.
      {65534, 0, 0640, {65534}, refusal("65534:0", "0640")},
      {1234, 4242, 0640, {65534}, refusal("1234:4242", "0640")},
  };
  for (const Case& c : cases) {
    CAPTURE(c.uid, c.gid, c.mode, c.writer_groups);
    write_file(path, "old");
    REQUIRE(::chown(path.c_str(), c.uid, c.gid) == 0);
    REQUIRE(::chmod(path.c_str(), c.mode) == 0);
    const ino_t old_inode = stat_of(path).st_ino;
    std::string outcome = replace_as_nobody(path, c.writer_groups);
    if (outcome == "replaced") outcome += ' ' + owner_and_mode(path);
    CHECK(outcome == c.outcome);
    const bool refused = c.outcome.starts_with("unable");
    CHECK((stat_of(path).st_ino == old_inode) == refused);
    CHECK(read_file(path) == (refused ? "old" : "new"));
    CHECK(entries_in(directory_of(path)) == 1);
    REQUIRE(::unlink(path.c_str()) == 0);
  }
}

TEST_CASE_METHOD(Store, "a failed replace throws a StoreError naming the path, and leaves the old "
                 "file and no temporary one",
                 "[roaming][atomic-file]") {
  write_file(path, "old");
  const std::string missing = dir / "missing/store.cdb";
  std::string expected;
  std::string outcome;
  SECTION("its directory is missing") {
    outcome = replace(missing, "new");
    expected = "unable to create " + missing + ".tmp: file does not exist";
  }
  SECTION("the final name's directory is missing at the rename") {
    try {
      AtomicFile file(temp, missing, default_store_file_mode);
      file.write("new");
      file.commit(Durability::best_effort);
      outcome = "replaced";
    } catch (const StoreError& e) {
      outcome = e.what();
    }
    expected = "unable to move " + temp + " to " + missing + ": file does not exist";
  }
  SECTION("the final name's directory is missing when a durable commit opens it") {
    try {
      AtomicFile file(temp, missing, default_store_file_mode);
      file.write("new");
      file.commit(Durability::durable);
      outcome = "replaced";
    } catch (const StoreError& e) {
      outcome = e.what();
    }
    expected = "unable to open directory " + dir / "missing" + ": file does not exist";
  }
  SECTION("the final name is a directory") {
    const std::string subdir = dir / "subdir";
    REQUIRE(::mkdir(subdir.c_str(), 0755) == 0);
    write_file(subdir + "/inside", "");
    outcome = replace(subdir, "new");
    expected = "unable to move " + subdir + ".tmp to " + subdir + ": is a directory";
    CHECK(entries_in(subdir) == 1);
    std::filesystem::remove_all(subdir);
  }
  SECTION("a write fails") {
    outcome = run_in_child([&] {
      ::signal(SIGXFSZ, SIG_IGN);
      const struct rlimit small{10, 10};
      if (::setrlimit(RLIMIT_FSIZE, &small) == -1) return std::string("setrlimit failed");
      return replace(path, std::string(1000, 'x'));
    });
    expected = "unable to write to " + temp + ": " + error_str(EFBIG);
  }
  SECTION("a write of the caller's own, through fd(), fails") {
    try {
      AtomicFile file(temp, path, default_store_file_mode);
      REQUIRE(file.fd() >= 0);
      file.fail_write(ENOSPC);
    } catch (const StoreError& e) {
      outcome = e.what();
    }
    expected = "unable to write to " + temp + ": out of disk space";
  }
  CHECK(outcome == expected);
  check_left_alone("old");
}

TEST_CASE_METHOD(Store, "a writer denied its directory fails with a StoreError and leaves the old "
                 "file",
                 "[roaming][atomic-file][root]") {
  open_to_nobody(dir);  // root's: searchable, not writable, by nobody
  write_file(path, "old");
  CHECK(replace_as_nobody(path) == "unable to create " + temp + ": access denied");
  check_left_alone("old");
}

TEST_CASE("a durable commit needs its directory open before it replaces the file, a best-effort "
          "one does not open it",
          "[roaming][atomic-file][root]") {
  TempDir top;
  const std::string store_dir = nobodys_dir(top);
  const std::string path = store_dir + "/store.cdb";
  write_file(path, "old");
  REQUIRE(::chmod(store_dir.c_str(), 0300) == 0);  // the writer may write and search, not read
  CHECK(replace_as_nobody(path, {65534}, Durability::best_effort) == "replaced");
  CHECK(read_file(path) == "new");
  // The directory is opened (to fsync it after the rename) before the rename: a failure leaves
  // the old file, so the error never reports a write that happened.
  const ino_t before = stat_of(path).st_ino;
  CHECK(replace_as_nobody(path, {65534}, Durability::durable) ==
        "unable to open directory " + store_dir + ": access denied");
  CHECK(stat_of(path).st_ino == before);
  CHECK(read_file(path) == "new");
  REQUIRE(::chmod(store_dir.c_str(), 0755) == 0);
  CHECK(entries_in(store_dir) == 1);
}

TEST_CASE("directory_of gives the directory part of a path, '.' for a bare name",
          "[roaming][atomic-file]") {
  CHECK(directory_of("/var/lib/relay/relay.cdb") == "/var/lib/relay");
  CHECK(directory_of("relay/relay.cdb") == "relay");
  CHECK(directory_of("relay.cdb") == ".");
  CHECK(directory_of("/relay.cdb") == "/");
}
